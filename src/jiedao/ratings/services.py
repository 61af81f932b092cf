"""The writes of service ratings (好差评): invitations when a case ends, ratings (by the link or
face to face), rectifications of bad ratings, appeals, and the worker's overdue round.

- ``invitation_on_case_ended`` subscribes to ``lib.case_endings.case_ended`` (``apps.py``): inside
  the transaction that ended the case it writes one invitation per (service, case_key) — a second
  publication for the same case is a no-op, by the unique constraint — and queues one SMS with
  the link (no SMS without a phone).
- The link's token is ``<12 random characters><8 of an HMAC>``: a link changed by hand is known
  as forged before the database is asked, and the database keeps only the token's SHA-256.
- ``rating_submit`` (the link) and ``rating_take_face_to_face`` (staff at a home visit) lock the
  invitation and write the one rating of the case; a bad rating opens its rectification with a
  due date in working days (``workdays``).
- Every write publishes ``events.rating_events`` inside its transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.audit import audit_record
from jiedao.core.models import Role
from jiedao.core.staff import in_scope, staff_role
from jiedao.lib.case_endings import CaseEnded
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.links import site_link
from jiedao.notices.services import notice_queue_to

from .events import RatingEvent, RatingEventKind, rating_events
from .models import (
    INDICATORS,
    Appeal,
    AppealStatus,
    CalendarDay,
    Channel,
    Invitation,
    Level,
    OfficeContact,
    Rating,
    Rectification,
    RectificationStatus,
    StaffContact,
)
from .workdays import PACKAGE_YEARS, WorkCalendar

# Audit actions of this service (registered in apps.py).
AUDIT_FACE_TO_FACE = "rating_face_to_face"
AUDIT_CALL = "rating_call"
AUDIT_ANSWER = "rating_answer"
AUDIT_APPEAL = "rating_appeal"
AUDIT_APPEAL_DECIDE = "rating_appeal_decide"

# SMS events (registered in apps.py).
SMS_INVITE = "rating_invite"
SMS_ANSWER = "rating_answer"
SMS_OVERDUE = "rating_overdue"

COMMENT_MAX = 500
RANDOM_CHARS = 12
SIGNATURE_CHARS = 8

# Who may take a rating face to face, file an appeal, answer a rectification; who decides appeals.
TAKERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})
APPEAL_DECIDERS = frozenset({Role.REVIEWER, Role.LEADER, Role.ADMIN})


class LinkForged(DomainError):
    code = "rating_link_forged"


class LinkExpired(DomainError):
    code = "rating_link_expired"


class LinkUsed(DomainError):
    code = "rating_link_used"


class NotAllowed(DomainError):
    code = "not_allowed"


# --- tokens --------------------------------------------------------------------------------------


def _signature(random_part: str) -> str:
    message = f"jiedao.rating:{random_part}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def token_new() -> str:
    random_part = secrets.token_urlsafe(9)[:RANDOM_CHARS]
    return random_part + _signature(random_part)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_is_signed(token: str) -> bool:
    if len(token) != RANDOM_CHARS + SIGNATURE_CHARS:
        return False
    return hmac.compare_digest(_signature(token[:RANDOM_CHARS]), token[RANDOM_CHARS:])


def rating_link(token: str) -> str:
    return site_link(f"ratings/{token}/")


def invitation_for_token(token: str, *, now: dt.datetime | None = None) -> Invitation:
    """The invitation of a link that may still be used; ``LinkForged`` (changed by hand, or not
    ours), ``LinkUsed`` (rated already) or ``LinkExpired`` otherwise, each with its message."""
    now = now or timezone.now()
    invitation = None
    if token_is_signed(token):
        invitation = Invitation.objects.select_related("rating").filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise LinkForged(_("这个评价链接不正确，可能是复制时少了或多了字符。请打开短信里的完整链接，或联系办理部门。"))
    if hasattr(invitation, "rating"):
        raise LinkUsed(_("这件事已经评价过了，谢谢您。每件事只能评价一次。"), invitation=invitation)
    if invitation.expires_at <= now:
        raise LinkExpired(
            _("这个评价链接已经过期（办结后%(days)s天内有效）。如有意见，请联系办理部门。")
            % {"days": settings.JIEDAO_RATING_LINK_DAYS},
            invitation=invitation,
        )
    return invitation


# --- invitations ---------------------------------------------------------------------------------


def invitation_on_case_ended(event: CaseEnded) -> None:
    """``case_ended``'s subscriber: a case ended, so its one invitation and the SMS with the
    link, in the ending's transaction. Published twice for the same case (decided, then paid):
    nothing more happens."""
    invitation_create(event)


def invitation_create(event: CaseEnded) -> tuple[Invitation, str] | None:
    """The case's invitation and its token (the only time the token exists in clear: it goes
    into the SMS), or None when the case has one already."""
    if Invitation.objects.filter(service=event.service, case_key=event.case_key).exists():
        return None
    token = token_new()
    try:
        with transaction.atomic():  # a savepoint: a concurrent first publication wins, quietly
            invitation = Invitation.objects.create(
                service=event.service,
                service_label=event.service_label[:100],
                case_key=event.case_key,
                outcome=event.outcome[:100],
                phone=event.phone,
                person_name=event.person_name[:100],
                handler_id=event.handler_id,
                office=event.office[:100],
                neighbourhood_id=event.neighbourhood_id,
                ended_at=event.ended_at,
                token_hash=token_hash(token),
                expires_at=event.ended_at + dt.timedelta(days=settings.JIEDAO_RATING_LINK_DAYS),
            )
    except IntegrityError:
        return None
    if invitation.phone:
        notice_queue_to(
            phone=invitation.phone,
            event=SMS_INVITE,
            subject=invitation.case_key,
            neighbourhood_id=invitation.neighbourhood_id,
            values={
                "service": invitation.service_label,
                "root": site_link("").rstrip("/"),
                "token": token,
                "days": str(settings.JIEDAO_RATING_LINK_DAYS),
            },
            now=event.ended_at,  # queued as of the ending, like the service's own notices
        )
    rating_events.publish(RatingEvent(RatingEventKind.INVITED, invitation=invitation, at=timezone.now()))
    return invitation, token


# --- ratings -------------------------------------------------------------------------------------


def _clean(*, level, indicators: dict, comment: str, indicators_required: bool) -> tuple[int, dict, str]:
    errors: dict[str, list] = {}
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = None
    if level not in Level.values:
        errors["level"] = [_("请选择您对这次办事的总体评价。")]
    scores = {}
    for name, label in INDICATORS.items():
        value = indicators.get(name)
        if value in (None, ""):
            if indicators_required:
                errors[name] = [_("请为“%(indicator)s”打分（1到5分）。") % {"indicator": label}]
            scores[name] = None
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors[name] = [_("“%(indicator)s”的分数是1到5分。") % {"indicator": label}]
        scores[name] = value
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_("意见和建议最多%(max)s个字，现在是%(count)s个字。") % {"max": COMMENT_MAX, "count": len(comment)}]
    if errors:
        raise ValidationFailed(errors)
    return level, scores, comment


def _rating_create(*, invitation: Invitation, level: int, scores: dict, comment: str, channel: str, taken_by, now) -> Rating:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if Rating.objects.filter(invitation=locked).exists():
        raise LinkUsed(_("这件事已经评价过了，谢谢您。每件事只能评价一次。"), invitation=locked)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                invitation=locked, level=level, comment=comment, channel=channel, taken_by=taken_by, rated_at=now, **scores
            )
    except IntegrityError:
        raise LinkUsed(_("这件事已经评价过了，谢谢您。每件事只能评价一次。"), invitation=locked) from None
    if rating.is_bad:
        rectification_open(rating=rating, now=now)
    rating_events.publish(RatingEvent(RatingEventKind.RATED, invitation=locked, rating=rating, at=now))
    return rating


def rating_submit(
    *, token: str, level, indicators: dict, comment: str = "", now: dt.datetime | None = None
) -> Rating:
    """The person's rating from the link in their SMS: the level and the five indicators are
    required, the comment is not. One per case; the link must be ours, unused and unexpired."""
    now = now or timezone.now()
    invitation = invitation_for_token(token, now=now)
    level, scores, comment = _clean(level=level, indicators=indicators, comment=comment, indicators_required=True)
    with transaction.atomic():
        return _rating_create(
            invitation=invitation, level=level, scores=scores, comment=comment, channel=Channel.ONLINE, taken_by=None, now=now
        )


def rating_take_face_to_face(
    *, invitation: Invitation, actor, level, indicators: dict | None = None, comment: str = "",
    ip: str | None = None, now: dt.datetime | None = None,
) -> Rating:  # fmt: skip
    """Staff at a home visit take the person's rating on the spot, recorded as 上门当面 with who
    took it; the indicators are asked if the person wants to give them. Still one per case, and
    the link in the SMS is used up by it."""
    now = now or timezone.now()
    if staff_role(actor) not in TAKERS:
        raise NotAllowed(_("您的角色不能代为记录评价。"))
    level, scores, comment = _clean(level=level, indicators=indicators or {}, comment=comment, indicators_required=False)
    with transaction.atomic():
        rating = _rating_create(
            invitation=invitation, level=level, scores=scores, comment=comment,
            channel=Channel.FACE_TO_FACE, taken_by=actor, now=now,
        )  # fmt: skip
        audit_record(actor=actor, action=AUDIT_FACE_TO_FACE, reference=invitation.case_key, ip=ip, service=invitation.service)
    return rating


def rating_record(
    *, invitation: Invitation, level: int, indicators: dict, comment: str, channel: str, rated_at: dt.datetime,
    taken_by=None,
) -> Rating:  # fmt: skip
    """A rating that came in another way than this site's pages: the demo's, or one imported from
    the provincial platform. The same checks, the same one-per-case rule, the same rectification."""
    level, scores, comment = _clean(level=level, indicators=indicators, comment=comment, indicators_required=False)
    with transaction.atomic():
        return _rating_create(
            invitation=invitation, level=level, scores=scores, comment=comment, channel=channel, taken_by=taken_by, now=rated_at
        )


# --- the calendar --------------------------------------------------------------------------------

_calendar_cache: dict[tuple, WorkCalendar] = {}


def calendar_current(*, today: dt.date | None = None) -> WorkCalendar:
    """The working calendar with the admin table's days, built once per set of those days."""
    today = today or timezone.localdate()
    overrides = {day: workday for day, workday in CalendarDay.objects.values_list("date", "workday")}
    first_year = min(min(PACKAGE_YEARS, default=today.year), today.year - 1)
    last_year = max(max(PACKAGE_YEARS, default=today.year), today.year, *(d.year for d in overrides)) + 3
    key = (first_year, last_year, tuple(sorted(overrides.items())))
    calendar = _calendar_cache.get(key)
    if calendar is None:
        _calendar_cache.clear()
        calendar = _calendar_cache[key] = WorkCalendar(first_year=first_year, last_year=last_year, overrides=overrides)
    return calendar


