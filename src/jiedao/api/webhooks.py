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
import json
import logging
import random
import threading
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from jiedao.notices.worker import worker_name

from jiedao.core.outbox import exponential_backoff, outbox_claim

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


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
    """(accepted, error). Redirects are not followed: a receiver answers where it was registered."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=float(settings.JIEDAO_WEBHOOK_TIMEOUT)) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return False, f"{type(error).__name__}: {getattr(error, 'reason', error)}"[:300]
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
