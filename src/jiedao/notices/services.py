"""Writes of the SMS outbox: queueing a notice, resending a failed one, applying delivery reports.

``notice_queue`` is called inside the transaction that changes the case (``application_submit``,
``application_transition``) and only writes rows: if the transition rolls back, no message exists;
if it commits, the worker will send it. Nothing here talks to a provider. The one free-text
parameter, a reviewer's reason for rejecting, goes through ``redact`` first (names, long numbers,
category and sensitive document names), as a safety net behind the form's warning.

Delivery reports are applied idempotently: a report for a notice that is already delivered or
failed changes nothing, so a report the provider pushes twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.core.errors import DomainError
from jiedao.core.models import AuditAction
from jiedao.intake.models import Category, DocumentType

from .models import FINAL_STATUSES, Event, Notice, NoticeStatus, Recipient
from .templates import EVENT_FOR_STATUS, TEMPLATES, build_params

logger = logging.getLogger(__name__)


def _recipients(application) -> list[tuple[str, str]]:
    recipients = [(Recipient.APPLICANT, application.phone)]
    if application.proxy_phone and application.proxy_phone != application.phone:
        recipients.append((Recipient.PROXY, application.proxy_phone))
    return recipients


def _documents(application) -> str:
    names: list[str] = []
    for document in application.missing_documents.all():
        name = document.sms_name or document.name
        if name not in names:  # two sensitive documents both read 证明材料: say it once
            names.append(name)
    return "、".join(names)


_ID_OR_PHONE = re.compile(r"\d{6,}[\dXx]?")


def redact(text: str, application) -> str:
    """A reviewer's free text made safe for an SMS, in case it names what a notice never may:
    the applicant's or proxy's name and any long number (ID, phone) become ***, a category name
    becomes 特殊对象, a sensitive document's name becomes its SMS name (e.g. 证明材料). The form's
    help text asks reviewers not to write such things; this is the safety net, not the rule."""
    replacements = {name: "***" for name in (application.applicant_name, application.proxy_name) if name}
    for category in Category.objects.filter(programme_id=application.programme_id):
        for name in (category.name, category.name_en):
            if name:
                replacements[name] = "特殊对象"
    for document in DocumentType.objects.filter(programme_id=application.programme_id).exclude(sms_name=""):
        replacements[document.name] = document.sms_name
    for name in sorted(replacements, key=len, reverse=True):  # longest first: 残疾人 before 残疾
        text = text.replace(name, replacements[name])
    return _ID_OR_PHONE.sub("***", text)


def notice_queue(*, application, event: str, reason: str = "", now: dt.datetime | None = None) -> list[Notice]:
    """Write the notice of ``event`` for the applicant (and the proxy) into the outbox."""
    now = now or timezone.now()
    template = TEMPLATES[event]
    values = {"reference": application.reference, "site": settings.JIEDAO_SMS_SITE}
    if "reason" in template.params:
        values["reason"] = redact(reason, application)
    if "documents" in template.params:
        values["documents"] = _documents(application)
    params = build_params(template, values)
    text = template.render(params)
    notices = [
        Notice(
            application=application,
            recipient=recipient,
            phone=phone,
            event=event,
            template_code=template.code,
            params=params,
            text=text,
            created_at=now,
            next_attempt_at=now,
        )
        for recipient, phone in _recipients(application)
        if phone
    ]
    return Notice.objects.bulk_create(notices)


def notice_queue_for_status(*, application, note: str = "", now: dt.datetime | None = None) -> list[Notice]:
    """The notice for the status the case has just reached, if that status matters to the resident."""
    event = EVENT_FOR_STATUS.get(application.status)
    if event is None:
        return []
    return notice_queue(application=application, event=event, reason=note if event == Event.REJECTED else "", now=now)


class NoticeNotResendable(DomainError):
    code = "notice_not_resendable"


def notice_resend(*, notice: Notice, actor, ip: str | None = None, now: dt.datetime | None = None) -> Notice:
    """Queue a failed notice again as a new message (a new id, so never confused with the first)."""
    now = now or timezone.now()
    with transaction.atomic():
        original = Notice.objects.select_for_update().select_related("application").get(pk=notice.pk)
        if original.status != NoticeStatus.FAILED:
            raise NoticeNotResendable(_("只有发送失败的短信才能重发。"))
        if original.resends.exists():
            raise NoticeNotResendable(_("这条短信已经重发过了。"))
        fresh = Notice.objects.create(
            application=original.application,
            recipient=original.recipient,
            phone=original.phone,
            event=original.event,
            template_code=original.template_code,
            params=original.params,
            text=original.text,
            resend_of=original,
            created_at=now,
            next_attempt_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.RESEND_NOTICE,
            reference=original.application.reference,
            ip=ip,
            notice=str(original.pk),
            new_notice=str(fresh.pk),
        )
    return fresh


@dataclass(frozen=True)
class Receipt:
    """One delivery report, whatever the provider's format: which message, and did it arrive."""

    delivered: bool
    notice_id: str = ""
    provider_message_id: str = ""
    error: str = ""
    at: dt.datetime | None = None


def _find(receipt: Receipt):
    queryset = Notice.objects.select_for_update()
    if receipt.notice_id:
        try:
            return queryset.filter(pk=uuid.UUID(str(receipt.notice_id))).first()
        except ValueError:
            return None
    if receipt.provider_message_id:
        return queryset.filter(provider_message_id=receipt.provider_message_id).first()
    return None


def receipt_apply(*, receipts: Iterable[Receipt], now: dt.datetime | None = None) -> dict[str, int]:
    """Record delivery reports: sent → delivered or failed. Returns how many were applied, were
    already final (unchanged) or named no notice of ours (unknown)."""
    now = now or timezone.now()
    counts = {"applied": 0, "unchanged": 0, "unknown": 0}
    for receipt in receipts:
        with transaction.atomic():
            notice = _find(receipt)
            if notice is None:
                counts["unknown"] += 1
                continue
            if notice.status in FINAL_STATUSES:
                counts["unchanged"] += 1
                continue
            at = receipt.at or now
            # A report can overtake the worker's own record of the provider's answer (or settle a
            # send whose outcome was unknown): either way the message is no longer in doubt.
            notice.outcome_unknown = False
            notice.claimed_by, notice.claimed_until = "", None
            if receipt.provider_message_id and not notice.provider_message_id:
                notice.provider_message_id = receipt.provider_message_id[:100]
            if notice.sent_at is None:
                notice.sent_at = at
            if receipt.delivered:
                notice.status, notice.delivered_at = NoticeStatus.DELIVERED, at
            else:
                notice.status, notice.failed_at = NoticeStatus.FAILED, at
                notice.last_error = (receipt.error or "运营商回执：未送达")[:300]
            notice.save()
            counts["applied"] += 1
    if counts["applied"] or counts["unknown"]:
        logger.info("delivery reports: %(applied)d applied, %(unchanged)d unchanged, %(unknown)d unknown", counts)
    return counts
