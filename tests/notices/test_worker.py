"""The worker against the local gateway: outages, throttling, unknown outcomes, crashes and
several workers at once. Time is moved by passing ``now``; nothing sleeps to wait for a retry."""

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from jiedao.intake.lifecycle import Action
from jiedao.notices import worker
from jiedao.notices.models import Notice, NoticeStatus
from jiedao.notices.providers import HttpJsonProvider
from jiedao.intake.transitions import Payment, application_transition
from tests.notices.conftest import GATEWAY_TOKEN, database_url, drain, later, statuses

pytestmark = pytest.mark.django_db


def all_sent_once(gateway):
    ids = {str(pk) for pk in Notice.objects.values_list("pk", flat=True)}
    counts = gateway.ids()
    return set(counts) == ids and set(counts.values()) == {1}


def test_an_outage_of_several_minutes_delays_messages_but_loses_none(sms, gateway, make_case, t0):
    for _ in range(4):
        make_case()
    gateway.stop_listening()
    now = t0
    while now < later(t0, 4 * 60):  # four minutes without a gateway, the worker trying all along
        drain(now)
        now = later(now, 20)
    assert statuses() == {NoticeStatus.QUEUED: 4}
    assert all(n.attempts >= 2 and "无法连接" in n.last_error for n in Notice.objects.all())
    gateway.start()  # back, but overloaded for another three minutes
    gateway.mode = "unavailable"
    while now < later(t0, 7 * 60):
        drain(now)
        now = later(now, 20)
    assert statuses() == {NoticeStatus.QUEUED: 4} and not gateway.accepted
    gateway.mode = "ok"
    while statuses() != {NoticeStatus.SENT: 4} and now < later(t0, 60 * 60):
        drain(now)
        now = later(now, 20)
    assert statuses() == {NoticeStatus.SENT: 4}
    assert all_sent_once(gateway)
    # The retries backed off: far fewer attempts than the worker's rounds.
    assert max(Notice.objects.values_list("attempts", flat=True)) <= 6


def test_retries_back_off_exponentially_with_jitter(sms):
    sms.JIEDAO_SMS_RETRY_BASE_SECONDS, sms.JIEDAO_SMS_RETRY_CAP_SECONDS = 30, 3600
    for attempts, base in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delays = [worker.backoff(attempts).total_seconds() for _ in range(50)]
        assert all(base * 0.5 <= d <= base * 1.5 for d in delays)
        assert len(set(delays)) > 1


def test_a_message_that_cannot_go_out_for_a_day_is_shown_as_failed(sms, gateway, make_case, t0):
    notice = Notice.objects.get(application=make_case())
    gateway.mode = "unavailable"
    now = t0
    while Notice.objects.get().status != NoticeStatus.FAILED and now < later(t0, 2 * 24 * 3600):
        drain(now)
        now = later(now, 600)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    assert later(t0, 24 * 3600) <= notice.failed_at < later(t0, 26 * 3600)
    assert "已停止重试" in notice.last_error and "503" in notice.last_error


def test_a_permanent_failure_stops_at_once(sms, gateway, make_case, t0):
    application = make_case()
    gateway.invalid_phones.add(application.phone)
    drain(t0)
    drain(later(t0, 3600))
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.outcome_unknown) == (NoticeStatus.FAILED, 1, False)
    assert "HTTP 400" in notice.last_error and application.phone not in notice.last_error
    assert [r["method"] for r in gateway.requests] == ["POST"]


