"""What every durable outbox here shares (SMS notices, partner webhooks): the row's delivery
fields (``OutboxRow``, an abstract model: no table of its own), claiming a batch of due rows under
a lease, and exponential backoff with jitter.

A claim is one short transaction: rows that are queued and due, or "sending" under an expired
lease, become "sending" for this worker until the lease ends. PostgreSQL locks the rows with
``SELECT … FOR UPDATE SKIP LOCKED`` so several workers take disjoint batches; on SQLite the
``BEGIN IMMEDIATE`` write lock serialises claims.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxRow(models.Model):
    """One message to deliver: its id (what the receiver is given, so an answer can always be
    matched), its attempts and the next one's time, the lease of the worker sending it, its last
    error and when it was made, sent or given up. Each outbox adds its state field (with its own
    states) and what it carries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("最近发送时间"), null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("最近的错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    failed_at = models.DateTimeField(_("失败时间"), null=True, blank=True)

    class Meta:
        abstract = True


def outbox_claim(
    model, *, state_field: str, queued: str, sending: str, worker: str, now: dt.datetime, lease: dt.timedelta, batch: int
) -> list:
    with transaction.atomic():
        due = model.objects.filter(
            Q(**{state_field: queued, "next_attempt_at__lte": now})
            | Q(**{state_field: sending, "claimed_until__lte": now})
        ).order_by("next_attempt_at", "created_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        if ids:
            model.objects.filter(pk__in=ids).update(**{state_field: sending}, claimed_by=worker, claimed_until=now + lease)
    return ids


def exponential_backoff(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> dt.timedelta:
    """``min(base·2^(attempts−1), cap)``, times a jitter of 0.5–1.5 so retries do not march in step."""
    delay = min(base * 2 ** max(attempts - 1, 0), cap)
    return dt.timedelta(seconds=delay * (rng or random).uniform(0.5, 1.5))
