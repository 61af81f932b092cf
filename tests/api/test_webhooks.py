"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, queued with the status change,
retried with backoff until accepted, delivered by the notices worker's loop."""

import datetime as dt
import hashlib
import hmac
import json
import threading

import pytest
from django.utils import timezone

from jiedao.api import webhooks
from jiedao.api.models import DeliveryState, WebhookDelivery
from jiedao.api.services import webhook_register
from jiedao.intake.models import Application
from jiedao.notices import worker as notices_worker
from jiedao.intake.transitions import IllegalTransition, application_transition
from tests.api.conftest import submit


@pytest.fixture(autouse=True)
def receiver_network_allowed(settings):
    """The receiver listens on 127.0.0.1, which webhooks may only reach as an explicit exception."""
    settings.JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def listening(partner, receiver):
    webhook_register(partner.token, url=receiver.url)
    return partner


def later(seconds):
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_each_status_change_is_posted_signed(client, listening, reviewer_token, receiver, programme):
    reference = json.loads(submit(client, listening, programme).content)["reference"]
    client.post(
        f"/api/v1/applications/{reference}/transitions",
        json.dumps({"action": "start_review"}),
        content_type="application/json",
        **reviewer_token.headers,
    )
    assert webhooks.drain(now=later(1)) == {"webhook_sent": 2}
    assert len(receiver.requests) == 2
    secret = listening.token.webhook_secret
    seen = []
    for request in receiver.requests:
        headers, body = request["headers"], request["body"]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Jiedao-Signature"], expected)
        payload = json.loads(body)
        assert headers["X-Jiedao-Delivery"] == payload["id"]
        assert payload["reference"] == reference
        seen.append((payload["previous_status"], payload["status"]))
    assert sorted(seen, key=str) == sorted([(None, "submitted"), ("submitted", "in_review")], key=str)
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    # A forged body does not verify with the secret.
    forged = receiver.requests[0]["body"].replace(b"submitted", b"approved")
    assert "sha256=" + hmac.new(secret.encode(), forged, hashlib.sha256).hexdigest() != receiver.requests[0]["headers"]["X-Jiedao-Signature"]


def test_a_refused_transition_queues_nothing(client, listening, reviewer_token, programme):
    reference = json.loads(submit(client, listening, programme).content)["reference"]
    application = Application.objects.get(reference=reference)
    with pytest.raises(IllegalTransition):
        application_transition(application=application, action="approve", actor=reviewer_token.token.user)
    assert WebhookDelivery.objects.count() == 1  # the submission's only


def test_retried_with_backoff_until_accepted(client, listening, receiver, programme, settings):
    settings.JIEDAO_WEBHOOK_RETRY_BASE_SECONDS = 30
    submit(client, listening, programme)
    receiver.status = 503
    t0 = later(1)
    assert webhooks.drain(now=t0) == {"webhook_retry": 1}
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.QUEUED and delivery.attempts == 1 and "503" in delivery.last_error
    assert t0 + dt.timedelta(seconds=15) <= delivery.next_attempt_at <= t0 + dt.timedelta(seconds=45)
    assert webhooks.drain(now=t0 + dt.timedelta(seconds=1)) == {}  # not due yet
    receiver.stop()  # connection refused
    assert webhooks.drain(now=delivery.next_attempt_at) == {"webhook_retry": 1}
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at >= t0 + dt.timedelta(seconds=30)
    fresh = type(receiver)()
    webhook_register(listening.token, url=fresh.url)  # the partner moves its receiver; a new secret
    try:
        assert webhooks.drain(now=delivery.next_attempt_at) == {"webhook_sent": 1}
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.SENT and delivery.attempts == 3
        [request] = fresh.requests
        assert request["headers"]["X-Jiedao-Delivery"] == str(delivery.pk)
        body = request["body"]
        listening.token.refresh_from_db()
        assert request["headers"]["X-Jiedao-Signature"] == "sha256=" + hmac.new(
            listening.token.webhook_secret.encode(), body, hashlib.sha256
        ).hexdigest()
    finally:
        fresh.stop()
    assert len(receiver.requests) == 1  # the 503


def test_a_timeout_is_retried_and_an_old_delivery_fails(client, listening, receiver, programme, settings):
    settings.JIEDAO_WEBHOOK_TIMEOUT = 0.3
    settings.JIEDAO_WEBHOOK_MAX_AGE_HOURS = 1
    submit(client, listening, programme)
    receiver.status = 500
    assert webhooks.drain(now=later(1)) == {"webhook_retry": 1}
    assert webhooks.drain(now=later(2 * 3600)) == {"webhook_failed": 1}
    assert WebhookDelivery.objects.get().state == DeliveryState.FAILED


def test_nothing_is_queued_without_a_webhook_address(client, partner, programme):
    submit(client, partner, programme)
    assert not WebhookDelivery.objects.exists()


def test_the_notices_worker_loop_delivers_webhooks(client, listening, receiver, programme, settings, tmp_path, monkeypatch):
    settings.JIEDAO_SMS_CONSOLE_FILE = tmp_path / "sms.jsonl"
    # The loop's per-round reconnect would close the test's transaction; one round needs none.
    monkeypatch.setattr(notices_worker, "close_old_connections", lambda: None)
    submit(client, listening, programme)
    stop = threading.Event()
    calls = []

    def round_then_stop(**kwargs):
        calls.append(webhooks.run_once(now=later(1), **kwargs))
        stop.set()
        return calls[-1]

    settings.JIEDAO_WORKER_EXTRA_ROUNDS = ["tests.api.test_webhooks.ROUND"]
    global ROUND
    ROUND = round_then_stop
    notices_worker.loop(stop=stop, idle_seconds=0)
    assert calls == [{"webhook_sent": 1}]
    assert len(receiver.requests) == 1


ROUND = None
