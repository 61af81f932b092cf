from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<slug:code>/", views.programme_detail, name="programme"),
    path("apply/<slug:code>/start/", views.start, name="start"),
    path("apply/<slug:code>/step/<slug:step>/", views.step, name="step"),
    path("apply/<slug:code>/photos/<int:photo_id>/", views.draft_photo, name="draft_photo"),
    path("apply/done/<str:reference>/", views.done, name="done"),
    path("status/", views.status, name="status"),
    # The case looked up is kept in the session: neither reference nor phone is ever in a URL.
    path("status/case/", views.status_case, name="status_case"),
    path("status/code/send/", views.access_code_send, name="access_code_send"),
    path("status/code/", views.access_code, name="access_code"),
    path("status/documents/", views.add_documents, name="add_documents"),
    path("large-text/", views.large_text, name="large_text"),
]
