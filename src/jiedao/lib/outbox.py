"""What every durable outbox here shares (SMS notices, partner webhooks): claiming a batch of due
rows under a lease, and exponential backoff with jitter.

A claim is one short transaction: rows that are queued and due, or "sending" under an expired
lease, become "sending" for this worker until the lease ends. PostgreSQL locks the rows with
``SELECT … FOR UPDATE SKIP LOCKED`` so several workers take disjoint batches; on SQLite the
``BEGIN IMMEDIATE`` write lock serialises claims.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import connection, transaction
from django.db.models import Q


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
