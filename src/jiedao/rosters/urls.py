from django.urls import path

from . import views

app_name = "rosters"
urlpatterns = [
    # A volunteer's own page (the link in their SMS) and its calendar feed.
    path("v/<str:token>/", views.volunteer_page, name="volunteer"),
    path("v/<str:token>/calendar.ics", views.calendar, name="calendar"),
    # The QR code shown at a post: check in and out there.
    path("rosters/posts/<slug:post_code>/<str:day_code>/", views.post_checkin, name="checkin"),
]

staff_urlpatterns = [
    path("", views.board, name="board"),
    path("posts/", views.posts, name="posts"),
    path("posts/<slug:code>/", views.post_detail, name="post"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("hours.xlsx", views.hours_export, name="hours"),
    path("assignments/<int:assignment_id>/check/", views.staff_check, name="check"),
    path("shifts/<int:shift_id>/cancel/", views.staff_cancel_shift, name="cancel_shift"),
]
