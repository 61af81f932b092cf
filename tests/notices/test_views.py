"""The delivery-report endpoint (nobody can forge a report) and what staff see and do."""

import json

import pytest

from jiedao.core.models import AuditAction, AuditEntry
from jiedao.notices.models import Notice, NoticeStatus
from tests.notices.conftest import RECEIPT_TOKEN, drain, later
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(sms, gateway, make_case, t0):
    make_case()
    drain(t0)
    return Notice.objects.get()


def post_report(client, provider, payload, **extra):
    return client.post(f"/notices/receipts/{provider}/", json.dumps(payload), content_type="application/json", **extra)


BEARER = {"HTTP_AUTHORIZATION": f"Bearer {RECEIPT_TOKEN}"}


def test_a_forged_or_missing_token_is_refused_and_changes_nothing(client, sent):
    report = {"id": str(sent.pk), "status": "failed", "error": "forged"}
    for extra in ({}, {"HTTP_AUTHORIZATION": "Bearer guessed"}, {"HTTP_AUTHORIZATION": RECEIPT_TOKEN}):
        assert post_report(client, "http_json", report, **extra).status_code == 403
    assert client.post("/notices/receipts/http_json/?token=guessed", json.dumps(report), content_type="application/json").status_code == 403
    sent.refresh_from_db()
    assert sent.status == NoticeStatus.SENT


