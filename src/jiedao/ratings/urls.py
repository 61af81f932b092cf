from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("ratings/", views.public_summary, name="summary"),
    path("ratings/thanks/", views.thanks, name="thanks"),
    # The link in the SMS: a signed token, nothing about the person or the case.
    path("ratings/<str:token>/", views.rate, name="rate"),
]

staff_urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("take/<int:invitation_id>/", views.take, name="take"),
    path("<int:pk>/", views.rating_detail, name="rating"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("export.<str:fmt>", views.export, name="export"),
]
