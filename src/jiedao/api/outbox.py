"""Queueing a partner's webhook in the transaction of the status change (the SMS outbox pattern).

``webhook_queue_for`` is the one call the services make (``review.services._move`` for every
transition, the API's submit for the first status). It writes a row and nothing else: if the
change rolls back, no webhook exists; if it commits, the worker (``api.webhooks``) sends it. It
does nothing for an application no partner submitted, or whose partner has no webhook address.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from .models import WebhookDelivery

EVENT = "application.status_changed"


def webhook_queue_for(application, *, previous: str = "", note: str = "", now: dt.datetime | None = None):
    """Queue "the case is now ``application.status``" for the submitting partner, if it listens."""
    link = getattr(application, "api_submission", None) if application.pk else None
    if link is None:
        return None
    token = link.token
    if not token.webhook_url or token.revoked_at is not None:
        return None
    now = now or timezone.now()
    delivery_id = uuid.uuid4()
    payload = {
        "id": str(delivery_id),
        "event": EVENT,
        "reference": application.reference,
        "status": application.status,
        "previous_status": previous or None,
        "at": timezone.localtime(now).isoformat(),
        "note": note,
    }
    return WebhookDelivery.objects.create(
        id=delivery_id,
        token=token,
        application=application,
        status=application.status,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )
