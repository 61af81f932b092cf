"""The gate page (with and without its script), the sync endpoint and the device API; the crew's
registration; the worker's pass; the public page and notice; the committee's back office, where
names and ID numbers are shown only to the responsible worker and reviewers, each view audited,
and the leadership sees counts."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.urls import reverse

from jiedao.core.models import AuditEntry, Role
from jiedao.sites import services
from jiedao.sites.models import GateEntry, Refusal, SiteWorker
from tests.conftest import sign_in
from tests.factories import SiteFactory, make_staff, site_worker, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(programme):
    return SiteFactory()


def open_gate(client, site):
    response = client.post(reverse("sites:gate"), {"site": site.code, "pin": site.gate_pin})
    assert response.status_code == 302
    return client


def test_the_gate_asks_for_the_pin_first_and_a_wrong_one_is_told(client, site):
    page = client.get(reverse("sites:gate"))
    assert "门岗口令" in page.content.decode()
    wrong = client.post(reverse("sites:gate"), {"site": site.code, "pin": "00000000"})
    assert wrong.status_code == 400 and "工地代码或门岗口令不对" in wrong.content.decode()


def test_without_javascript_the_gatekeeper_types_the_pass_and_reads_the_answer(client, site):
    _worker, site_pass = site_worker(site)
    open_gate(client, site)
    page = client.get(reverse("sites:gate"))
    assert "sites_gate.js" in page.content.decode() and "出入证号" in page.content.decode()
    data = {"pass_text": site_pass.display_number, "temperature": "36.6", "health_code": "green", "direction": "in", "key": str(uuid.uuid4())}
    answer = client.post(reverse("sites:gate"), data)
    body = answer.content.decode()
    assert answer.status_code == 200 and "体温正常，已放行。" in body and "王建国" in body
    again = client.post(reverse("sites:gate"), data)  # a double tap: the same key
    assert "体温正常，已放行。" in again.content.decode() and GateEntry.objects.count() == 1
    bad = client.post(reverse("sites:gate"), {**data, "temperature": "42.9x", "key": str(uuid.uuid4())})
    assert bad.status_code == 400 and "体温请填数字" in bad.content.decode()
    assert site_pass.display_number in bad.content.decode()  # what was typed is kept


def test_the_sync_endpoint_answers_each_entry_once_and_refuses_a_closed_gate(client, site):
    _worker, site_pass = site_worker(site)
    # The entries waited ten minutes on the phone: just after midnight that was yesterday, so the
    # pass must have been valid yesterday too.
    site_pass.valid_from -= dt.timedelta(days=1)
    site_pass.save(update_fields=["valid_from"])
    entries = [{"key": str(uuid.uuid4()), "pass": site_pass.number, "temperature": "36.5", "direction": "in",
                "phone_at": "2020-03-24T08:00:00+08:00", "elapsed_s": 600} for _ in range(3)]  # fmt: skip
    closed = client.post(reverse("sites:gate_sync"), json.dumps({"entries": entries}), content_type="application/json")
    assert closed.status_code == 403
    open_gate(client, site)
    for _attempt in range(3):
        response = client.post(reverse("sites:gate_sync"), json.dumps({"entries": entries}), content_type="application/json")
        assert response.status_code == 200
        assert [r["outcome"] for r in response.json()["results"]] == ["admitted"] * 3
    assert GateEntry.objects.count() == 3 and set(GateEntry.objects.values_list("source", flat=True)) == {"offline"}
    garbage = client.post(reverse("sites:gate_sync"), "not json", content_type="application/json")
    assert garbage.status_code == 400


def test_a_gate_device_posts_entries_to_the_api_idempotently_by_key(client, site):
    _worker, site_pass = site_worker(site)
    key = str(uuid.uuid4())
    body = {"entries": [{"key": key, "pass": services.pass_token(site_pass), "direction": "in", "temperature": 38.4},
                        {"key": str(uuid.uuid4()), "pass": "ZZZZ-ZZZZ", "direction": "in", "temperature": "36.5"},
                        {"key": str(uuid.uuid4()), "pass": site_pass.number, "direction": "in", "temperature": "51"}],
            "gate": "东门"}  # fmt: skip
    url = f"/api/v1/sites/{site.code}/entries"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {services.device_key(site)}"}
    assert client.post(url, body, content_type="application/json").status_code == 401
    first = client.post(url, body, content_type="application/json", **auth)
    assert first.status_code == 200, first.content
    refused, rejected, invalid = first.json()["results"]
    assert refused["outcome"] == "refused" and refused["created"] is True and "不能进场" in refused["message"]
    assert rejected["outcome"] == "rejected" and rejected["reason"] == "unknown"
    assert invalid["status"] == "invalid" and "不在人体体温范围内" in invalid["errors"]["temperature"][0]
    again = client.post(url, body, content_type="application/json", **auth).json()["results"][0]
    assert again["created"] is False and again["outcome"] == "refused"
    assert GateEntry.objects.count() == 2 and Refusal.objects.count() == 1
    assert GateEntry.objects.get(key=key).gate == "东门"
    other = SiteFactory(responsible=site.responsible)
    assert client.post(f"/api/v1/sites/{other.code}/entries", body, content_type="application/json", **auth).status_code == 403


def test_a_worker_registers_from_the_managers_link_and_signs_the_commitment(client, site):
    url = reverse("sites:join", args=[site.join_token])
    page = client.get(url)
    assert "施工人员管理承诺书" in page.content.decode()
    data = {"name": "钱小明", "id_number": valid_id_number("19900101", 7), "phone": "13600000011", "trade": "电工",
            "health_code": "green", "signature": "钱晓明"}  # fmt: skip
    mismatch = client.post(url, data)
    assert mismatch.status_code == 400 and "签名要和上面的姓名一致" in mismatch.content.decode()
    done = client.post(url, {**data, "signature": "钱小明"})
    assert "登记成功" in done.content.decode()
    worker = SiteWorker.objects.get()
    assert worker.registered_by == "self" and worker.commitment_signed_at and worker.passes.get().status == "requested"


def test_the_manager_registers_the_crew_on_the_gate_phone(client, site):
    open_gate(client, site)
    data = {"name": "孙大伟", "id_number": valid_id_number("19850505", 8), "phone": "13600000012", "trade": "焊工",
            "health_code": "green", "signature": "孙大伟"}  # fmt: skip
    assert client.post(reverse("sites:gate_crew"), data).status_code == 302
    assert SiteWorker.objects.get().registered_by == "manager"


def test_the_workers_pass_page_shows_a_qr_only_while_valid(client, site):
    _worker, site_pass = site_worker(site)
    page = client.get(reverse("sites:pass", args=[site_pass.token])).content.decode()
    assert "<svg" in page and site_pass.display_number in page and "有效" in page
    services.pass_revoke(site_pass=site_pass, actor=site.responsible)
    page = client.get(reverse("sites:pass", args=[site_pass.token])).content.decode()
    assert "<svg" not in page and "已被居委会收回" in page


def test_the_public_page_and_notice_show_the_project_and_no_workers(client, site):
    site_worker(site)
    page = client.get(reverse("sites:site", args=[site.code])).content.decode()
    assert "光机小区加装电梯" in page and site.builder_name in page and site.work_hours in page and "021-56330104" in page
    assert "王建国" not in page and "13600000001" not in page
    notice = client.get(reverse("sites:notice", args=[site.code])).content.decode()
    assert "<svg" in notice and f"/sites/{site.code}/" in notice and "王建国" not in notice


def test_names_are_shown_to_the_responsible_worker_with_an_audit_entry_and_leadership_sees_counts(client, site):
    worker, site_pass = site_worker(site)
    services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in", temperature="36.4")
    sign_in(client, site.responsible)
    crew = client.get(reverse("sites_staff:crew", args=[site.code])).content.decode()
    assert "王建国" in crew and valid_id_number("19800101", 1) in crew
    assert AuditEntry.objects.filter(action=services.AUDIT_VIEW_PEOPLE, actor=site.responsible).count() == 1
    client.logout()
    leader = make_staff("leader_sites", Role.LEADER)
    sign_in(client, leader)
    listing = client.get(reverse("sites_staff:list")).content.decode()
    assert "光机小区加装电梯" in listing
    crew = client.get(reverse("sites_staff:crew", args=[site.code])).content.decode()
    entries = client.get(reverse("sites_staff:entries", args=[site.code])).content.decode()
    assert "王建国" not in crew and "王建国" not in entries and f"#{worker.pk}" in entries and "进场 1 人" in entries
    assert not AuditEntry.objects.filter(action=services.AUDIT_VIEW_PEOPLE, actor=leader).exists()
    assert client.post(reverse("sites_staff:pass_revoke", args=[site.code, site_pass.pk])).status_code == 404


def test_another_neighbourhoods_worker_does_not_see_the_site(client, site, worker):
    sign_in(client, worker)
    assert client.get(reverse("sites_staff:detail", args=[site.code])).status_code == 404
    assert "光机小区加装电梯" not in client.get(reverse("sites_staff:list")).content.decode()


def test_the_responsible_worker_approves_revokes_and_closes_a_refusal(client, site):
    _worker, site_pass = site_worker(site, approved=False)
    sign_in(client, site.responsible)
    client.post(reverse("sites_staff:pass_approve", args=[site.code, site_pass.pk]),
                {"valid_from": site_pass.valid_from.isoformat(), "valid_until": site_pass.valid_until.isoformat()})  # fmt: skip
    site_pass.refresh_from_db()
    assert site_pass.status == "approved"
    services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in", temperature="38.0")
    refusal = Refusal.objects.get()
    page = client.get(reverse("sites_staff:refusals", args=[site.code])).content.decode()
    assert "体温 38.0℃" in page
    client.post(reverse("sites_staff:refusal_close", args=[site.code, refusal.pk]), {"note": ""})
    refusal.refresh_from_db()
    assert refusal.closed_at is None
    client.post(reverse("sites_staff:refusal_close", args=[site.code, refusal.pk]), {"note": "复测36.8℃，已进场"})
    refusal.refresh_from_db()
    assert refusal.closed_at is not None
    client.post(reverse("sites_staff:pass_revoke", args=[site.code, site_pass.pk]))
    site_pass.refresh_from_db()
    assert site_pass.status == "revoked"


def test_a_commitment_is_attached_as_a_pdf_and_served_only_to_staff(client, site):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in(client, site.responsible)
    url = reverse("sites_staff:commitments", args=[site.code])
    bad = client.post(url, {"kind": "personnel", "signed_by": "施工单位", "signed_on": "2020-03-20",
                            "file": SimpleUploadedFile("a.txt", b"hello")})  # fmt: skip
    assert bad.status_code == 400 and "只能上传PDF文件或照片" in bad.content.decode()
    client.post(url, {"kind": "construction", "signed_by": "居委会、业委会、物业、施工单位", "signed_on": "2020-03-20",
                      "file": SimpleUploadedFile("c.pdf", b"%PDF-1.4 test")})  # fmt: skip
    commitment = site.commitments.get()
    assert client.get(reverse("sites_staff:commitment_file", args=[site.code, commitment.pk])).status_code == 200
    public = client.get(reverse("sites:site", args=[site.code])).content.decode()
    assert "加装电梯施工管理承诺书" in public and "2020-03-20" in public
    client.logout()
    assert client.get(reverse("sites_staff:commitment_file", args=[site.code, commitment.pk])).status_code == 302


def test_a_new_gate_pin_closes_every_gate_phone_and_device(client, site):
    _worker, site_pass = site_worker(site)
    open_gate(client, site)
    old_key = services.device_key(site)
    staff_client = client.__class__()
    sign_in(staff_client, site.responsible)
    staff_client.post(reverse("sites_staff:status", args=[site.code]), {"action": "gate_pin"})
    site.refresh_from_db()
    page = client.get(reverse("sites:gate")).content.decode()
    assert "门岗口令" in page and "打开门岗" in page  # asked again
    assert services.device_site(old_key) is None and services.device_site(services.device_key(site)) == site


def test_guessing_the_gate_pin_is_paused_after_ten_tries(client, site):
    for _try in range(10):
        client.post(reverse("sites:gate"), {"site": site.code, "pin": "11111111"})
    paused = client.post(reverse("sites:gate"), {"site": site.code, "pin": site.gate_pin})
    assert paused.status_code == 400 and "口令输错次数太多" in paused.content.decode()


def test_a_workers_photo_is_kept_without_metadata_and_shown_only_to_the_gate_and_the_responsible_worker(client, site, private_storage):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SomePhone"  # Make
    Image.new("RGB", (1600, 1200), "#a0b0c0").save(buffer, "JPEG", exif=exif)
    url = reverse("sites:join", args=[site.join_token])
    data = {"name": "钱小明", "id_number": valid_id_number("19900101", 7), "phone": "13600000011", "trade": "电工",
            "health_code": "green", "signature": "钱小明"}  # fmt: skip
    not_a_photo = client.post(url, {**data, "photo": SimpleUploadedFile("x.jpg", b"not a photo")})
    assert not_a_photo.status_code == 400 and "不是能打开的照片" in not_a_photo.content.decode()
    assert not SiteWorker.objects.exists()
    client.post(url, {**data, "photo": SimpleUploadedFile("me.jpg", buffer.getvalue())})
    worker = SiteWorker.objects.get()
    with Image.open(private_storage / worker.photo) as kept:
        assert max(kept.size) == 800 and not kept.getexif()
    assert client.get(reverse("sites:gate_photo", args=[worker.pk])).status_code == 404  # no gate opened
    open_gate(client, site)
    assert client.get(reverse("sites:gate_photo", args=[worker.pk]))["Content-Type"] == "image/jpeg"
    staff = client.__class__()
    sign_in(staff, site.responsible)
    assert staff.get(reverse("sites_staff:worker_photo", args=[site.code, worker.pk])).status_code == 200
    assert AuditEntry.objects.filter(action=services.AUDIT_VIEW_PEOPLE, detail__what=f"photo #{worker.pk}").exists()


def test_the_site_list_reads_a_bounded_number_of_queries_per_site(client, site, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, site.responsible)
    client.get(reverse("sites_staff:list"))  # warm: session, profile
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("sites_staff:list"))
    for _n in range(4):
        SiteFactory(responsible=site.responsible)
    with django_assert_max_num_queries(len(one) + 4 * 6):
        page = client.get(reverse("sites_staff:list"))
    assert page.content.decode().count("光机小区加装电梯") == 5


def test_the_register_exports_to_excel_with_names_only_for_those_who_may_see_them(client, site):
    from openpyxl import load_workbook
    import io

    _worker, site_pass = site_worker(site)
    services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in", temperature="36.4")
    leader = make_staff("leader_sites", Role.LEADER)
    for user, shows_name in ((site.responsible, True), (leader, False)):
        client.logout()
        sign_in(client, user)
        response = client.get(reverse("sites_staff:export", args=[site.code]))
        assert response["Cache-Control"] == "no-store, private"
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        counts, entries = (list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
        assert counts[1][1] == 1 and entries[1][3] == 36.4
        assert (entries[1][1] == "王建国") is shows_name
    assert AuditEntry.objects.filter(action="export", reference=site.code).count() == 2


def test_a_committee_worker_registers_a_site_and_a_wrong_credit_code_keeps_what_was_typed(client, programme):
    from jiedao.core.models import Neighbourhood
    from jiedao.sites.models import Site
    from tests.factories import builder_uscc

    worker = make_staff("worker_gj2", Role.WORKER, ["guangji"])
    sign_in(client, worker)
    assert client.get(reverse("sites_staff:new")).status_code == 200
    data = {"name": "光机小区加装电梯", "code": "gj-lift", "neighbourhood": Neighbourhood.objects.get(code="guangji").pk,
            "place": "光机小区1号楼", "builder_name": "某电梯公司", "builder_uscc": "91310106MA1FL7XK2X",
            "manager_name": "陆建平", "manager_phone": "137 0000 0001", "responsible": worker.pk,
            "responsible_phone": "13800000009", "committee_phone": "021-56330104", "work_hours": "8:00—17:00",
            "rules": "凭证进出", "status": "resuming"}  # fmt: skip
    wrong = client.post(reverse("sites_staff:new"), data)
    body = wrong.content.decode()
    assert wrong.status_code == 400 and "统一社会信用代码不正确" in body and "某电梯公司" in body
    done = client.post(reverse("sites_staff:new"), {**data, "builder_uscc": builder_uscc()})
    assert done.status_code == 302
    site = Site.objects.get(code="gj-lift")
    assert site.manager_phone == "13700000001" and site.responsible == worker
