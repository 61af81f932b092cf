from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/statistics.xlsx", views.dashboard_workbook, name="dashboard_workbook"),
    path("export/applications.xlsx", views.queue_export, name="queue_export"),
    path("roster/", views.roster, name="roster"),
    path("roster/template.xlsx", views.roster_template_download, name="roster_template"),
]
