"""Queueing a partner's webhook in the transaction of the status change (the SMS outbox pattern).

``webhooks_on_case_event`` subscribes to the case's events (``api.apps``) and so runs inside the
transaction of every transition; the partner's submit (``services.partner_submit``) queues the
first status itself, once the case is linked to the partner. Each writes a row and nothing else: if
the change rolls back, no webhook exists; if it commits, the worker (``api.webhooks``) sends it. It
does nothing for an application no partner submitted, or whose partner has no webhook address.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from jiedao.intake.events import CaseEvent, CaseEventKind

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


def webhooks_on_case_event(event: CaseEvent) -> None:
    if event.kind == CaseEventKind.TRANSITIONED:
        webhook_queue_for(event.application, previous=event.previous_status, note=event.note, now=event.at)
    elif event.kind == CaseEventKind.ANONYMISED:
        # The reviewer's note went to the partner too; retention takes it out of what is kept.
        for delivery in WebhookDelivery.objects.filter(application=event.application).exclude(payload__note=""):
            delivery.payload = {**delivery.payload, "note": ""}
            delivery.save(update_fields=["payload"])
