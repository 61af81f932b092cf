"""The sending worker: claim a batch of due notices, deliver each, record what happened.

- **Claim** (one short transaction): notices that are queued and due, or "sending" under an
  expired lease, become "sending", ``claimed_by`` this worker until ``claimed_until``. PostgreSQL
  locks the rows with ``SELECT … FOR UPDATE SKIP LOCKED``, so several workers take disjoint
  batches; on SQLite the ``BEGIN IMMEDIATE`` write lock serialises claims.
- **Deliver**, per notice: every write is a compare-and-set on ``claimed_by`` and status, so a
  worker that lost its lease changes nothing. Before calling the provider, ``outcome_unknown`` is
  committed True together with the attempt count and a fresh lease (which is always longer than
  the connect + read timeouts, so a lease cannot expire while its call is still in flight). A
  notice whose previous outcome is unknown (a read timeout, a worker killed mid-call) is first
  reconciled through the provider's status query: found → recorded, never sent again; not found →
  sent; the provider cannot tell → failed with "发送结果不明，请核实后手动重发" for staff rather than
  risk a duplicate.
- **Per-number limits** (``JIEDAO_SMS_PER_NUMBER_LIMITS``, e.g. one a minute, five an hour, ten a
  day) count attempts that may have reached the phone; a notice over a limit goes back to the
  queue until the window allows it: held back, never dropped. On PostgreSQL the check and the
  attempt run under an advisory lock per phone, so two workers cannot both pass it. Access codes
  (which a resident is waiting for, and which ``access_code_send`` rate-limits itself) are
  neither held back by these limits nor counted by them.
- **Access codes** are sent only within their validity: one claimed after it is failed as
  expired, and the plain code in the row is masked once the message is sent or failed.
- **Outcomes**: accepted → sent; permanent → failed at once; temporary → queued again after
  ``min(base·2^(attempts−1), cap) × jitter(0.5–1.5)``, failed once the notice is older than the
  maximum age; unknown → left "sending" with its lease pushed out by the reconcile delay, so it is
  reconciled later (a delivery report arriving meanwhile settles it first).

Every function takes ``now`` so tests move time without sleeping; ``None`` means the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import secrets
import socket
import threading
import uuid

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from jiedao.lib.outbox import exponential_backoff, outbox_claim

from .models import Event, Notice, NoticeStatus
from .providers import (
    Found,
    Outcome,
    Provider,
    QueryResult,
    SendResult,
    get_provider,
    scrub,
)
from .templates import ACCESS_CODE_EXPIRED

logger = logging.getLogger(__name__)

UNKNOWN_OUTCOME = "发送结果不明，请核实后手动重发"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:100]


def _clock(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def lease() -> dt.timedelta:
    """How long a claim holds: never shorter than one provider call can take."""
    call = float(settings.JIEDAO_SMS_CONNECT_TIMEOUT) + float(settings.JIEDAO_SMS_READ_TIMEOUT)
    return dt.timedelta(seconds=max(float(settings.JIEDAO_SMS_LEASE_SECONDS), call + 1))


def backoff(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    return exponential_backoff(
        attempts,
        base=float(settings.JIEDAO_SMS_RETRY_BASE_SECONDS),
        cap=float(settings.JIEDAO_SMS_RETRY_CAP_SECONDS),
        rng=rng,
    )


def _too_old(notice: Notice, now: dt.datetime) -> bool:
    return now - notice.created_at >= dt.timedelta(hours=float(settings.JIEDAO_SMS_MAX_AGE_HOURS))


# Claiming.


def claim(*, worker: str, now: dt.datetime | None = None, batch: int | None = None) -> list[uuid.UUID]:
    return outbox_claim(
        Notice,
        state_field="status",
        queued=NoticeStatus.QUEUED,
        sending=NoticeStatus.SENDING,
        worker=worker,
        now=_clock(now),
        lease=lease(),
        batch=batch or settings.JIEDAO_SMS_BATCH,
    )


def release(ids, *, worker: str) -> int:
    """Give back claimed notices this worker has not started (a clean shutdown)."""
    return Notice.objects.filter(pk__in=ids, claimed_by=worker, status=NoticeStatus.SENDING, outcome_unknown=False).update(
        status=NoticeStatus.QUEUED, claimed_by="", claimed_until=None
    )


# Per-number limits.


def _lock_phone(phone: str) -> None:
    """Serialise the per-number check per phone (PostgreSQL; SQLite's write lock already does)."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.blake2b(f"jiedao-sms:{phone}".encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def held_until(notice: Notice, now: dt.datetime) -> dt.datetime | None:
    """When the phone's limits allow another message, or None if they allow one now."""
    limits = [(dt.timedelta(seconds=seconds), count) for seconds, count in settings.JIEDAO_SMS_PER_NUMBER_LIMITS if count > 0]
    if not limits or notice.event == Event.ACCESS_CODE:
        return None
    longest = max(window for window, _count in limits)
    recent = sorted(
        Notice.objects.filter(
            phone=notice.phone,
            status__in=[NoticeStatus.SENDING, NoticeStatus.SENT, NoticeStatus.DELIVERED],
            last_attempt_at__gt=now - longest,
            last_attempt_at__lte=now,
        )
        .exclude(pk=notice.pk)
        .exclude(event=Event.ACCESS_CODE)
        .values_list("last_attempt_at", flat=True),
        reverse=True,
    )
    until = None
    for window, count in limits:
        inside = [at for at in recent if at > now - window]
        if len(inside) >= count:
            free_at = inside[count - 1] + window
            until = free_at if until is None else max(until, free_at)
    return until


# Delivering one notice.


def _mine(notice: Notice, worker: str):
    return Notice.objects.filter(pk=notice.pk, claimed_by=worker, status=NoticeStatus.SENDING)


RELEASED = {"claimed_by": "", "claimed_until": None}


def _fail(notice: Notice, worker: str, now: dt.datetime, error: str) -> str:
    _mine(notice, worker).update(
        status=NoticeStatus.FAILED, failed_at=now, last_error=error[:300], outcome_unknown=False, **RELEASED
    )
    logger.warning("notice %s to %s failed: %s", notice.pk, notice.masked_phone, error)
    return "failed"


def _begin_attempt(notice: Notice, worker: str, provider: Provider, now: dt.datetime) -> str:
    with transaction.atomic():
        _lock_phone(notice.phone)
        if hold := held_until(notice, now):
            changed = _mine(notice, worker).update(
                status=NoticeStatus.QUEUED, next_attempt_at=hold, outcome_unknown=False, **RELEASED
            )
            return "held" if changed else "lost"
        changed = _mine(notice, worker).update(
            outcome_unknown=True,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            claimed_until=now + lease(),
            provider=provider.name,
        )
    return "attempt" if changed else "lost"


def _record_send(notice: Notice, worker: str, result: SendResult, now: dt.datetime) -> str:
    attempts = notice.attempts + 1
    mine = _mine(notice, worker)
    if result.outcome == Outcome.ACCEPTED:
        mine.update(
            status=NoticeStatus.SENT,
            sent_at=now,
            provider_message_id=result.provider_message_id,
            last_error="",
            outcome_unknown=False,
            **RELEASED,
        )
        logger.info("notice %s to %s accepted by %s", notice.pk, notice.masked_phone, notice.provider or "provider")
        return "sent"
    if result.outcome == Outcome.PERMANENT:
        return _fail(notice, worker, now, result.error or "运营商拒绝发送")
    if result.outcome == Outcome.TEMPORARY:
        if _too_old(notice, now):
            return _fail(
                notice,
                worker,
                now,
                f"{result.error}；{settings.JIEDAO_SMS_MAX_AGE_HOURS}小时内重试{attempts}次仍未发出，已停止重试",
            )
        mine.update(
            status=NoticeStatus.QUEUED,
            next_attempt_at=now + backoff(attempts),
            last_error=result.error[:300],
            outcome_unknown=False,
            **RELEASED,
        )
        logger.info("notice %s to %s will be retried: %s", notice.pk, notice.masked_phone, result.error)
        return "retry"
    # Unknown: the provider may have it. Reconcile later, never resend blindly.
    mine.update(
        claimed_by="",
        claimed_until=now + dt.timedelta(seconds=float(settings.JIEDAO_SMS_RECONCILE_DELAY_SECONDS)),
        last_error=result.error[:300],
    )
    logger.warning("notice %s to %s: outcome unknown (%s), will reconcile", notice.pk, notice.masked_phone, result.error)
    return "unknown"


def _record_found(notice: Notice, worker: str, found: QueryResult, now: dt.datetime) -> str:
    fields = {"outcome_unknown": False, **RELEASED}
    if found.provider_message_id:
        fields["provider_message_id"] = found.provider_message_id
    sent_at = notice.last_attempt_at or now
    if found.state == Found.DELIVERED:
        fields.update(status=NoticeStatus.DELIVERED, sent_at=sent_at, delivered_at=now, last_error="")
    elif found.state == Found.FAILED:
        fields.update(status=NoticeStatus.FAILED, sent_at=sent_at, failed_at=now, last_error=found.error[:300])
    else:
        fields.update(status=NoticeStatus.SENT, sent_at=sent_at, last_error="")
    _mine(notice, worker).update(**fields)
    logger.info("notice %s to %s reconciled: the provider has it (%s)", notice.pk, notice.masked_phone, found.state)
    return f"reconciled_{found.state}"


def _reconcile(notice: Notice, worker: str, provider: Provider, now: dt.datetime) -> str | None:
    """Settle an earlier attempt whose outcome is unknown; None means "not found: send it"."""
    checker = provider if notice.provider in ("", provider.name) else get_provider(notice.provider)
    found = checker.query(notice)
    if found is None:
        return _fail(notice, worker, now, UNKNOWN_OUTCOME)
    if found.state == Found.NOT_FOUND:
        return None
    if found.state == Found.UNAVAILABLE:
        if _too_old(notice, now):
            return _fail(notice, worker, now, UNKNOWN_OUTCOME)
        _mine(notice, worker).update(
            claimed_by="",
            claimed_until=now + dt.timedelta(seconds=float(settings.JIEDAO_SMS_RECONCILE_DELAY_SECONDS)),
            last_error=found.error[:300],
        )
        return "reconcile_later"
    return _record_found(notice, worker, found, now)


def deliver(notice_id, *, worker: str, provider: Provider, now: dt.datetime | None = None) -> str:
    """Deliver one claimed notice; returns what happened (for logs and tests)."""
    notice = Notice.objects.filter(pk=notice_id, claimed_by=worker, status=NoticeStatus.SENDING).first()
    if notice is None:
        return "lost"
    outcome = _deliver(notice, worker, provider, _clock(now))
    if notice.event == Event.ACCESS_CODE:
        from .services import access_code_notice_mask  # services imports the intake app

        access_code_notice_mask([notice.pk], only_settled=True)
    return outcome


def _deliver(notice: Notice, worker: str, provider: Provider, now: dt.datetime) -> str:
    if notice.outcome_unknown:
        settled = _reconcile(notice, worker, provider, now)
        if settled is not None:
            return settled
    if notice.event == Event.ACCESS_CODE and now - notice.created_at >= dt.timedelta(
        seconds=settings.JIEDAO_ACCESS_CODE_TTL_SECONDS
    ):
        return _fail(notice, worker, now, ACCESS_CODE_EXPIRED)
    started = _begin_attempt(notice, worker, provider, now)
    if started != "attempt":
        return started
    notice.provider = provider.name
    result = provider.send(notice)
    return _record_send(notice, worker, result, now)


# Rounds and the loop.


def run_once(
    *,
    worker: str | None = None,
    provider: Provider | None = None,
    now: dt.datetime | None = None,
    batch: int | None = None,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """One round: claim a batch and deliver it. Returns a count per outcome."""
    worker = worker or worker_name()
    provider = provider or get_provider()
    ids = claim(worker=worker, now=now, batch=batch)
    counts: dict[str, int] = {}
    for index, notice_id in enumerate(ids):
        if stop is not None and stop.is_set():
            release(ids[index:], worker=worker)
            break
        try:
            outcome = deliver(notice_id, worker=worker, provider=provider, now=now)
        except DatabaseError:
            raise
        except Exception as error:  # noqa: BLE001 - one bad notice must not stop the others
            logger.error("notice %s: %s", notice_id, scrub(repr(error)))
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def drain(*, now: dt.datetime | None = None, batch: int | None = None, provider: Provider | None = None, rounds: int = 1000) -> dict[str, int]:
    """Rounds until nothing is due (``jiedao notices work --once``; tests)."""
    worker = worker_name()
    provider = provider or get_provider()
    total: dict[str, int] = {}
    for _round in range(rounds):
        counts = run_once(worker=worker, provider=provider, now=now, batch=batch)
        if not counts:
            break
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def loop(*, stop: threading.Event, batch: int | None = None, idle_seconds: float | None = None) -> None:
    """Send until ``stop`` is set, sleeping briefly when nothing is due."""
    worker = worker_name()
    provider = get_provider()
    idle = float(settings.JIEDAO_SMS_WORKER_IDLE_SECONDS if idle_seconds is None else idle_seconds)
    extra_rounds = [import_string(path) for path in getattr(settings, "JIEDAO_WORKER_EXTRA_ROUNDS", ())]
    logger.info("SMS worker %s started (provider %s)", worker, provider.name)
    while not stop.is_set():
        close_old_connections()
        try:
            counts = run_once(worker=worker, provider=provider, batch=batch, stop=stop)
            # Other outboxes of the same pattern (partner webhooks) ride on this loop.
            for extra_round in extra_rounds:
                counts.update(extra_round(worker=worker, stop=stop))
        except DatabaseError as error:
            logger.error("SMS worker: database error, will retry: %s", scrub(str(error)))
            counts = {}
            stop.wait(idle)
        if not counts:
            stop.wait(idle)
    logger.info("SMS worker %s stopped", worker)
