"""The organiser's side (a new activity with its groups, the attendance list, the figures the
newsletter reports, the export, calling an activity off) and the partner API's sign-up."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.activities import services
from jiedao.activities.models import Activity, Signup, SignupStatus
from jiedao.core.models import AuditEntry, Role
from jiedao.notices.models import Notice
from tests.api.conftest import issue
from tests.conftest import next_url, sign_in
from tests.factories import ActivityFactory, make_staff


def _new_activity_form(**overrides) -> dict:
    start = timezone.localtime() + dt.timedelta(days=5)
    data = {
        "title": "3月24日主题党日",
        "code": "2026-03-24-ghxl",
        "kind": "party_day",
        "neighbourhood": "",
        "organiser": "共和新路居民区党总支",
        "place": "共和新路居委会",
        "starts_at": start.strftime("%Y-%m-%dT09:00"),
        "ends_at": start.strftime("%Y-%m-%dT11:30"),
        "capacity": "30",
        "audience": "party_members",
        "unit_label": "所在党支部",
        "description": "",
        "groups-TOTAL_FORMS": "6",
        "groups-INITIAL_FORMS": "0",
        "groups-MIN_NUM_FORMS": "0",
        "groups-MAX_NUM_FORMS": "12",
        "groups-0-name": "走访组",
        "groups-0-task": "走访独居老人",
        "groups-1-name": "门岗值守组",
        "groups-1-task": "小区门岗值守",
        "groups-1-leader": "陈卫东",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_worker_creates_an_activity_for_her_own_neighbourhood_only(client, programme):
    from jiedao.core.models import Neighbourhood

    worker = make_staff("worker_yt", Role.WORKER, ["yongtai"])
    sign_in(client, worker)
    page = client.get("/staff/activities/new/").content.decode()
    assert ">永太</option>" in page and ">芷江新村</option>" not in page
    assert "活动" in client.get("/staff/").content.decode()  # the frame's navigation lists the service

    other = Neighbourhood.objects.get(code="zhijiangxincun")
    refused = client.post("/staff/activities/new/", _new_activity_form(neighbourhood=str(other.pk)))
    assert refused.status_code == 200 and not Activity.objects.exists()
    missing = client.post("/staff/activities/new/", _new_activity_form())
    assert "请选择组织的居民区。" in missing.content.decode() and not Activity.objects.exists()

    own = Neighbourhood.objects.get(code="yongtai")
    url = next_url(client.post("/staff/activities/new/", _new_activity_form(neighbourhood=str(own.pk))))
    activity = Activity.objects.get()
    assert url == f"/staff/activities/{activity.code}/"
    assert [g.name for g in activity.groups.all()] == ["走访组", "门岗值守组"]
    assert activity.created_by == worker and activity.neighbourhood == own
    assert AuditEntry.objects.filter(action=services.AUDIT_CREATE, reference=activity.code).exists()

    # A worker of another neighbourhood does not see it.
    sign_in(client, make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"]))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_organisers_sms_note_goes_into_the_texts_and_a_link_in_it_is_refused(client, programme):
    from jiedao.core.models import Neighbourhood

    sign_in(client, make_staff("worker_yt", Role.WORKER, ["yongtai"]))
    own = str(Neighbourhood.objects.get(code="yongtai").pk)
    refused = client.post(
        "/staff/activities/new/", _new_activity_form(neighbourhood=own, sms_note="详情见 www.example.cn")
    )
    page = refused.content.decode()
    assert "短信附言里不能有网址或电话号码" in page and not Activity.objects.exists()
    assert "www.example.cn" in page and "共和新路居委会" in page  # what was typed is still there

    url = next_url(client.post("/staff/activities/new/", _new_activity_form(neighbourhood=own, sms_note="请带好党员证")))
    page = client.get(url).content.decode()
    # The organiser sees what people will receive, with the note in it.
    assert "发给报名者的短信" in page and "共和新路居委会。请带好党员证。如需取消或修改" in page

    activity = Activity.objects.get()
    services.signup_create(activity=activity, name="李建国", phone="13900000021", unit="第一支部", group=activity.groups.first())
    text = Notice.objects.get(event="act_confirmed").text
    assert "共和新路居委会。请带好党员证。如需取消或修改，请打开" in text
    # Without a note, the text is the approved one unchanged.
    plain = ActivityFactory()
    services.signup_create(activity=plain, name="王秀英", phone="13900000022")
    assert "芷江新村居委会。如需取消或修改，请打开" in Notice.objects.get(subject__startswith=plain.code).text


@pytest.mark.django_db
def test_the_attendance_list_and_the_figures_the_newsletter_reports(client, programme):
    activity = ActivityFactory(capacity=3, groups=["走访", "门岗"])
    groups = list(activity.groups.all())
    for n in range(4):
        services.signup_create(activity=activity, name=f"党员{chr(0x4E00 + n)}", phone=f"1390000000{n}", group=groups[n % 2])
    worker = make_staff("worker_zj", Role.WORKER, ["zhijiangxincun"])
    sign_in(client, worker)
    present = Signup.objects.filter(status=SignupStatus.CONFIRMED).order_by("id")[:2]
    for signup in present:
        client.post(f"/staff/activities/{activity.code}/signups/{signup.pk}/attendance/", {"present": "1"})
    waiting = Signup.objects.get(status=SignupStatus.WAITLISTED)
    client.post(f"/staff/activities/{activity.code}/signups/{waiting.pk}/attendance/", {"present": "1"})
    assert Signup.objects.filter(attended_at__isnull=False).count() == 2

    page = client.get(f"/staff/activities/{activity.code}/").content.decode()
    assert "报名 3 人（名额 3，候补 1），到场 2 人" in page
    assert "今天的签到二维码" in page and "<svg" in page
    listing = client.get("/staff/activities/").content.decode()
    start = timezone.localtime(activity.starts_at)
    assert f"{start.month}月{start.day}日{activity.title}：报名 3 人，到场 2 人" in listing
    dated = ActivityFactory(title=f"{start.month}月{start.day}日主题党日：永太居民区")
    listing = client.get("/staff/activities/").content.decode()
    assert f"{dated.title}：报名 0 人，到场 0 人" in listing and f"{start.day}日{start.month}月" not in listing

    workbook = client.get(f"/staff/activities/{activity.code}/signups.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[1][1] == "139****0000"

    # Unticking a name takes it off again.
    client.post(f"/staff/activities/{activity.code}/signups/{present[0].pk}/attendance/", {"present": "0"})
    assert Signup.objects.filter(attended_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_calling_an_activity_off_tells_everyone_signed_up(client, programme):
    activity = ActivityFactory(capacity=1)
    services.signup_create(activity=activity, name="王秀英", phone="13900000013")
    services.signup_create(activity=activity, name="李建国", phone="13900000014")
    sign_in(client, make_staff("reviewer", Role.REVIEWER))
    client.post(f"/staff/activities/{activity.code}/cancel/")
    activity.refresh_from_db()
    assert activity.is_cancelled
    assert Notice.objects.filter(event="act_called_off").count() == 2
    assert "这个活动已经取消了" in client.get(f"/activities/{activity.code}/").content.decode()


@pytest.mark.django_db
def test_a_poster_carries_the_sign_up_pages_qr_code(client, programme):
    activity = ActivityFactory()
    page = client.get(f"/activities/{activity.code}/poster/").content.decode()
    assert "<svg" in page and f"/activities/{activity.code}/" in page and "用手机扫码报名" in page


@pytest.mark.django_db
def test_a_partner_lists_open_activities_and_signs_people_up(client, programme):
    partner = issue("yiwangtongban", "partner")
    activity = ActivityFactory(capacity=1, groups=["走访"])
    ActivityFactory(starts_at=timezone.now() - dt.timedelta(days=1))  # over: not listed
    listed = client.get("/api/v1/activities", **partner.headers).json()
    assert [a["code"] for a in listed] == [activity.code] and listed[0]["free"] == 1
    group = listed[0]["groups"][0]["id"]

    url = f"/api/v1/activities/{activity.code}/signups"
    body = {"name": "王秀英", "phone": "13900000013", "group": group}
    made = client.post(url, body, content_type="application/json", **partner.headers)
    assert made.status_code == 201, made.content.decode()
    assert made.json()["status"] == "confirmed" and "/a/" in made.json()["link"]
    assert Signup.objects.get().channel == "partner"

    again = client.post(url, body, content_type="application/json", **partner.headers)
    assert again.status_code == 409 and again.json()["code"] == "already_signed_up"
    full = client.post(url, {**body, "phone": "13900000014"}, content_type="application/json", **partner.headers)
    assert full.status_code == 409 and full.json()["code"] == "activity_full"
    waiting = client.post(
        url, {**body, "phone": "13900000014", "waitlist": True}, content_type="application/json", **partner.headers
    )
    assert waiting.status_code == 201 and waiting.json() == {**waiting.json(), "status": "waitlisted", "waitlist_position": 1}
    invalid = client.post(url, {"name": "", "phone": "123"}, content_type="application/json", **partner.headers)
    assert invalid.status_code == 422 and set(invalid.json()["errors"]) == {"name", "phone", "group"}
    assert client.get("/api/v1/activities").status_code == 401
