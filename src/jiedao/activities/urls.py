from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("activities/", views.public_list, name="list"),
    path("activities/<slug:code>/", views.public_detail, name="detail"),
    path("activities/<slug:code>/poster/", views.poster, name="poster"),
    path("activities/<slug:code>/checkin/<str:day_code>/", views.checkin_page, name="checkin"),
    # The link in a person's SMS: short, as an SMS parameter must be.
    path("a/<str:token>/", views.signup_page, name="signup"),
]

staff_urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_new, name="new"),
    path("<slug:code>/", views.staff_detail, name="detail"),
    path("<slug:code>/cancel/", views.staff_cancel, name="cancel"),
    path("<slug:code>/signups.xlsx", views.staff_export, name="export"),
    path("<slug:code>/signups/<int:signup_id>/attendance/", views.staff_attendance, name="attendance"),
]
