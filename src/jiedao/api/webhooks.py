"""Delivering partner webhooks from the outbox: claim, POST signed JSON, record, retry.

Why this runs inside the SMS worker's loop (``jiedao notices work``, started by ``make run``)
rather than as a second process: it is the same durable-outbox mechanism (rows written in the
transaction of the change, claimed under a lease, ``SKIP LOCKED`` on PostgreSQL, compare-and-set
on ``claimed_by`` for every write), so one loop that already runs in every installation delivers
both; the loop calls every function named in ``JIEDAO_WORKER_EXTRA_ROUNDS`` after each SMS round
(a small hook in ``notices.worker.loop``). Nothing to add to ``make run`` or to a process manager.

Unlike an SMS, a webhook may safely arrive twice: every request carries ``X-Jiedao-Delivery`` (the
row's id, also ``id`` in the body) for receivers to drop repeats, so a timeout is simply retried.
Any 2xx is accepted; anything else, a refused connection or a timeout is retried after
``min(base·2^(attempts−1), cap) × jitter(0.5–1.5)``, and given up ("failed") once the delivery is
older than ``JIEDAO_WEBHOOK_MAX_AGE_HOURS``. The body is signed with the token's webhook secret:
``X-Jiedao-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.

Deliveries of one case may overtake each other after a retry: receivers should order by ``at`` or
read ``GET /api/v1/applications/{reference}`` for the state now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import random
import ssl
import threading
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from jiedao.lib import netguard
from jiedao.lib.outbox import exponential_backoff, outbox_claim
from jiedao.notices.worker import worker_name

from .models import DeliveryState, WebhookDelivery

logger = logging.getLogger(__name__)

RELEASED = {"claimed_by": "", "claimed_until": None}


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.JIEDAO_WEBHOOK_TIMEOUT) * 2 + 30)


def backoff(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    return exponential_backoff(
        attempts,
        base=float(settings.JIEDAO_WEBHOOK_RETRY_BASE_SECONDS),
        cap=float(settings.JIEDAO_WEBHOOK_RETRY_CAP_SECONDS),
        rng=rng,
    )


def claim(*, worker: str, now: dt.datetime, batch: int = 20) -> list[uuid.UUID]:
    return outbox_claim(
        WebhookDelivery,
        state_field="state",
        queued=DeliveryState.QUEUED,
        sending=DeliveryState.SENDING,
        worker=worker,
        now=now,
        lease=lease(),
        batch=batch,
    )


def allowed_networks() -> list:
    """The administrator's exceptions to the public-addresses-only rule (see lib.netguard)."""
    return netguard.parse_networks(settings.JIEDAO_WEBHOOK_ALLOWED_PRIVATE_NETWORKS)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    """Connects only to an address that passes ``netguard`` at this moment (see ``post``)."""

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = self._guarded_create_connection
        self._allowed = allowed

    def _guarded_create_connection(self, address, timeout=None, source_address=None):
        host, port = address
        return netguard.guarded_connection(host, port, timeout, allowed=self._allowed)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    # HTTPSConnection.connect() opens the TCP connection through _create_connection and then
    # wraps it with TLS for self.host, so the certificate is still checked against the name.
    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = self._guarded_create_connection
        self._allowed = allowed

    _guarded_create_connection = _GuardedHTTPConnection._guarded_create_connection


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
    """(accepted, error).

    The address is checked again here, on the very address connected to, because DNS may have
    changed since registration. Redirects are not followed (a 3xx is an error): a receiver
    answers where it was registered, and a redirect could point anywhere. No proxy from the
    environment is used, so the check applies to the partner's own address.
    """
    timeout = float(settings.JIEDAO_WEBHOOK_TIMEOUT)
    try:
        scheme, host, port = netguard.url_host_port(url)
    except netguard.AddressRefused as refused:
        return False, f"address refused: {refused}"[:300]
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    allowed = allowed_networks()
    if scheme == "https":
        connection = _GuardedHTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context(), allowed=allowed)
    else:
        connection = _GuardedHTTPConnection(host, port, timeout=timeout, allowed=allowed)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        response.read(65536)  # a little of the answer, so the connection closes cleanly
    except netguard.AddressRefused as refused:
        logger.warning("webhook address refused: %s", refused)
        return False, f"address refused: {refused}"[:300]
    except (OSError, http.client.HTTPException, ValueError) as error:
        return False, f"{type(error).__name__}: {error}"[:300]
    finally:
        connection.close()
    if 200 <= status < 300:
        return True, ""
    return False, f"HTTP {status}"


def deliver(delivery_id, *, worker: str, now: dt.datetime) -> str:
    delivery = (
        WebhookDelivery.objects.select_related("token")
        .filter(pk=delivery_id, claimed_by=worker, state=DeliveryState.SENDING)
        .first()
    )
    if delivery is None:
        return "lost"
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_by=worker, state=DeliveryState.SENDING)
    token = delivery.token
    if not token.webhook_url or token.revoked_at is not None:
        mine.update(state=DeliveryState.FAILED, failed_at=now, last_error="no webhook address", **RELEASED)
        return "failed"
    if not mine.update(attempts=F("attempts") + 1, last_attempt_at=now, claimed_until=now + lease()):
        return "lost"
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Jiedao-Webhook/1",
        "X-Jiedao-Delivery": str(delivery.pk),
        "X-Jiedao-Event": delivery.payload.get("event", ""),
        "X-Jiedao-Signature": sign(body, token.webhook_secret),
    }
    accepted, error = post(token.webhook_url, body, headers)
    if accepted:
        mine.update(state=DeliveryState.SENT, sent_at=now, last_error="", **RELEASED)
        return "sent"
    too_old = now - delivery.created_at >= dt.timedelta(hours=float(settings.JIEDAO_WEBHOOK_MAX_AGE_HOURS))
    if too_old:
        mine.update(state=DeliveryState.FAILED, failed_at=now, last_error=error[:300], **RELEASED)
        logger.warning("webhook %s to %s failed for good: %s", delivery.pk, token.name, error)
        return "failed"
    mine.update(
        state=DeliveryState.QUEUED,
        next_attempt_at=now + backoff(delivery.attempts + 1),
        last_error=error[:300],
        **RELEASED,
    )
    logger.info("webhook %s to %s will be retried: %s", delivery.pk, token.name, error)
    return "retry"


def run_once(*, worker: str | None = None, now: dt.datetime | None = None, stop: threading.Event | None = None, **_ignored) -> dict[str, int]:
    """One round: claim due deliveries and send them. Returns a count per outcome."""
    worker = worker or worker_name()
    now = now or timezone.now()
    ids = claim(worker=worker, now=now)
    counts: dict[str, int] = {}
    for index, delivery_id in enumerate(ids):
        if stop is not None and stop.is_set():
            WebhookDelivery.objects.filter(pk__in=ids[index:], claimed_by=worker, state=DeliveryState.SENDING).update(
                state=DeliveryState.QUEUED, **RELEASED
            )
            break
        try:
            outcome = deliver(delivery_id, worker=worker, now=now)
        except Exception as error:  # noqa: BLE001 - one bad delivery must not stop the others
            logger.error("webhook %s: %r", delivery_id, error)
            outcome = "error"
        key = f"webhook_{outcome}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def drain(*, now: dt.datetime | None = None, rounds: int = 100) -> dict[str, int]:
    """Rounds until nothing is due (tests)."""
    worker = worker_name()
    total: dict[str, int] = {}
    for _round in range(rounds):
        counts = run_once(worker=worker, now=now)
        if not counts:
            break
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total
