"""Staff pages under /staff/notices/ (inside the language prefix); the delivery-report endpoint is
``receipt_urlpatterns``, mounted at /notices/receipts/ outside it (providers call a fixed URL)."""

from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("failed/", views.failed_list, name="failed"),
    path("<uuid:notice_id>/resend/", views.resend, name="resend"),
]

receipt_urlpatterns = [
    path("<slug:provider>/", views.receipt, name="receipt"),
]
