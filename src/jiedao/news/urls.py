from django.urls import path

from . import views
from .feeds import NewsFeed

app_name = "news"
urlpatterns = [
    path("news/", views.public_list, name="list"),
    path("news/feed/", NewsFeed(), name="feed"),
    path("news/<int:pk>/", views.public_detail, name="detail"),
    path("news/issue/<int:year>-<int:month>/", views.issue_page, name="issue"),
    path("news/photos/<int:photo_id>/", views.photo_file, name="photo"),
]

staff_urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_edit, name="new"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/edit/", views.staff_edit, name="edit"),
    path("<int:pk>/<slug:action>/", views.staff_action, name="action"),
]
