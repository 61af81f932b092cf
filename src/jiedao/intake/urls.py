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
    path("status/<str:reference>/documents/", views.add_documents, name="add_documents"),
    path("large-text/", views.large_text, name="large_text"),
]
