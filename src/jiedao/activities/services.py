"""The writes of activities: creating one, signing up, cancelling, attendance, reminders.

Capacity is decided under the activity's lock: ``signup_create`` locks the activity row (the
row lock on PostgreSQL; SQLite's write lock, taken at BEGIN IMMEDIATE) before counting the
confirmed sign-ups, so fifty people tapping at once for the last three places get three places
and forty-seven waitlist entries, never a fifty-first confirmed one. A cancellation promotes the
first on the waitlist in the same transaction. Every SMS goes into the notices outbox in the
transaction of its change (confirmed, waitlisted, promoted, reminded, called off).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.formatting import ANONYMISED_NAME
from jiedao.lib.links import daily_code, site_link
from jiedao.lib.normalize import normalize_phone
from jiedao.lib.forms import clean_person
from jiedao.lib.sql import insert_one
from jiedao.notices.services import notice_build_to, notices_queue_built

from . import selectors
from .models import ACTIVE_SIGNUP, Activity, ActivityGroup, DonorScreening, Signup, SignupStatus

# Audit actions of this service (registered in apps.py).
AUDIT_CREATE = "activity_create"
AUDIT_CANCEL = "activity_cancel"
AUDIT_ATTENDANCE = "activity_attendance"


# What an SMS provider refuses inside a template's parameter: links, and numbers long enough to be
# a phone (a note is the organiser's words, never a way to add contact details).
SMS_NOTE_REFUSED = re.compile(r"https?:|www\.|\.(?:cn|com|net)\b|\d{5,}", re.IGNORECASE)

# Reminders queued per transaction: short write locks, few round trips.
REMINDER_BATCH = 500


class ActivityClosed(DomainError):
    code = "activity_closed"


class AlreadySignedUp(DomainError):
    code = "already_signed_up"

    def __init__(self, message, *, signup: Signup):
        super().__init__(message)
        self.signup = signup


class ActivityFull(DomainError):
    code = "activity_full"


class CheckinRefused(DomainError):
    code = "checkin_refused"


def _sms(signup: Signup, event: str, now: dt.datetime, **values) -> None:
    insert_one(_notice(signup, event, now, **values))


def _notice(signup: Signup, event: str, now: dt.datetime, **values):
    activity = signup.activity
    return notice_build_to(
        phone=signup.phone,
        event=event,
        subject=signup.reference,
        neighbourhood_id=activity.neighbourhood_id,
        values={
            "title": activity.title,
            "when": activity.starts_text,
            "place": activity.place,
            "note": activity.sms_note_sentence,
            "link": site_link(f"a/{signup.token}/"),
            **values,
        },
        now=now,
    )


# --- organisers ----------------------------------------------------------------------------------


def activity_create(*, actor, fields: dict, groups: list[dict], ip: str | None = None) -> Activity:
    """A new activity with its groups (each: name, task, place, leader); written to the audit trail."""
    errors: dict[str, list[str]] = {}
    if fields["ends_at"] <= fields["starts_at"]:
        errors["ends_at"] = [_("结束时间要晚于开始时间。")]
    if fields["capacity"] < 1:
        errors["capacity"] = [_("名额至少为1。")]
    if Activity.objects.filter(code=fields["code"]).exists():
        errors["code"] = [_("这个代码已经用过了，请换一个。")]
    if SMS_NOTE_REFUSED.search(fields.get("sms_note", "")):
        errors["sms_note"] = [_("短信附言里不能有网址或电话号码：短信平台会拒发这样的短信。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        activity = Activity.objects.create(created_by=actor, **fields)
        ActivityGroup.objects.bulk_create(
            ActivityGroup(activity=activity, order=index, **group) for index, group in enumerate(groups) if group.get("name")
        )
        audit_record(actor=actor, action=AUDIT_CREATE, reference=activity.code, ip=ip)
    return activity


def activity_cancel(*, activity: Activity, actor, ip: str | None = None, now: dt.datetime | None = None) -> Activity:
    """Call the activity off: everyone still signed up (or waiting) is told by SMS."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.cancelled_at:
            return activity
        activity.cancelled_at = now
        activity.save(update_fields=["cancelled_at"])
        for signup in activity.signups.filter(status__in=(SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)):
            signup.activity = activity
            _sms(signup, "act_called_off", now)
        audit_record(actor=actor, action=AUDIT_CANCEL, reference=activity.code, ip=ip)
    selectors.activity_public_forget(activity.code)
    return activity


