from django.urls import path

from . import views

app_name = "sites"
urlpatterns = [
    path("sites/gate/", views.gate, name="gate"),
    path("sites/gate/entries/", views.gate_sync, name="gate_sync"),
    path("sites/gate/close/", views.gate_close, name="gate_close"),
    path("sites/gate/crew/", views.gate_crew, name="gate_crew"),
    path("sites/gate/workers/<int:worker_id>/photo/", views.gate_photo, name="gate_photo"),
    path("sites/join/<str:token>/", views.join, name="join"),
    path("sites/pass/<str:token>/", views.pass_page, name="pass"),
    path("sites/<slug:code>/", views.public_site, name="site"),
    path("sites/<slug:code>/notice/", views.notice, name="notice"),
]

staff_urlpatterns = [
    path("", views.staff_list, name="list"),
    path("new/", views.staff_new, name="new"),
    path("<slug:code>/", views.staff_detail, name="detail"),
    path("<slug:code>/status/", views.staff_status, name="status"),
    path("<slug:code>/crew/", views.staff_crew, name="crew"),
    path("<slug:code>/entries/", views.staff_entries, name="entries"),
    path("<slug:code>/register.xlsx", views.staff_export, name="export"),
    path("<slug:code>/workers/<int:worker_id>/photo/", views.staff_worker_photo, name="worker_photo"),
    path("<slug:code>/refusals/", views.staff_refusals, name="refusals"),
    path("<slug:code>/refusals/<int:refusal_id>/close/", views.staff_refusal_close, name="refusal_close"),
    path("<slug:code>/passes/<int:pass_id>/approve/", views.staff_pass_approve, name="pass_approve"),
    path("<slug:code>/passes/<int:pass_id>/revoke/", views.staff_pass_revoke, name="pass_revoke"),
    path("<slug:code>/passes/<int:pass_id>/renew/", views.staff_pass_renew, name="pass_renew"),
    path("<slug:code>/commitments/", views.staff_commitments, name="commitments"),
    path("<slug:code>/commitments/<int:commitment_id>/file/", views.staff_commitment_file, name="commitment_file"),
]
