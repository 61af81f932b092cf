"""Writes of the SMS outbox: queueing a notice, resending a failed one, applying delivery reports.

``notice_queue`` is called inside the transaction that changes the case (by ``intake.sms``, which
subscribes to the case's events) and only writes rows: if the change rolls back, no message
exists; if it commits, the worker will send it. Nothing here talks to a provider, and nothing here
knows a service: which event sends which text with which values is the service's (``intake.sms``).

Delivery reports are applied idempotently: a report for a notice that is already delivered or
failed changes nothing, so a report the provider pushes twice is harmless.

Residents' access codes (``access_code_send``, ``access_code_verify``): a 6-digit code sent to a
phone of the case opens its details on the status page. Sending is rate-limited per phone and per
client address in the shared cache (``jiedao.lib.ratelimit``); only a keyed hash of the code is
stored, and the SMS row carrying the plain code is masked once it is sent, failed or expired.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction
from jiedao.lib.errors import DomainError
from jiedao.lib.normalize import normalize_code, normalize_phone
from jiedao.lib.ratelimit import Limit, Rate, address_key, hashed, rate_limit_hit

from .models import FINAL_STATUSES, AccessCode, Event, Notice, NoticeStatus, Recipient
from .templates import (
    ACCESS_CODE_EXPIRED,
    MASKED_CODE,
    TEMPLATES,
    build_params,
)

logger = logging.getLogger(__name__)


def _recipients(application) -> list[tuple[str, str]]:
    recipients = [(Recipient.APPLICANT, application.phone)]
    if application.proxy_phone and application.proxy_phone != application.phone:
        recipients.append((Recipient.PROXY, application.proxy_phone))
    return recipients


def notice_queue(
    *, application, event: str, values: dict[str, str] | None = None, now: dt.datetime | None = None
) -> list[Notice]:
    """Write the notice of ``event`` for the applicant (and the proxy) into the outbox.

    ``values`` are the template's parameters beyond the reference and the site address, already
    made safe for an SMS by the service that sends it (``intake.sms``); each is cut to the
    provider's limit here."""
    now = now or timezone.now()
    template = TEMPLATES[event]
    params = build_params(
        template, {"reference": application.reference, "site": settings.JIEDAO_SMS_SITE, **(values or {})}
    )
    text = template.render(params)
    notices = [
        Notice(
            application=application,
            neighbourhood_id=application.neighbourhood_id,
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


def notice_queue_to(
    *,
    phone: str,
    event: str,
    subject: str,
    neighbourhood_id: int | None,
    values: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> Notice:
    """Write one notice of another service (not a case's) to ``phone`` into the outbox: the same
    templates, limits, retries and failed list. ``subject`` names what it is about for staff (a
    sign-up's code, …) and ``neighbourhood_id`` whose staff see it; ``values`` are the template's
    parameters, already safe for an SMS."""
    notice = notice_build_to(
        phone=phone, event=event, subject=subject, neighbourhood_id=neighbourhood_id, values=values, now=now
    )
    notice.save(force_insert=True)
    return notice


def notice_build_to(
    *,
    phone: str,
    event: str,
    subject: str,
    neighbourhood_id: int | None,
    values: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> Notice:
    """``notice_queue_to``'s notice, not saved yet: for a caller queueing thousands at once with
    one ``notices_queue_built`` in its transaction."""
    now = now or timezone.now()
    template = TEMPLATES[event]
    params = build_params(template, {"site": settings.JIEDAO_SMS_SITE, **(values or {})})
    return Notice(
        subject=subject,
        neighbourhood_id=neighbourhood_id,
        recipient=Recipient.PERSON,
        phone=phone,
        event=event,
        template_code=template.code,
        params=params,
        text=template.render(params),
        created_at=now,
        next_attempt_at=now,
    )


def notices_queue_built(notices: list[Notice]) -> list[Notice]:
    return Notice.objects.bulk_create(notices, batch_size=1000)


def notices_recent(*, application, event: str, since: dt.datetime) -> bool:
    return Notice.objects.filter(application=application, event=event, created_at__gt=since).exists()


def notices_forget(*, application) -> None:
    """Retention: what was written to the resident goes (texts, parameters, phones, codes); that a
    notice was sent, when and with which outcome stays."""
    Notice.objects.filter(application=application).update(phone="", text="", params={})
    AccessCode.objects.filter(application=application).delete()


class NoticeNotResendable(DomainError):
    code = "notice_not_resendable"


def notice_resend(*, notice: Notice, actor, ip: str | None = None, now: dt.datetime | None = None) -> Notice:
    """Queue a failed notice again as a new message (a new id, so never confused with the first)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Only the notice's own row is locked (its case may be none: an outer join cannot be locked).
        original = Notice.objects.select_for_update(of=("self",)).select_related("application").get(pk=notice.pk)
        if original.status != NoticeStatus.FAILED:
            raise NoticeNotResendable(_("只有发送失败的短信才能重发。"))
        if original.event == Event.ACCESS_CODE:
            raise NoticeNotResendable(_("验证码短信不能重发：请居民在查询页面重新获取验证码。"))
        if original.resends.exists():
            raise NoticeNotResendable(_("这条短信已经重发过了。"))
        fresh = Notice.objects.create(
            application=original.application,
            subject=original.subject,
            neighbourhood_id=original.neighbourhood_id,
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
            reference=original.about,
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


# Residents' access codes.

class AccessCodeRateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, *, retry_minutes: int):
        super().__init__(
            _("发送太频繁，请 %(minutes)s 分钟后再试。") % {"minutes": retry_minutes},
            retry_minutes=retry_minutes,
        )
        self.retry_minutes = retry_minutes


class AccessCodeRefused(DomainError):
    """A code that does not open the case; ``code`` says why: ``access_code_format``,
    ``access_code_wrong`` (``attempts_left`` more tries), ``access_code_expired``,
    ``access_code_too_many`` or ``access_code_missing``."""

    code = "access_code_refused"


def _ttl() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JIEDAO_ACCESS_CODE_TTL_SECONDS)


def _code_hash(application_id: int, phone: str, code: str) -> str:
    """HMAC-SHA256 under SECRET_KEY, bound to the case and the phone: a stored hash is no use
    for another case, and without the key a 6-digit code cannot be found from its hash."""
    return salted_hmac("jiedao.notices.access_code", f"{application_id}:{phone}:{code}", algorithm="sha256").hexdigest()


def access_code_limits(*, phone: str, address: str) -> tuple[Limit, Limit]:
    return (
        Limit(f"access-code:phone:{hashed(phone)}", Rate.parse(settings.JIEDAO_ACCESS_CODE_PHONE_LIMITS)),
        Limit(f"access-code:address:{address_key(address)}", Rate.parse(settings.JIEDAO_ACCESS_CODE_ADDRESS_LIMITS)),
    )


def access_code_send(*, application, phone: str, address: str, now: dt.datetime | None = None) -> AccessCode:
    """Send a fresh code to ``phone`` (the applicant's or the proxy's) for ``application``.

    Rate-limited per phone and per client address (``AccessCodeRateLimited`` says how long to
    wait). The SMS is queued in the outbox like any notice; the worker sends it at once, outside
    the per-number limits of progress notices."""
    now = now or timezone.now()
    phone = normalize_phone(phone)
    if not phone or phone not in {application.phone, application.proxy_phone}:
        raise DomainError(_("这个手机号码不是这份申请登记的号码。"), code="access_code_phone")
    decision = rate_limit_hit(*access_code_limits(phone=phone, address=address), now=now.timestamp())
    if not decision.allowed:
        raise AccessCodeRateLimited(retry_minutes=decision.retry_minutes)
    code = f"{secrets.randbelow(10**6):06d}"
    template = TEMPLATES[Event.ACCESS_CODE]
    params = build_params(template, {"code": code, "reference": application.reference})
    with transaction.atomic():
        notice = Notice.objects.create(
            application=application,
            neighbourhood_id=application.neighbourhood_id,
            recipient=Recipient.APPLICANT if phone == application.phone else Recipient.PROXY,
            phone=phone,
            event=Event.ACCESS_CODE,
            template_code=template.code,
            params=params,
            text=template.render(params),
            created_at=now,
            next_attempt_at=now,
        )
        return AccessCode.objects.create(
            application=application,
            phone=phone,
            code_hash=_code_hash(application.pk, phone, code),
            notice=notice,
            created_at=now,
            expires_at=now + _ttl(),
        )


def access_code_verify(*, application, phone: str, code: str, now: dt.datetime | None = None) -> AccessCode:
    """Check a typed code; the matching code is used up (with any other still open for the same
    case and phone). A wrong code counts one try against every open code; after
    ``JIEDAO_ACCESS_CODE_MAX_ATTEMPTS`` wrong tries a code is dead. Raises ``AccessCodeRefused``."""
    now = now or timezone.now()
    phone = normalize_phone(phone)
    code = normalize_code(code)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise AccessCodeRefused(_("请输入短信里的6位数字验证码。"), code="access_code_format")
    limit = settings.JIEDAO_ACCESS_CODE_MAX_ATTEMPTS
    digest = _code_hash(application.pk, phone, code)
    with transaction.atomic():
        codes = list(
            AccessCode.objects.select_for_update()
            .filter(application=application, phone=phone, used_at__isnull=True, created_at__gt=now - dt.timedelta(days=1))
            .order_by("-created_at", "-id")[:20]
        )
        open_codes = [c for c in codes if c.expires_at > now and c.attempts < limit]
        matched = None
        for candidate in open_codes:  # compare with every open code, in constant time each
            if hmac.compare_digest(candidate.code_hash, digest) and matched is None:
                matched = candidate
        if matched is not None:
            AccessCode.objects.filter(pk__in=[c.pk for c in open_codes]).update(used_at=now)
            matched.used_at = now
            notice_ids = [c.notice_id for c in open_codes if c.notice_id]
        elif open_codes:
            AccessCode.objects.filter(pk__in=[c.pk for c in open_codes]).update(attempts=F("attempts") + 1)
            left = max(limit - (c.attempts + 1) for c in open_codes)
    if matched is not None:
        access_code_notice_mask(notice_ids, only_settled=True)
        return matched
    if open_codes:
        if left <= 0:
            raise AccessCodeRefused(_("输错次数太多，这个验证码已经作废。请重新获取验证码。"), code="access_code_too_many")
        raise AccessCodeRefused(
            _("验证码不对，请核对短信里的6位数字。还可以再试 %(left)s 次。") % {"left": left},
            code="access_code_wrong",
            attempts_left=left,
        )
    latest = codes[0] if codes else None
    if latest is not None and latest.expires_at > now:
        raise AccessCodeRefused(_("输错次数太多，这个验证码已经作废。请重新获取验证码。"), code="access_code_too_many")
    if latest is not None:
        raise AccessCodeRefused(_("验证码已过期（10分钟内有效）。请重新获取验证码。"), code="access_code_expired")
    raise AccessCodeRefused(_("请先获取验证码。"), code="access_code_missing")


def access_code_latest(*, application, phone: str, now: dt.datetime | None = None) -> AccessCode | None:
    """The newest code of the case and phone that can still be typed in, if any."""
    now = now or timezone.now()
    return (
        AccessCode.objects.filter(
            application=application,
            phone=normalize_phone(phone),
            used_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=settings.JIEDAO_ACCESS_CODE_MAX_ATTEMPTS,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def access_code_notice_mask(notice_ids, *, only_settled: bool = False) -> int:
    """Replace the plain code in access-code notices by ******, text included, and unlink them
    from their codes (nothing left to mask). With ``only_settled``, notices still queued or being
    sent keep it (the worker still needs it)."""
    template = TEMPLATES[Event.ACCESS_CODE]
    notices = Notice.objects.filter(pk__in=list(notice_ids), event=Event.ACCESS_CODE).exclude(params__code=MASKED_CODE)
    if only_settled:
        notices = notices.exclude(status__in=[NoticeStatus.QUEUED, NoticeStatus.SENDING])
    masked = 0
    for notice in notices:
        params = {**notice.params, "code": MASKED_CODE}
        with transaction.atomic():
            masked += Notice.objects.filter(pk=notice.pk).update(params=params, text=template.render(params))
            AccessCode.objects.filter(notice=notice).update(notice=None)
    return masked


def access_codes_sweep(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """Housekeeping, run by the worker's loop after each SMS round (``JIEDAO_WORKER_EXTRA_ROUNDS``):
    code notices not sent within the validity are failed (a late code is no use); the plain code
    is masked in every code notice that is settled or expired; codes older than a day are deleted.
    Works from the codes' table, which holds one day at most."""
    now = now or timezone.now()
    cutoff = now - _ttl()
    pending = AccessCode.objects.filter(notice__isnull=False)
    failed = Notice.objects.filter(
        pk__in=pending.filter(created_at__lte=cutoff).values("notice_id"), status=NoticeStatus.QUEUED
    ).update(status=NoticeStatus.FAILED, failed_at=now, last_error=ACCESS_CODE_EXPIRED)
    settled = pending.filter(Q(created_at__lte=cutoff) | ~Q(notice__status__in=[NoticeStatus.QUEUED, NoticeStatus.SENDING]))
    masked = access_code_notice_mask(list(settled.values_list("notice_id", flat=True)[:500]))
    deleted, _detail = AccessCode.objects.filter(created_at__lt=now - dt.timedelta(days=1), notice__isnull=True).delete()
    counts = {"access_code_expired": failed, "access_code_masked": masked, "access_code_deleted": deleted}
    return {key: value for key, value in counts.items() if value}