# --- people signing up ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DonorAnswers:
    """The blood drive's screening, as answered: each answer that excludes says why, kindly."""

    age: int
    weight_ok: bool
    unwell_recently: bool
    last_donation: dt.date | None

    def reasons(self, on: dt.date) -> list[str]:
        reasons = []
        if not 18 <= self.age <= 55:
            reasons.append(_("献血的年龄要求是18到55周岁。"))
        if not self.weight_ok:
            reasons.append(_("献血要求男性体重不低于50公斤，女性不低于45公斤。"))
        if self.unwell_recently:
            reasons.append(_("最近两周内感冒、发烧或服药，要等身体恢复、停药满一周后再献血。"))
        if self.last_donation and (on - self.last_donation).days < 180:
            reasons.append(_("两次献全血要间隔6个月以上。"))
        return reasons

    def as_dict(self) -> dict:
        return {
            "age": self.age,
            "weight_ok": self.weight_ok,
            "unwell_recently": self.unwell_recently,
            "last_donation": self.last_donation.isoformat() if self.last_donation else "",
        }


def waitlist_position(signup: Signup) -> int:
    """1 for the first on the waitlist."""
    return (
        Signup.objects.filter(activity_id=signup.activity_id, status=SignupStatus.WAITLISTED)
        .filter(created_at__lte=signup.created_at)
        .exclude(created_at=signup.created_at, pk__gt=signup.pk)
        .count()
    )


def signup_create(
    *,
    activity: Activity,
    name: str,
    phone: str,
    unit: str = "",
    group: ActivityGroup | None = None,
    donor: DonorAnswers | None = None,
    sensitive_consent: bool = False,
    channel: str = "online",
    waitlist: bool = True,
    now: dt.datetime | None = None,
) -> Signup:
    """Sign a person up: a place while there is one, the waitlist after (or ``ActivityFull`` when
    the caller does not want the waitlist). Raises ``ActivityClosed``, ``AlreadySignedUp`` (with
    their sign-up) or ``ValidationFailed`` (field → messages)."""
    now = now or timezone.now()
    name, phone, errors = clean_person(name, phone)
    unit = (unit or "").strip()
    if activity.unit_choices and unit not in activity.unit_choices:
        errors["unit"] = [_("这个活动只请这些单位或党支部参加：%(units)s。") % {"units": "、".join(activity.unit_choices)}]
    elif activity.unit_label and not unit:
        errors["unit"] = [_("请填写%(label)s。") % {"label": activity.unit_label}]
    if group is not None and group.activity_id != activity.pk:
        errors["group"] = [_("请从列表中选择小组。")]
    elif group is None and activity.groups.all():  # prefetched by the page; else one small query
        errors["group"] = [_("请选择参加哪个小组。")]
    if activity.screens_donors:
        if donor is None:
            errors["age"] = [_("请回答献血前的几个问题。")]
        elif not sensitive_consent:
            errors["sensitive_consent"] = [_("请单独勾选同意处理健康信息，否则无法报名献血。")]
        elif reasons := donor.reasons(timezone.localtime(now).date()):
            errors["screening"] = [_("谢谢您的爱心！这次暂时不能报名献血：") + "".join(reasons)]
    if errors:
        raise ValidationFailed(errors)
    if not activity.is_open(now):
        raise ActivityClosed(_("这个活动已经结束或取消，不能再报名了。"))
    # Built before the lock: under it, only the decision and two inserts (every other sign-up waits).
    signup = Signup(activity=activity, group=group, name=name, phone=phone, unit=unit, channel=channel, created_at=now)
    try:
        with transaction.atomic():
            # The lock, and what may have changed since the page was read: places, cancellation, start.
            places = _places_locked(activity.pk, phone, now)
            if places.closed:
                raise ActivityClosed(_("这个活动已经结束或取消，不能再报名了。"))
            if places.mine:
                raise AlreadySignedUp(
                    _("这个手机号码已经报过名了。"),
                    signup=Signup.objects.filter(activity_id=activity.pk, phone=phone, status__in=ACTIVE_SIGNUP).first(),
                )
            confirmed = places.taken < places.capacity
            if not confirmed and not waitlist:
                raise ActivityFull(_("名额已经报满了。"))
            signup.status = SignupStatus.CONFIRMED if confirmed else SignupStatus.WAITLISTED
            signup.confirmed_at = now if confirmed else None
            insert_one(signup)
            if donor is not None:
                DonorScreening.objects.create(signup=signup, answers=donor.as_dict(), sensitive_consent_at=now)
            if confirmed:
                _sms(signup, "act_confirmed", now)
            else:
                # Last in the queue: the counter was read under this same lock.
                _waitlist_moved(activity.pk, +1)
                _sms(signup, "act_waitlisted", now, position=str(places.waiting + 1))
    except IntegrityError:  # the same phone, twice at once: the unique index let one through
        existing = activity.signups.filter(phone=phone, status__in=(SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)).first()
        raise AlreadySignedUp(_("这个手机号码已经报过名了。"), signup=existing) from None
    return signup