def test_throttled_numbers_are_sent_later_in_order(sms, gateway, make_case, reviewer, t0):
    # Made one after another (a microsecond apart, all due by t0), as they are in life: sent in that order.
    made = t0 - dt.timedelta(microseconds=10)
    application = make_case(now=made)
    for step, action in enumerate((Action.START_REVIEW, Action.APPROVE, Action.RECORD_PAYMENT), start=1):
        application = application_transition(
            application=application, action=action, actor=reviewer, now=made + dt.timedelta(microseconds=step),
            payment=Payment(Decimal("3000"), timezone.localdate()) if action == Action.RECORD_PAYMENT else None,
        )
    other = make_case(now=t0)  # another phone is not held up
    drain(t0)
    assert len(gateway.accepted) == 2
    # The case's approval also ended it: a rating link (好差评) waits its turn with the others.
    assert statuses() == {NoticeStatus.SENT: 2, NoticeStatus.QUEUED: 3}
    held = Notice.objects.filter(status=NoticeStatus.QUEUED)
    assert {n.next_attempt_at for n in held} == {later(t0, 60)} and {n.attempts for n in held} == {0}
    drain(later(t0, 59))
    assert len(gateway.accepted) == 2
    drain(later(t0, 60))
    drain(later(t0, 120))
    drain(later(t0, 180))
    assert statuses() == {NoticeStatus.SENT: 5}
    mine = [m["text"] for m in gateway.accepted if m["phone"] == application.phone]
    statuses_said = [text for text in mine if "评价" not in text]
    assert ["受理" in statuses_said[0], "审核通过" in statuses_said[1], "已发放" in statuses_said[2]] == [True, True, True]
    assert len(mine) == 4 and mine[0] == statuses_said[0]
    assert [m["phone"] for m in gateway.accepted].count(other.phone) == 1


def test_a_number_over_its_hourly_limit_waits_for_the_window(sms, gateway, make_case, t0):
    sms.JIEDAO_SMS_PER_NUMBER_LIMITS = [(60, 1), (600, 2)]
    phone = "13911112222"
    for minute in range(3):
        make_case(phone=phone, now=later(t0, 0))
    drain(t0)
    drain(later(t0, 61))
    assert len(gateway.accepted) == 2
    drain(later(t0, 122))
    assert len(gateway.accepted) == 2
    third = Notice.objects.get(status=NoticeStatus.QUEUED)
    assert third.next_attempt_at == later(t0, 600)
    drain(later(t0, 600))
    assert len(gateway.accepted) == 3 and all_sent_once(gateway)


def test_a_gateway_throttling_answer_holds_the_message_back(sms, gateway, make_case, t0):
    make_case()
    gateway.mode = "throttle"
    drain(t0)
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.QUEUED and "429" in notice.last_error
    gateway.mode = "ok"
    drain(notice.next_attempt_at)
    assert Notice.objects.get().status == NoticeStatus.SENT and all_sent_once(gateway)


def test_an_unknown_outcome_is_reconciled_and_never_sent_twice(sms, gateway, make_case, t0):
    make_case()
    gateway.hang = 1.0  # takes the message, answers after the worker stopped waiting
    drain(t0)
    notice = Notice.objects.get()
    assert (notice.status, notice.outcome_unknown, notice.attempts) == (NoticeStatus.SENDING, True, 1)
    drain(later(t0, 30))  # not yet: the provider gets time to file it
    assert len(gateway.requests) == 1
    gateway.hang = 0
    drain(later(t0, sms.JIEDAO_SMS_RECONCILE_DELAY_SECONDS + 1))
    notice.refresh_from_db()
    assert (notice.status, notice.outcome_unknown, notice.attempts) == (NoticeStatus.DELIVERED, False, 1)
    assert [r["method"] for r in gateway.requests] == ["POST", "GET"]
    assert all_sent_once(gateway)


def test_a_worker_that_died_before_sending_leaves_a_message_that_is_sent_once(sms, gateway, make_case, t0):
    make_case()
    name = "crashed-worker"
    [notice_id] = worker.claim(worker=name, now=t0)
    notice = Notice.objects.get(pk=notice_id)
    assert worker._begin_attempt(notice, name, HttpJsonProvider(), t0) == "attempt"
    # ... and the process dies here, before the request left.
    drain(later(t0, 60))  # the lease still holds
    assert not gateway.requests
    drain(later(t0, worker.lease().total_seconds() + 1))
    assert [r["method"] for r in gateway.requests] == ["GET", "POST"]  # asked first: not there, so sent
    assert Notice.objects.get().status == NoticeStatus.SENT and all_sent_once(gateway)


