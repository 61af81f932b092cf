"""Residents' access: reference + phone show the state only; the details and the upload of
requested documents need the 6-digit code sent by SMS to that phone (issue 7)."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiedao.intake import services
from jiedao.notices import worker
from jiedao.notices.models import AccessCode, Event, Notice, NoticeStatus
from jiedao.notices.services import (
    AccessCodeRateLimited,
    AccessCodeRefused,
    NoticeNotResendable,
    access_code_send,
    access_code_verify,
    access_codes_sweep,
    notice_queue,
    notice_resend,
)
from tests.conftest import photo_bytes, stored_photos_for, valid_answers
from tests.factories import valid_id_number
from tests.intake.conftest import request_hukou

APPLICANT = "13812345678"
PROXY = "13900000013"


@pytest.fixture(autouse=True)
def sms_console(settings, tmp_path):
    settings.JIEDAO_SMS_PROVIDER = "console"
    settings.JIEDAO_SMS_CONSOLE_FILE = tmp_path / "sms.jsonl"
    return settings.JIEDAO_SMS_CONSOLE_FILE


@pytest.fixture
def case(programme):
    answers = valid_answers(who="proxy", proxy_name="李建华", proxy_phone=PROXY, proxy_relationship="child")
    return services.application_submit(
        programme=programme, answers=answers, photos=stored_photos_for(programme, ["disabled"])
    )


@pytest.fixture
def case_needing_hukou(case):
    return request_hukou(case)


def sent_code(phone=APPLICANT) -> str:
    """The code in the newest code SMS to ``phone``, read from the outbox before it is sent."""
    notice = Notice.objects.filter(event=Event.ACCESS_CODE, phone=phone).latest("created_at", "pk")
    return notice.params["code"]


def look_up(client, case, phone=APPLICANT):
    return client.post("/status/", {"reference": case.reference, "phone": phone})


def open_case(client, case, phone=APPLICANT):
    look_up(client, case, phone)
    assert client.post("/status/code/send/")["Location"] == "/status/code/"
    response = client.post("/status/code/", {"code": sent_code(phone)})
    assert response["Location"] == "/status/case/"
    return client.get("/status/case/").content.decode()


# Reference + phone: the state only.


@pytest.mark.django_db
def test_reference_and_phone_show_the_state_but_not_the_history_or_missing_documents(client, case_needing_hukou):
    page = look_up(client, case_needing_hukou).content.decode()
    assert case_needing_hukou.reference in page and "需补充材料" in page
    assert "请补拍户口簿首页和本人页。" not in page and "户口簿" not in page and 'class="timeline"' not in page
    assert "/status/documents/" not in page
    assert "发送验证码到 138****5678 查看详情或补交材料" in page


@pytest.mark.django_db
def test_the_proxys_phone_gets_the_code_sent_to_the_proxy(client, case):
    page = look_up(client, case, PROXY).content.decode()
    assert "发送验证码到 139****0013" in page
    client.post("/status/code/send/")
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    assert notice.phone == PROXY and notice.recipient == "proxy"
    assert not Notice.objects.filter(event=Event.ACCESS_CODE, phone=APPLICANT).exists()


@pytest.mark.django_db
def test_the_code_pages_are_closed_without_a_lookup_first(client, case):
    assert client.get("/status/case/")["Location"] == "/status/"
    assert client.get("/status/code/")["Location"] == "/status/"
    assert client.post("/status/code/send/")["Location"] == "/status/"
    assert not Notice.objects.filter(event=Event.ACCESS_CODE).exists()


# The code opens the details.


@pytest.mark.django_db
def test_the_code_sent_by_sms_opens_the_history_missing_documents_and_upload(client, case_needing_hukou):
    page = open_case(client, case_needing_hukou)
    assert "请补拍户口簿首页和本人页。" in page and "户口簿" in page and 'class="timeline"' in page
    assert 'href="/status/documents/"' in page
    assert "doc_hukou_1" in client.get("/status/documents/").content.decode()


@pytest.mark.django_db
def test_the_code_sms_names_the_reference_and_the_code_and_nothing_personal(client, case):
    look_up(client, case)
    client.post("/status/code/send/")
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    code = notice.params["code"]
    assert re.fullmatch(r"\d{6}", code)
    assert code in notice.text and case.reference in notice.text and "10分钟" in notice.text
    assert "张志远" not in notice.text and "残疾" not in notice.text
    assert notice.template_code == "JIEDAO_ACCESS_CODE"


@pytest.mark.django_db
def test_the_code_page_asks_for_six_digits_with_the_phones_keypad_and_sms_autofill(client, case):
    look_up(client, case)
    client.post("/status/code/send/")
    page = client.get("/status/code/").content.decode()
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", page).group(0)
    # Room for the six digits typed with a space between (123 456), which the check forgives.
    assert 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field and 'maxlength="12"' in field
    assert "验证码已经发送到 138****5678" in page


@pytest.mark.django_db
def test_the_upload_page_needs_a_typed_code_not_just_the_reference_and_phone(client, case_needing_hukou):
    assert client.get("/status/documents/")["Location"] == "/status/"
    look_up(client, case_needing_hukou)
    assert client.get("/status/documents/")["Location"] == "/status/case/"
    upload = SimpleUploadedFile("p.jpg", photo_bytes(seed=1, size=(800, 500)), content_type="image/jpeg")
    assert client.post("/status/documents/", {"doc_hukou_1": upload})["Location"] == "/status/case/"
    assert not case_needing_hukou.documents.filter(supplement=True).exists()


@pytest.mark.django_db
def test_the_open_case_closes_after_thirty_minutes(client, case_needing_hukou):
    open_case(client, case_needing_hukou)
    session = client.session
    session["resident_access"] = {key: until - 1800 for key, until in session["resident_access"].items()}
    session.save()
    page = client.get("/status/case/").content.decode()
    assert "需补充材料" in page and "请补拍户口簿首页和本人页。" not in page
    assert client.get("/status/documents/")["Location"] == "/status/case/"


@pytest.mark.django_db
def test_an_open_case_does_not_open_another_case(client, case_needing_hukou, programme):
    other = services.application_submit(
        programme=programme,
        answers=valid_answers(id_number=valid_id_number("19480202", 77), phone="13700000007"),
        photos=stored_photos_for(programme, ["disabled"]),
    )
    open_case(client, case_needing_hukou)
    page = look_up(client, other, "13700000007").content.decode()
    assert other.reference in page and 'class="timeline"' not in page and "发送验证码到 137****0007" in page


@pytest.mark.django_db
def test_neither_reference_nor_phone_ever_appears_in_a_url(client, case_needing_hukou):
    urls = []

    def collect(response):
        if response.has_header("Location"):
            urls.append(response["Location"])
        urls.extend(re.findall(r'(?:href|action)="([^"]*)"', response.content.decode()))
        return response

    collect(look_up(client, case_needing_hukou))
    collect(client.post("/status/code/send/"))
    collect(client.get("/status/code/"))
    collect(client.post("/status/code/", {"code": "000000" if sent_code() != "000000" else "111111"}))
    collect(client.post("/status/code/", {"code": sent_code()}))
    collect(client.get("/status/case/"))
    collect(client.get("/status/documents/"))
    assert "/status/documents/" in urls
    for url in urls:
        assert case_needing_hukou.reference.lower() not in url.lower() and APPLICANT not in url and "13812" not in url


# Single use, expiry, attempts.


@pytest.mark.django_db
def test_only_a_keyed_hash_of_the_code_is_stored(case):
    code = access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    plain = sent_code()
    assert len(code.code_hash) == 64 and plain not in code.code_hash
    assert all(plain not in str(getattr(code, field.attname)) for field in AccessCode._meta.concrete_fields if field.attname != "notice_id")


@pytest.mark.django_db
def test_a_code_opens_the_case_once_only(case):
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    code = sent_code()
    assert access_code_verify(application=case, phone=APPLICANT, code=code).used_at is not None
    with pytest.raises(AccessCodeRefused) as refused:
        access_code_verify(application=case, phone=APPLICANT, code=code)
    assert refused.value.code == "access_code_missing"


@pytest.mark.django_db
def test_a_code_is_valid_for_ten_minutes(case):
    now = timezone.now()
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1", now=now)
    with pytest.raises(AccessCodeRefused) as refused:
        access_code_verify(application=case, phone=APPLICANT, code=sent_code(), now=now + dt.timedelta(minutes=10))
    assert refused.value.code == "access_code_expired" and "已过期" in str(refused.value)
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.2", now=now + dt.timedelta(minutes=11))
    later = now + dt.timedelta(minutes=20, seconds=59)
    assert access_code_verify(application=case, phone=APPLICANT, code=sent_code(), now=later)


@pytest.mark.django_db
def test_a_code_for_one_phone_does_not_open_the_case_for_the_other_phone(case):
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    with pytest.raises(AccessCodeRefused):
        access_code_verify(application=case, phone=PROXY, code=sent_code(APPLICANT))


@pytest.mark.django_db
def test_five_wrong_codes_kill_the_code(case):
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    right = sent_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    messages = []
    for _attempt in range(5):
        with pytest.raises(AccessCodeRefused) as refused:
            access_code_verify(application=case, phone=APPLICANT, code=wrong)
        messages.append((refused.value.code, str(refused.value)))
    assert messages[0] == ("access_code_wrong", "验证码不对，请核对短信里的6位数字。还可以再试 4 次。")
    assert messages[3][1].endswith("还可以再试 1 次。")
    assert messages[4][0] == "access_code_too_many"
    with pytest.raises(AccessCodeRefused) as refused:
        access_code_verify(application=case, phone=APPLICANT, code=right)
    assert refused.value.code == "access_code_too_many" and "作废" in str(refused.value)


@pytest.mark.django_db
def test_something_that_is_not_six_digits_is_not_counted_as_a_try(case):
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    # Full-width digits are read as digits (a Chinese keyboard types them): five of them are still five.
    for typed in ("12345", "abcdef", "1234567", "１２３４５", "12345６7"):
        with pytest.raises(AccessCodeRefused) as refused:
            access_code_verify(application=case, phone=APPLICANT, code=typed)
        assert refused.value.code == "access_code_format"
    assert AccessCode.objects.get().attempts == 0
    assert access_code_verify(application=case, phone=APPLICANT, code=" ".join(sent_code()))  # spaces are forgiven


@pytest.mark.django_db
def test_a_wrong_code_is_explained_and_what_was_typed_stays_in_the_box(client, case):
    look_up(client, case)
    client.post("/status/code/send/")
    wrong = "000000" if sent_code() != "000000" else "111111"
    page = client.post("/status/code/", {"code": wrong}).content.decode()
    assert "验证码不对" in page and "还可以再试 4 次" in page
    assert f'value="{wrong}"' in page


@pytest.mark.django_db
def test_an_expired_code_says_so_on_the_page(client, case):
    look_up(client, case)
    client.post("/status/code/send/")
    AccessCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = client.post("/status/code/", {"code": sent_code()}).content.decode()
    assert "验证码已过期" in page and "重新发送验证码到 138****5678" in page


# Rate limits.


@pytest.mark.django_db
def test_a_second_code_within_a_minute_is_refused_with_the_wait_in_minutes(client, case):
    look_up(client, case)
    client.post("/status/code/send/")
    response = client.post("/status/code/send/")
    assert response.status_code == 429
    page = response.content.decode()
    assert "发送太频繁，请 1 分钟后再试。" in page
    assert 'name="code"' in page  # the code already sent can still be typed in
    assert Notice.objects.filter(event=Event.ACCESS_CODE).count() == 1


@pytest.mark.django_db
def test_codes_to_one_phone_are_limited_per_hour(case, settings):
    settings.JIEDAO_ACCESS_CODE_PHONE_LIMITS = "3600:5"
    for n in range(5):
        access_code_send(application=case, phone=APPLICANT, address=f"10.0.0.{n}")
    with pytest.raises(AccessCodeRateLimited) as limited:
        access_code_send(application=case, phone=APPLICANT, address="10.0.0.99")
    assert 54 <= limited.value.retry_minutes <= 62  # about an hour (the window, give or take a tenth)
    assert f"请 {limited.value.retry_minutes} 分钟后再试" in str(limited.value)
    access_code_send(application=case, phone=PROXY, address="10.0.0.99")  # another phone is not held up


@pytest.mark.django_db
def test_codes_asked_for_from_one_address_are_limited(client, case, programme, settings):
    settings.JIEDAO_ACCESS_CODE_ADDRESS_LIMITS = "3600:2"
    settings.JIEDAO_ACCESS_CODE_PHONE_LIMITS = ""  # only the address counts here
    access_code_send(application=case, phone=APPLICANT, address="203.0.113.7")
    access_code_send(application=case, phone=PROXY, address="203.0.113.7")
    look_up(client, case)
    response = client.post("/status/code/send/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429 and "分钟后再试" in response.content.decode()
    assert client.post("/status/code/send/", REMOTE_ADDR="198.51.100.1").status_code == 302


@pytest.mark.django_db
def test_a_refused_send_does_not_use_up_the_other_limit(case, settings):
    settings.JIEDAO_ACCESS_CODE_PHONE_LIMITS = "60:1"
    settings.JIEDAO_ACCESS_CODE_ADDRESS_LIMITS = "3600:2"
    access_code_send(application=case, phone=APPLICANT, address="203.0.113.7")
    for _try in range(3):
        with pytest.raises(AccessCodeRateLimited):
            access_code_send(application=case, phone=APPLICANT, address="203.0.113.7")
    access_code_send(application=case, phone=PROXY, address="203.0.113.7")  # the address's 2nd, not its 5th


@pytest.mark.django_db
def test_too_many_wrong_lookups_from_one_address_pause_the_lookup_and_keep_what_was_typed(client, case, settings):
    settings.JIEDAO_STATUS_LOOKUP_ADDRESS_LIMITS = "600:3"
    for n in range(3):
        assert "没有找到" in client.post("/status/", {"reference": case.reference, "phone": f"1370000000{n}"}).content.decode()
    response = look_up(client, case)  # even the right pair waits
    assert response.status_code == 429
    page = response.content.decode()
    assert "查询太频繁，请" in page and "分钟后再试" in page
    assert f'value="{case.reference}"' in page and f'value="{APPLICANT}"' in page
    assert look_up(client, case, APPLICANT).status_code == 429
    assert client.post("/status/", {"reference": case.reference, "phone": APPLICANT}, REMOTE_ADDR="198.51.100.1").status_code == 200


# The SMS: sent at once, and the plain code does not stay in the database.


@pytest.mark.django_db
def test_the_plain_code_leaves_the_outbox_once_the_sms_is_sent(case, sms_console):
    Notice.objects.update(status=NoticeStatus.SENT)  # the case's own notices are not the point here
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    code = sent_code()
    assert worker.drain() == {"sent": 1}
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    assert notice.status == NoticeStatus.SENT
    assert notice.params["code"] == "******" and code not in notice.text and "验证码******" in notice.text
    assert code in sms_console.read_text()  # the demo's "phone" got it
    assert access_code_verify(application=case, phone=APPLICANT, code=code)  # and it still works


@pytest.mark.django_db
def test_progress_notice_limits_neither_hold_back_a_code_nor_count_it(case, settings):
    settings.JIEDAO_SMS_PER_NUMBER_LIMITS = [(3600, 1)]
    now = timezone.now()
    assert worker.drain(now=now) == {"sent": 2}  # the "received" notices of the case, one per phone
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1", now=now)
    assert worker.drain(now=now) == {"sent": 1}  # the code is not held back by the hourly limit
    Notice.objects.filter(event=Event.RECEIVED).delete()
    notice_queue(application=case, event=Event.APPROVED, now=now)
    assert worker.drain(now=now) == {"sent": 2}  # and the code did not use up the hour


@pytest.mark.django_db
def test_a_code_not_sent_within_ten_minutes_is_failed_not_sent_late(case, sms_console):
    now = timezone.now()
    Notice.objects.update(status=NoticeStatus.SENT)  # the case's own notices are not the point here
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1", now=now)
    code = sent_code()
    assert worker.drain(now=now + dt.timedelta(minutes=10)) == {"failed": 1}
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    assert notice.status == NoticeStatus.FAILED and notice.last_error == "验证码已过期，未发送"
    assert code not in notice.text and notice.params["code"] == "******"
    assert not sms_console.exists() or code not in sms_console.read_text()


@pytest.mark.django_db
def test_the_sweep_fails_unsent_expired_codes_masks_them_and_forgets_old_codes(case):
    now = timezone.now()
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1", now=now - dt.timedelta(days=2))
    access_code_send(application=case, phone=PROXY, address="10.0.0.1", now=now - dt.timedelta(minutes=11))
    fresh = access_code_send(application=case, phone=APPLICANT, address="10.0.0.2", now=now)
    counts = access_codes_sweep(now=now)
    assert counts == {"access_code_expired": 2, "access_code_masked": 2, "access_code_deleted": 1}
    codes = Notice.objects.filter(event=Event.ACCESS_CODE)
    assert [n.params["code"] for n in codes.exclude(pk=fresh.notice_id)] == ["******", "******"]
    assert codes.get(pk=fresh.notice_id).status == NoticeStatus.QUEUED
    assert codes.get(pk=fresh.notice_id).params["code"] != "******"  # still to be sent
    assert AccessCode.objects.count() == 2
    assert access_codes_sweep(now=now) == {}


@pytest.mark.django_db
def test_staff_cannot_resend_a_failed_code_sms(case):
    staff = get_user_model().objects.create_user("admin", is_staff=True)
    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1")
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.FAILED)
    notice.refresh_from_db()
    with pytest.raises(NoticeNotResendable):
        notice_resend(notice=notice, actor=staff)


@pytest.mark.django_db
def test_the_status_pages_work_in_english(client, case):
    look_up(client, case)
    client.post("/status/code/send/")
    page = client.get("/en/status/code/").content.decode()
    assert 'name="code"' in page


@pytest.mark.django_db
def test_the_sending_workers_loop_runs_the_code_sweep(case, settings):
    from django.utils.module_loading import import_string

    access_code_send(application=case, phone=APPLICANT, address="10.0.0.1", now=timezone.now() - dt.timedelta(minutes=11))
    for path in settings.JIEDAO_WORKER_EXTRA_ROUNDS:  # what `jiedao notices work` runs after each SMS round
        import_string(path)(worker="test-worker", stop=None)
    notice = Notice.objects.get(event=Event.ACCESS_CODE)
    assert notice.status == NoticeStatus.FAILED and notice.params["code"] == "******"


@pytest.mark.django_db
def test_the_demo_says_where_its_texts_go_since_no_sms_is_really_sent(client, case, sms_console):
    look_up(client, case)
    client.post("/status/code/send/")
    assert str(sms_console) in client.get("/status/code/").content.decode()
