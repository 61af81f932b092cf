from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("login/", auth_views.LoginView.as_view(template_name="review/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="review:login"), name="logout"),
    path("cases/<str:reference>/", views.case_view, name="case"),
    path("cases/<str:reference>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<str:reference>/documents/", views.case_add_documents, name="case_add_documents"),
    path("documents/<int:document_id>/", views.document_view, name="document"),
    path("file/", views.file_start_page, name="file"),
    path("file/<slug:code>/", views.file_start_page, name="programme"),
    path("file/<slug:code>/start/", views.file_start, name="start"),
    path("file/<slug:code>/step/<slug:step>/", views.file_step, name="step"),
    path("file/<slug:code>/photos/<int:photo_id>/", views.file_draft_photo, name="draft_photo"),
    path("audit/", views.audit_view, name="audit"),
]