def test_a_provider_that_cannot_tell_leaves_the_message_to_staff_rather_than_risk_a_duplicate(sms, gateway, make_case, t0):
    class Blind(HttpJsonProvider):
        def query(self, notice):
            return None

    make_case()
    gateway.hang = 1.0
    worker.drain(now=t0, provider=Blind())
    gateway.hang = 0
    worker.drain(now=later(t0, sms.JIEDAO_SMS_RECONCILE_DELAY_SECONDS + 1), provider=Blind())
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.FAILED and notice.last_error == "发送结果不明，请核实后手动重发"
    assert all_sent_once(gateway)


def test_a_worker_that_lost_its_lease_records_nothing(sms, gateway, make_case, t0):
    make_case()
    [notice_id] = worker.claim(worker="slow", now=t0)
    assert worker.claim(worker="fast", now=later(t0, worker.lease().total_seconds() + 1)) == [notice_id]
    assert worker.deliver(notice_id, worker="slow", provider=HttpJsonProvider(), now=t0) == "lost"
    assert not gateway.requests


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_the_same_outbox_send_nothing_twice(sms, gateway, make_case):
    sms.JIEDAO_SMS_PER_NUMBER_LIMITS = []
    for _ in range(24):
        make_case()
    gateway.delay = 0.01
    errors = []

    def work():
        try:
            for _ in range(40):
                if not worker.run_once(batch=3):
                    break
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert statuses() == {NoticeStatus.SENT: 24}
    assert all_sent_once(gateway)
    assert len({m["id"] for m in gateway.accepted}) == 24


# A real worker process, killed and restarted.

JIEDAO = Path(sys.executable).with_name("jiedao")


def start_worker(sms, gateway):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JIEDAO_SMS_PROVIDER": "http_json",
        "JIEDAO_SMS_HTTP_URL": gateway.url,
        "JIEDAO_SMS_HTTP_TOKEN": GATEWAY_TOKEN,
        "JIEDAO_SMS_CONNECT_TIMEOUT": "0.5",
        "JIEDAO_SMS_READ_TIMEOUT": "0.5",
        "JIEDAO_SMS_LEASE_SECONDS": "0",  # the shortest safe lease: one call's timeouts + 1 s
        "JIEDAO_SMS_RECONCILE_DELAY_SECONDS": "0",
        "JIEDAO_SMS_PER_NUMBER_LIMITS": "",
        "JIEDAO_SMS_WORKER_IDLE_SECONDS": "0.1",
        "JIEDAO_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [str(JIEDAO), "notices", "work", "--batch", "10"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_and_restarted_sends_every_message_exactly_once(sms, gateway, make_case):
    for _ in range(8):
        make_case()
    gateway.delay = 0.3  # a slow gateway: each message takes a while
    first = start_worker(sms, gateway)
    try:
        assert wait_for(lambda: len(gateway.requests) >= 3, 30), first.stderr.read() if first.poll() is not None else ""
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    # Killed with the third message in flight: claimed but not all sent, one outcome unknown.
    assert len(gateway.accepted) < 8
    assert Notice.objects.filter(status=NoticeStatus.SENDING).exists()
    gateway.delay = 0
    second = start_worker(sms, gateway)
    try:
        # The one in flight is found at the gateway (which reports it delivered), the rest are sent.
        assert wait_for(lambda: statuses() == {NoticeStatus.SENT: 7, NoticeStatus.DELIVERED: 1}, 30), statuses()
        second.send_signal(signal.SIGTERM)  # stops cleanly
        assert second.wait(10) == 0, second.stderr.read()
    finally:
        if second.poll() is None:
            second.kill()
    assert all_sent_once(gateway)
    # The message in flight when the worker died was asked about, not sent again.
    assert collections.Counter(r["method"] for r in gateway.requests) == {"POST": 8, "GET": 1}
