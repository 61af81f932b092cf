"""Each provider against the local gateway (real HTTP): what it sends, and how it reads answers."""

import json
import logging

import pytest

from jiedao.notices.models import Notice, NoticeStatus
from jiedao.notices.providers import (
    AliyunProvider,
    ConsoleProvider,
    Found,
    HttpJsonProvider,
    Outcome,
    get_provider,
)
from tests.notices.conftest import ALIYUN_KEY_ID, ALIYUN_KEY_SECRET, GATEWAY_TOKEN, drain, later

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(sms, make_case):
    return Notice.objects.get(application=make_case())


# The generic HTTP JSON gateway.


def test_http_json_sends_id_phone_template_params_and_text_with_a_bearer_token(gateway, notice):
    result = HttpJsonProvider().send(notice)
    assert result.outcome == Outcome.ACCEPTED and result.provider_message_id == "gw-1"
    [message] = gateway.accepted
    assert message["id"] == str(notice.id)
    assert message["phone"] == notice.phone
    assert message["template"] == notice.template_code and message["params"] == notice.params
    assert message["text"] == notice.text
    assert gateway.requests[0]["authorization"] == f"Bearer {GATEWAY_TOKEN}"


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [
        (lambda g, n: setattr(g, "mode", "unavailable"), Outcome.TEMPORARY),
        (lambda g, n: setattr(g, "mode", "throttle"), Outcome.TEMPORARY),
        (lambda g, n: g.invalid_phones.add(n.phone), Outcome.PERMANENT),
        (lambda g, n: g.stop_listening(), Outcome.TEMPORARY),
        (lambda g, n: setattr(g, "hang", 1.0), Outcome.UNKNOWN),
    ],
    ids=["503", "429", "invalid-number", "connection-refused", "read-timeout-after-sending"],
)
def test_http_json_tells_temporary_permanent_and_unknown_apart(gateway, notice, setup, outcome):
    setup(gateway, notice)
    result = HttpJsonProvider().send(notice)
    assert result.outcome == outcome
    assert notice.phone not in result.error  # errors are kept and logged with the phone masked


def test_http_json_query_finds_what_the_gateway_took_and_only_that(gateway, notice, make_case):
    provider = HttpJsonProvider()
    assert provider.query(notice).state == Found.NOT_FOUND
    provider.send(notice)
    assert provider.query(notice).state == Found.DELIVERED
    gateway.delivered = False
    assert provider.query(notice).state == Found.SENT
    gateway.stop_listening()
    assert provider.query(notice).state == Found.UNAVAILABLE


# Alibaba Cloud SMS, through its official SDK pointed at the local gateway.


def test_aliyun_sends_sign_template_params_and_our_id_as_out_id(sms, gateway, notice):
    result = AliyunProvider().send(notice)
    assert result.outcome == Outcome.ACCEPTED and result.provider_message_id == "gw-1"
    [message] = gateway.accepted
    assert message["via"] == "aliyun"
    assert message["id"] == str(notice.id)
    assert message["phone"] == notice.phone
    assert message["sign"] == sms.JIEDAO_SMS_SIGN_NAME
    assert message["template"] == sms.JIEDAO_SMS_TEMPLATE_CODES["received"]
    assert message["params"] == notice.params == {"reference": notice.application.reference, "site": sms.JIEDAO_SMS_SITE}
    assert gateway.requests[0]["action"] == "SendSms"


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [
        (lambda g, n: g.invalid_phones.add(n.phone), Outcome.PERMANENT),  # isv.MOBILE_NUMBER_ILLEGAL
        (lambda g, n: setattr(g, "mode", "throttle"), Outcome.TEMPORARY),  # isv.BUSINESS_LIMIT_CONTROL
        (lambda g, n: setattr(g, "mode", "unavailable"), Outcome.TEMPORARY),  # HTTP 503
        (lambda g, n: g.stop_listening(), Outcome.TEMPORARY),
        (lambda g, n: setattr(g, "hang", 1.0), Outcome.UNKNOWN),
    ],
    ids=["invalid-number", "throttled", "503", "connection-refused", "read-timeout-after-sending"],
)
def test_aliyun_answers_are_read_as_temporary_permanent_or_unknown(sms, gateway, notice, setup, outcome):
    setup(gateway, notice)
    result = AliyunProvider().send(notice)
    assert result.outcome == outcome, result
    assert notice.phone not in result.error


def test_an_aliyun_send_with_an_unknown_outcome_is_reconciled_by_query_not_sent_again(sms, gateway, notice, t0):
    sms.JIEDAO_SMS_PROVIDER = "aliyun"
    gateway.hang = 1.0  # Aliyun takes the message, the answer never comes in time
    drain(t0)
    notice.refresh_from_db()
    assert (notice.status, notice.outcome_unknown, notice.attempts) == (NoticeStatus.SENDING, True, 1)
    gateway.hang = 0
    drain(later(t0, sms.JIEDAO_SMS_RECONCILE_DELAY_SECONDS + 1))
    notice.refresh_from_db()
    assert (notice.status, notice.outcome_unknown, notice.attempts) == (NoticeStatus.DELIVERED, False, 1)
    assert gateway.ids() == {str(notice.id): 1}
    assert [r["action"] for r in gateway.requests] == ["SendSms", "QuerySendDetails"]


def test_aliyun_query_says_not_found_for_a_message_it_never_took(sms, gateway, notice, make_case):
    provider = AliyunProvider()
    other = Notice.objects.get(application=make_case(phone=notice.phone))
    provider.send(other)
    notice.last_attempt_at = notice.created_at
    assert provider.query(notice).state == Found.NOT_FOUND
    assert provider.query(other).state == Found.DELIVERED


# The console (demo) provider.


def test_console_logs_the_masked_phone_and_keeps_a_record_it_can_be_asked_about(sms, notice, caplog):
    provider = get_provider("console")
    assert isinstance(provider, ConsoleProvider)
    assert provider.query(notice).state == Found.NOT_FOUND
    with caplog.at_level(logging.INFO):
        assert provider.send(notice).outcome == Outcome.ACCEPTED
    assert notice.masked_phone in caplog.text and notice.text in caplog.text
    assert notice.phone not in caplog.text
    [line] = sms.JIEDAO_SMS_CONSOLE_FILE.read_text().splitlines()
    assert json.loads(line)["id"] == str(notice.id) and notice.phone not in line
    assert provider.query(notice).state == Found.SENT


def test_no_credential_or_full_phone_number_reaches_the_logs(sms, gateway, make_case, t0, caplog):
    notices = [Notice.objects.get(application=make_case()) for _ in range(3)]
    gateway.invalid_phones.add(notices[1].phone)
    with caplog.at_level(logging.DEBUG):
        for provider in ("http_json", "aliyun"):
            sms.JIEDAO_SMS_PROVIDER = provider
            for hang in (0, 0.7):  # answered, then answered too late
                gateway.hang = hang
                Notice.objects.update(status=NoticeStatus.QUEUED, next_attempt_at=t0, outcome_unknown=False)
                drain(t0)
    logged = caplog.text + "".join(n.last_error for n in Notice.objects.all())
    assert "failed" in caplog.text and "outcome unknown" in caplog.text
    for secret in (GATEWAY_TOKEN, ALIYUN_KEY_ID, ALIYUN_KEY_SECRET, *(n.phone for n in notices)):
        assert secret not in logged


def test_aliyun_refuses_to_start_without_its_keys(sms):
    sms.JIEDAO_SMS_ALIYUN_ACCESS_KEY_SECRET = ""
    with pytest.raises(RuntimeError, match="ACCESS_KEY"):
        AliyunProvider()