def due_date(start: dt.date, *, calendar: WorkCalendar | None = None) -> tuple[dt.date, bool]:
    """The rectification's due date for a rating on ``start``, and whether its year is unknown
    to the calendar (Monday–Friday was assumed: staff are warned)."""
    calendar = calendar or calendar_current()
    due = calendar.add_working_days(start, settings.JIEDAO_RATING_RECTIFY_WORKING_DAYS)
    return due, not all(calendar.is_known(year) for year in range(start.year, due.year + 1))


# --- rectifications ------------------------------------------------------------------------------


def rectification_open(*, rating: Rating, now: dt.datetime) -> Rectification:
    invitation = rating.invitation
    due, unknown = due_date(timezone.localtime(now).date())
    rectification = Rectification.objects.create(
        rating=rating, owner_id=invitation.handler_id, office=invitation.office,
        opened_at=now, due_on=due, due_year_unknown=unknown,
    )  # fmt: skip
    return rectification


def may_handle(user, rectification: Rectification) -> bool:
    """The owner, a reviewer or an administrator; with no owner, the office's staff in scope."""
    role = staff_role(user)
    if role in (Role.REVIEWER, Role.ADMIN):
        return True
    if rectification.owner_id is not None:
        return rectification.owner_id == user.pk
    if role != Role.WORKER:
        return False
    invitation = rectification.rating.invitation
    return in_scope(Invitation.objects.filter(pk=invitation.pk), user).exists()