@dataclass(frozen=True)
class _Places:
    capacity: int
    closed: bool  # cancelled, or started
    taken: int
    mine: bool  # this phone already has an active sign-up
    waiting: int  # on the waitlist (``Activity.waitlist_length``)


def _places_locked(activity_id: int, phone: str, now: dt.datetime) -> _Places:
    """The activity's places as they are now, with the writers' lock held until the transaction
    ends: one statement on SQLite (whose write transaction has the database to itself); on
    PostgreSQL the activity's row is locked first, and the counts are read by a second statement,
    whose snapshot is taken once the lock is ours and so sees every sign-up committed before.
    The places taken are counted (at most the capacity's worth of index entries); the waitlist,
    which can be thousands long, is the activity's counter.

    Plain SQL, read from two indexes, because this runs on every sign-up while every other sign-up
    waits: the ORM's queries cost several times as much to build as to run, and each statement
    more is one more turn waiting for the interpreter lock with the database lock held."""
    activities, signups = (connection.ops.quote_name(model._meta.db_table) for model in (Activity, Signup))
    if connection.features.has_select_for_update:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {activities} WHERE id = %s FOR UPDATE", [activity_id])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.capacity, (a.cancelled_at IS NOT NULL OR a.starts_at <= %s),"
            f" (SELECT COUNT(*) FROM {signups} s WHERE s.activity_id = a.id AND s.status = %s),"
            f" EXISTS(SELECT 1 FROM {signups} s WHERE s.activity_id = a.id AND s.phone = %s AND s.status IN (%s, %s)),"
            f" a.waitlist_length FROM {activities} a WHERE a.id = %s",
            [connection.ops.adapt_datetimefield_value(now), SignupStatus.CONFIRMED,
             phone, SignupStatus.CONFIRMED, SignupStatus.WAITLISTED, activity_id],
        )  # fmt: skip
        row = cursor.fetchone()
    if row is None:  # deleted since the page was read
        return _Places(capacity=0, closed=True, taken=0, mine=False, waiting=0)
    capacity, closed, taken, mine, waiting = row
    return _Places(int(capacity), bool(closed), int(taken), bool(mine), int(waiting))


def _waitlist_moved(activity_id: int, by: int) -> None:
    """``Activity.waitlist_length`` moves by ``by``; the caller holds the activity's lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(Activity._meta.db_table)} SET waitlist_length = waitlist_length + %s WHERE id = %s",
            [by, activity_id],
        )


def signup_for_token(token: str) -> Signup | None:
    return Signup.objects.select_related("activity", "group").filter(token=(token or "").strip()).first()


def signup_cancel(*, signup: Signup, now: dt.datetime | None = None) -> Signup:
    """The person cancels; if they held a place, the first on the waitlist gets it (and an SMS)."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=signup.activity_id)
        signup = Signup.objects.select_related("activity").get(pk=signup.pk)
        if signup.status == SignupStatus.CANCELLED:
            return signup
        held_place = signup.status == SignupStatus.CONFIRMED
        if signup.status == SignupStatus.WAITLISTED:
            _waitlist_moved(activity.pk, -1)
        signup.status, signup.cancelled_at = SignupStatus.CANCELLED, now
        signup.save(update_fields=["status", "cancelled_at"])
        if held_place and activity.is_open(now):
            promoted = activity.signups.filter(status=SignupStatus.WAITLISTED).order_by("created_at", "id").first()
            if promoted is not None:
                promoted.status, promoted.confirmed_at = SignupStatus.CONFIRMED, now
                promoted.save(update_fields=["status", "confirmed_at"])
                _waitlist_moved(activity.pk, -1)
                promoted.activity = activity
                _sms(promoted, "act_promoted", now)
    return signup


def signup_change_group(*, signup: Signup, group: ActivityGroup | None) -> Signup:
    if group is not None and group.activity_id != signup.activity_id:
        raise ValidationFailed({"group": [_("请从列表中选择小组。")]})
    if signup.status == SignupStatus.CANCELLED:
        raise DomainError(_("这个报名已经取消了。"), code="signup_cancelled")
    Signup.objects.filter(pk=signup.pk).update(group=group)
    signup.group = group
    return signup


# --- attendance ----------------------------------------------------------------------------------


def attendance_set(*, signup: Signup, present: bool, actor, ip: str | None = None, now: dt.datetime | None = None) -> Signup:
    """The organiser ticks (or unticks) a name on the list."""
    now = now or timezone.now()
    if signup.status != SignupStatus.CONFIRMED:
        raise DomainError(_("只有已报名的人才能登记到场。"), code="not_confirmed")
    with transaction.atomic():
        signup.attended_at = (signup.attended_at or now) if present else None
        signup.save(update_fields=["attended_at"])
        audit_record(actor=actor, action=AUDIT_ATTENDANCE, reference=signup.reference, ip=ip, present=present)
    return signup


