from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("notices/", views.public_list, name="list"),
    path("notices/<int:pk>/", views.public_detail, name="detail"),
    path("notices/<int:pk>/print/", views.print_sheet, name="print"),
    path("notices/<int:pk>/files/<int:attachment_id>/", views.attachment_file, name="file"),
    # The objector's own page: the link in their SMS, short as an SMS parameter must be (y: 异议).
    path("y/<str:token>/", views.objection_page, name="objection"),
]

staff_urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_edit, name="new"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/edit/", views.staff_edit, name="edit"),
    path("<int:pk>/attach/", views.staff_attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment_id>/remove/", views.staff_detach, name="detach"),
    path("<int:pk>/publish/", views.staff_publish, name="publish"),
    path("<int:pk>/withdraw/", views.staff_withdraw, name="withdraw"),
    path("<int:pk>/objections/<int:objection_id>/", views.staff_objection, name="objection"),
    path("<int:pk>/objections/<int:objection_id>/photo/", views.staff_objection_photo, name="objection_photo"),
]