def test_without_a_configured_token_every_report_is_refused(client, sent, sms):
    sms.JIEDAO_SMS_RECEIPT_TOKEN = ""
    assert post_report(client, "http_json", {"id": str(sent.pk), "status": "delivered"}, HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert post_report(client, "http_json", {"id": str(sent.pk), "status": "delivered"}).status_code == 403


def test_a_report_that_arrives_twice_changes_nothing_the_second_time(client, sent):
    report = {"id": str(sent.pk), "status": "delivered", "at": "2026-03-04T10:00:00+08:00"}
    first = post_report(client, "http_json", report, **BEARER)
    assert first.status_code == 200 and first.json() == {"applied": 1, "unchanged": 0, "unknown": 0}
    sent.refresh_from_db()
    delivered_at = sent.delivered_at
    assert sent.status == NoticeStatus.DELIVERED and delivered_at.isoformat() == "2026-03-04T02:00:00+00:00"
    again = post_report(client, "http_json", {**report, "at": "2026-03-05T10:00:00+08:00"}, **BEARER)
    assert again.json() == {"applied": 0, "unchanged": 1, "unknown": 0}
    sent.refresh_from_db()
    assert (sent.status, sent.delivered_at) == (NoticeStatus.DELIVERED, delivered_at)


def test_aliyun_reports_are_taken_with_the_token_in_the_url(client, sms, gateway, make_case, t0):
    delivered, undelivered = (make_case(), make_case())
    drain(t0)
    by_case = {n.application_id: n for n in Notice.objects.all()}
    report = [
        {"phone_number": delivered.phone, "send_time": "2026-03-04 10:00:00", "report_time": "2026-03-04 10:00:05",
         "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
         "biz_id": "gw-1", "out_id": str(by_case[delivered.pk].pk)},
        {"phone_number": undelivered.phone, "send_time": "2026-03-04 10:00:00", "report_time": "2026-03-04 10:00:09",
         "success": False, "err_code": "MK:0001", "err_msg": "空号", "sms_size": "1",
         "biz_id": "gw-2", "out_id": str(by_case[undelivered.pk].pk)},
        {"phone_number": "13800000000", "success": True, "biz_id": "x", "out_id": "00000000-0000-0000-0000-000000000000"},
    ]
    response = client.post(f"/notices/receipts/aliyun/?token={RECEIPT_TOKEN}", json.dumps(report), content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "成功", "applied": 2, "unchanged": 0, "unknown": 1}
    ok, bad = (Notice.objects.get(application=delivered), Notice.objects.get(application=undelivered))
    assert ok.status == NoticeStatus.DELIVERED and ok.delivered_at.isoformat() == "2026-03-04T02:00:05+00:00"
    assert bad.status == NoticeStatus.FAILED and "MK:0001" in bad.last_error


def test_a_malformed_report_is_a_bad_request(client, sent):
    response = client.post("/notices/receipts/http_json/", b"not json", content_type="application/json", **BEARER)
    assert response.status_code == 400
    assert post_report(client, "http_json", {"id": str(sent.pk), "status": "read"}, **BEARER).status_code == 400
    assert post_report(client, "nobody", {}, **BEARER).status_code == 404
    assert client.get("/notices/receipts/http_json/", **BEARER).status_code == 405


# Staff.


@pytest.fixture
def failed(sms, gateway, make_case, t0):
    application = make_case(neighbourhood="zhijiangxincun")
    gateway.invalid_phones.add(application.phone)
    drain(t0)
    notice = Notice.objects.get(application=application)
    assert notice.status == NoticeStatus.FAILED
    return notice


def test_a_permanent_failure_is_shown_on_the_case_page_with_a_resend_button(client, reviewer, failed):
    sign_in(client, reviewer)
    page = client.get(f"/staff/cases/{failed.application.reference}/").content.decode()
    assert "短信通知" in page
    assert failed.text in page and failed.masked_phone in page
    assert "发送失败" in page and "HTTP 400" in page
    assert f"/staff/notices/{failed.pk}/resend/" in page


def test_failed_messages_are_listed_for_staff_who_may_see_the_case(client, reviewer, zj_worker, yt_worker, leader, failed):
    reference = failed.application.reference
    for user, sees, may_resend in ((reviewer, True, True), (zj_worker, True, True), (yt_worker, False, False),
                                   (leader, True, False)):
        sign_in(client, user)
        response = client.get("/staff/notices/failed/")
        assert response.status_code == 200
        page = response.content.decode()
        assert (reference in page) is sees, user
        assert (f"/staff/notices/{failed.pk}/resend/" in page) is may_resend, user
        assert failed.application.phone not in page


def test_resend_from_the_failed_list_queues_a_new_message_and_empties_the_list(client, zj_worker, gateway, failed, t0):
    sign_in(client, zj_worker)
    response = client.post(f"/staff/notices/{failed.pk}/resend/")
    assert response.status_code == 302 and response["Location"] == "/staff/notices/failed/"
    fresh = Notice.objects.get(resend_of=failed)
    assert fresh.status == NoticeStatus.QUEUED
    assert AuditEntry.objects.filter(action=AuditAction.RESEND_NOTICE, actor=zj_worker).count() == 1
    assert failed.application.reference not in client.get("/staff/notices/failed/").content.decode()
    again = client.post(f"/staff/notices/{failed.pk}/resend/", {"return_to": "case"}, follow=True)
    assert "已经重发过" in again.content.decode()
    assert Notice.objects.filter(resend_of=failed).count() == 1
    gateway.invalid_phones.clear()
    drain(later(t0, 60))
    fresh.refresh_from_db()
    assert fresh.status == NoticeStatus.SENT


def test_staff_outside_the_case_or_without_the_right_cannot_resend(client, yt_worker, leader, failed):
    for user in (yt_worker, leader):
        sign_in(client, user)
        assert client.post(f"/staff/notices/{failed.pk}/resend/").status_code == 404
    sign_in(client, yt_worker)
    assert client.get("/staff/notices/failed/").status_code == 200
    assert not Notice.objects.filter(resend_of=failed).exists()
    client.logout()
    assert client.post(f"/staff/notices/{failed.pk}/resend/").status_code == 302  # to the sign-in page


def test_the_reject_form_warns_that_the_reason_goes_out_by_sms(client, reviewer, make_case, sms):
    from jiedao.intake.lifecycle import Action
    from jiedao.intake.transitions import application_transition

    application = application_transition(application=make_case(), action=Action.START_REVIEW, actor=reviewer)
    sign_in(client, reviewer)
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "通过短信发到申请人" in page and "不要写病情、残疾" in page


def test_a_failed_access_code_is_not_listed_for_resending(client, reviewer, failed):
    # A code is worth ten minutes; resending it later would only confuse the resident.
    Notice.objects.filter(pk=failed.pk).update(event="access_code")
    sign_in(client, reviewer)
    page = client.get("/staff/notices/failed/").content.decode()
    assert f"/staff/notices/{failed.pk}/resend/" not in page