def checkin_code(activity: Activity, day: dt.date) -> str:
    """The code in the QR shown at the venue, of the day (``lib.links.daily_code``)."""
    return daily_code("activities.checkin", activity.pk, day)


@dataclass(frozen=True)
class Arrival:
    """Who has just checked in, as the page at the door shows it."""

    name: str
    group_name: str


def checkin(*, activity: Activity, code: str, phone: str, now: dt.datetime | None = None) -> Arrival:
    """A participant checks in with the venue's code of the day and their phone. Checking in
    again changes nothing: the first arrival's time stays.

    Plain SQL, for the same reason as the sign-up's (``_places_locked``): fifty people scan the
    code as the doors open, and the ORM's select_related query took longer to build than the
    whole check-in took to run."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if not hmac.compare_digest(code or "", checkin_code(activity, today)):
        raise CheckinRefused(_("这个签到码已经过期或不正确。请扫描现场今天的签到二维码。"))
    if timezone.localtime(activity.starts_at).date() != today or activity.is_cancelled:
        raise CheckinRefused(_("今天不是这个活动的日子，不能签到。"))
    phone = normalize_phone(phone)
    signups, groups = (connection.ops.quote_name(model._meta.db_table) for model in (Signup, ActivityGroup))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id, s.name, s.attended_at, g.name FROM {signups} s LEFT JOIN {groups} g ON g.id = s.group_id"
            f" WHERE s.activity_id = %s AND s.phone = %s AND s.status = %s",
            [activity.pk, phone, SignupStatus.CONFIRMED],
        )
        row = cursor.fetchone()
    if row is None:
        raise CheckinRefused(_("没有找到这个手机号码的报名。请找现场工作人员登记。"))
    signup_id, name, attended_at, group_name = row
    if attended_at is None:
        with transaction.atomic(), connection.cursor() as cursor:  # writers take turns (lib.sqlite_backend)
            cursor.execute(
                f"UPDATE {signups} SET attended_at = %s WHERE id = %s AND attended_at IS NULL",
                [connection.ops.adapt_datetimefield_value(now), signup_id],
            )
    return Arrival(name=name, group_name=group_name or "")


# --- the worker's rounds -------------------------------------------------------------------------


def reminders_queue(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """The day-before reminder, queued once per confirmed sign-up of every activity that starts
    tomorrow (Shanghai time); run by the notices worker's loop (``JIEDAO_WORKER_EXTRA_ROUNDS``).
    A batch of sign-ups is marked reminded in the transaction that queues their SMS: never twice,
    never lost, even with two workers (the rows are locked, or SQLite's write lock is held)."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min))
    due = Signup.objects.filter(
        status=SignupStatus.CONFIRMED,
        reminded_at__isnull=True,
        activity__cancelled_at__isnull=True,
        activity__starts_at__gte=start,
        activity__starts_at__lt=start + dt.timedelta(days=1),
    )
    queued = 0
    while True:
        with transaction.atomic():
            batch = due.order_by("pk").select_related("activity")
            if connection.features.has_select_for_update_skip_locked:
                batch = batch.select_for_update(skip_locked=True, of=("self",))
            signups = list(batch[:REMINDER_BATCH])
            if not signups:
                break
            Signup.objects.filter(pk__in=[s.pk for s in signups]).update(reminded_at=now)
            notices_queue_built([_notice(signup, "act_reminder", now) for signup in signups])
            queued += len(signups)
    return {"activity_reminders": queued} if queued else {}




def signups_anonymise(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """Sign-ups keep the person only as long as the records need them
    (``JIEDAO_VOLUNTEER_RETENTION_DAYS`` after the activity ended): then the name and phone go,
    and the counts (signed up, attended, by group) stay. Run by the worker's loop."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.JIEDAO_VOLUNTEER_RETENTION_DAYS)
    stale = Signup.objects.filter(activity__ends_at__lt=cutoff).exclude(name=ANONYMISED_NAME)
    count = 0
    for pk in list(stale.values_list("pk", flat=True)[:2000]):
        # The phone becomes a placeholder no phone can be (one active sign-up per phone is unique).
        count += Signup.objects.filter(pk=pk).update(name=ANONYMISED_NAME, phone=f"x{pk}"[:11], unit="")
    return {"signups_anonymised": count} if count else {}


def screening_forget(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """The blood drive's health answers go once the drive is over: they were for that day only."""
    now = now or timezone.now()
    forgotten, _by_model = DonorScreening.objects.filter(signup__activity__ends_at__lt=now).delete()
    return {"screening_forgotten": forgotten} if forgotten else {}
