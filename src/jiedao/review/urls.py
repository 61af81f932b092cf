from django.urls import path

from jiedao.core import staff_auth_views

from . import data_copy, views

app_name = "review"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("login/", staff_auth_views.login_view, name="login"),
    path("login/code/", staff_auth_views.otp_view, name="otp"),
    path("login/enrol/", staff_auth_views.otp_enrol_view, name="otp_enrol"),
    path("logout/", staff_auth_views.logout_view, name="logout"),
    path("cases/<str:reference>/", views.case_view, name="case"),
    path("cases/<str:reference>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<str:reference>/documents/", views.case_add_documents, name="case_add_documents"),
    path("cases/<str:reference>/data-copy/", data_copy.data_copy_view, name="case_data_copy"),
    path("documents/<int:document_id>/", views.document_view, name="document"),
    path("file/", views.file_start_page, name="file"),
    path("file/<slug:code>/", views.file_start_page, name="programme"),
    path("file/<slug:code>/start/", views.file_start, name="start"),
    path("file/<slug:code>/step/<slug:step>/", views.file_step, name="step"),
    path("file/<slug:code>/photos/<int:photo_id>/", views.file_draft_photo, name="draft_photo"),
    path("audit/", views.audit_view, name="audit"),
]
