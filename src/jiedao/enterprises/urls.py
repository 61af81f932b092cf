from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    # The enterprise contact's link: no account, tied to the enterprise, expires.
    path("enterprises/report/<str:token>/", views.report_page, name="report"),
    # The same page, by the short address an SMS parameter can hold (35 characters).
    path("e/<str:token>/", views.report_short, name="report_short"),
]

staff_urlpatterns = [
    path("enterprises/", views.staff_list, name="list"),
    path("enterprises/new/", views.staff_new, name="new"),
    path("enterprises/import/", views.staff_import, name="import"),
    path("enterprises/import/template.xlsx", views.staff_import_template, name="import_template"),
    path("enterprises/dashboard/", views.staff_dashboard, name="dashboard"),
    path("enterprises/dashboard.xlsx", views.staff_dashboard_export, name="dashboard_export"),
    path("enterprises/<int:pk>/", views.staff_detail, name="detail"),
    path("enterprises/<int:pk>/visit/", views.staff_visit, name="visit"),
    path("enterprises/<int:pk>/report-link/", views.staff_report_link, name="report_link"),
    path("enterprises/photos/<int:photo_id>/", views.staff_visit_photo, name="visit_photo"),
    path("needs/", views.staff_needs, name="needs"),
    path("needs/<int:pk>/", views.staff_need, name="need"),
    path("supplies/", views.staff_supplies, name="supplies"),
    path("supplies/handout/", views.staff_handout, name="handout"),
    path("supplies/entries/<int:pk>/", views.staff_entry, name="entry"),
    path("supplies/entries/<int:pk>/<str:which>/", views.staff_entry_file, name="entry_file"),
]