def rectification_record_call(
    *, rectification: Rectification, actor, called_at: dt.datetime, outcome: str, ip: str | None = None
) -> Rectification:
    """The follow-up call to the rater (回访): when, and what was said."""
    if not may_handle(actor, rectification):
        raise NotAllowed(_("这条整改不归您负责。"))
    outcome = (outcome or "").strip()
    errors = {}
    if not outcome:
        errors["call_outcome"] = [_("请写下回访的情况。")]
    if called_at > timezone.now() + dt.timedelta(minutes=5):
        errors["called_at"] = [_("回访时间不能晚于现在。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
        rectification.called_at = called_at
        rectification.call_outcome = outcome
        rectification.save(update_fields=["called_at", "call_outcome"])
        audit_record(actor=actor, action=AUDIT_CALL, reference=rectification.rating.invitation.case_key, ip=ip)
        rating_events.publish(
            RatingEvent(RatingEventKind.CALLED, invitation=rectification.rating.invitation, rating=rectification.rating, at=called_at)
        )
    return rectification


def rectification_answer(
    *, rectification: Rectification, actor, answer: str, ip: str | None = None, now: dt.datetime | None = None
) -> Rectification:
    """The fix or the explanation, given to the rater by SMS; closes the item. A rater who left
    a phone is called back first (the call is recorded before the answer)."""
    now = now or timezone.now()
    if not may_handle(actor, rectification):
        raise NotAllowed(_("这条整改不归您负责。"))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed({"answer": [_("请写下整改情况或解释，它会以短信发给评价人。")]})
    with transaction.atomic():
        rectification = (
            Rectification.objects.select_for_update().select_related("rating__invitation").get(pk=rectification.pk)
        )
        if rectification.status == RectificationStatus.ANSWERED:
            raise DomainError(_("这条整改已经答复过了。"), code="already_answered")
        invitation = rectification.rating.invitation
        if invitation.phone and rectification.called_at is None:
            raise ValidationFailed({"answer": [_("请先电话回访评价人，并记录回访情况，再答复。")]})
        rectification.answer = answer
        rectification.answered_at = now
        rectification.answered_by = actor
        rectification.status = RectificationStatus.ANSWERED
        rectification.save(update_fields=["answer", "answered_at", "answered_by", "status"])
        if invitation.phone:
            notice_queue_to(
                phone=invitation.phone,
                event=SMS_ANSWER,
                subject=invitation.case_key,
                neighbourhood_id=invitation.neighbourhood_id,
                values={"service": invitation.service_label, "answer": answer},
                now=now,
            )
        audit_record(actor=actor, action=AUDIT_ANSWER, reference=invitation.case_key, ip=ip)
        rating_events.publish(
            RatingEvent(RatingEventKind.ANSWERED, invitation=invitation, rating=rectification.rating, at=now)
        )
    return rectification


def _owner_phone(rectification: Rectification) -> str:
    if rectification.owner_id is not None:
        phone = StaffContact.objects.filter(user_id=rectification.owner_id).values_list("phone", flat=True).first()
        if phone:
            return phone
    return OfficeContact.objects.filter(office=rectification.office).values_list("phone", flat=True).first() or ""


def rectifications_overdue_notify(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """Open rectifications past their due date: their owner (or the office) gets one SMS, once —
    the item is marked in the transaction that queues it. Run by the worker's loop."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    due = Rectification.objects.filter(
        status=RectificationStatus.OPEN, due_on__lt=today, overdue_notified_at__isnull=True, rating__excluded=False
    )
    sent = 0
    while True:
        with transaction.atomic():
            batch = due.order_by("pk").select_related("rating__invitation")
            if connection.features.has_select_for_update_skip_locked:
                batch = batch.select_for_update(skip_locked=True, of=("self",))
            items = list(batch[:200])
            if not items:
                break
            for item in items:
                if not Rectification.objects.filter(pk=item.pk, overdue_notified_at__isnull=True).update(
                    overdue_notified_at=now
                ):
                    continue
                phone = _owner_phone(item)
                if not phone:
                    continue
                invitation = item.rating.invitation
                notice_queue_to(
                    phone=phone,
                    event=SMS_OVERDUE,
                    subject=invitation.case_key,
                    neighbourhood_id=invitation.neighbourhood_id,
                    values={"case": invitation.case_key, "service": invitation.service_label, "due": item.due_on.isoformat()},
                    now=now,
                )
                sent += 1
    return {"rating_overdue_notices": sent} if sent else {}


def invitations_forget(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """The person's name and phone are kept only while they may be needed: the link, and the
    call back and answer of a bad rating. ``JIEDAO_RATING_PERSON_DAYS`` after the case ended, with
    no rectification still open, they go; the rating and its figures stay. Run by the worker's loop."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.JIEDAO_RATING_PERSON_DAYS)
    stale = (
        Invitation.objects.filter(ended_at__lt=cutoff)
        .exclude(phone="", person_name="")
        .exclude(rating__rectification__status=RectificationStatus.OPEN)
    )
    forgotten = 0
    for pk in list(stale.values_list("pk", flat=True)[:2000]):
        forgotten += Invitation.objects.filter(pk=pk).update(phone="", person_name="")
    return {"rating_people_forgotten": forgotten} if forgotten else {}


# --- appeals -------------------------------------------------------------------------------------


def appeal_file(*, rating: Rating, actor, reason: str, ip: str | None = None, now: dt.datetime | None = None) -> Appeal:
    """Staff ask that a mistaken or malicious rating be left out of the figures, with a reason."""
    now = now or timezone.now()
    if staff_role(actor) not in TAKERS:
        raise NotAllowed(_("您的角色不能提出申诉。"))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed({"reason": [_("请写明申诉理由（至少5个字），例如评价与办理的事不符，或恶意评价的依据。")]})
    with transaction.atomic():
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        if rating.excluded:
            raise DomainError(_("这条评价已经不计入统计了。"), code="already_excluded")
        if Appeal.objects.filter(rating=rating, status=AppealStatus.PENDING).exists():
            raise DomainError(_("这条评价已经有一个申诉在审核中。"), code="appeal_pending")
        appeal = Appeal.objects.create(rating=rating, reason=reason, filed_by=actor, filed_at=now)
        audit_record(actor=actor, action=AUDIT_APPEAL, reference=rating.invitation.case_key, ip=ip)
        rating_events.publish(RatingEvent(RatingEventKind.APPEALED, invitation=rating.invitation, rating=rating, at=now))
    return appeal


def appeal_decide(
    *, appeal: Appeal, actor, upheld: bool, note: str = "", ip: str | None = None, now: dt.datetime | None = None
) -> Appeal:
    """A reviewer or the leadership decides; not the one who filed it. Upheld: the rating is kept
    but counted nowhere (figures, public summary, export totals)."""
    now = now or timezone.now()
    if staff_role(actor) not in APPEAL_DECIDERS:
        raise NotAllowed(_("只有审核人员或街道领导可以审核申诉。"))
    if appeal.filed_by_id == actor.pk:
        raise NotAllowed(_("提出申诉的人不能审核自己的申诉。"))
    note = (note or "").strip()
    if not upheld and not note:
        raise ValidationFailed({"decision_note": [_("申诉不成立时请写明理由。")]})
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != AppealStatus.PENDING:
            raise DomainError(_("这个申诉已经审核过了。"), code="appeal_decided")
        appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
        appeal.decided_by = actor
        appeal.decided_at = now
        appeal.decision_note = note
        appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if upheld:
            Rating.objects.filter(pk=appeal.rating_id).update(excluded=True)
        audit_record(
            actor=actor, action=AUDIT_APPEAL_DECIDE, reference=appeal.rating.invitation.case_key, ip=ip, upheld=upheld
        )
        rating_events.publish(
            RatingEvent(RatingEventKind.APPEAL_DECIDED, invitation=appeal.rating.invitation, rating=appeal.rating, at=now)
        )
    return appeal
