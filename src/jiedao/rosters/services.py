"""The writes of duty rosters: shifts from a recurring pattern, volunteers taking, leaving and
swapping shifts, check-in and check-out, and the worker's reminders.

A shift's headcount is kept under the shift's lock (as an activity's places are): two volunteers
taking the last place at once get one place and one "已排满". A swap is one transaction: the
offered assignment ends and the taker's begins, so a shift never holds one person too many or
too few in between.
"""

from __future__ import annotations

import datetime as dt
import hmac

from dateutil.rrule import DAILY, FR, MO, SA, SU, TH, TU, WE, rrule
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.formatting import ANONYMISED_NAME
from jiedao.lib.links import daily_code, site_link
from jiedao.lib.normalize import normalize_phone
from jiedao.lib.sql import insert_sql
from jiedao.lib.forms import clean_person
from jiedao.notices.services import notice_queue_to

from .models import Assignment, Post, Shift, Volunteer

DAYS = {
    "daily": (MO, TU, WE, TH, FR, SA, SU),
    "weekdays": (MO, TU, WE, TH, FR),
    "weekends": (SA, SU),
}
# The audit action of a committee worker checking a volunteer in or out (registered in apps.py).
AUDIT_CHECK = "roster_check"
AUDIT_CANCEL = "roster_cancel"
# Check-in opens this long before a shift starts and closes when it ends.
CHECKIN_EARLY = dt.timedelta(minutes=30)


class RosterRefused(DomainError):
    code = "roster_refused"


def _when(shift: Shift) -> str:
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    return f"{start.month}月{start.day}日{start:%H:%M}-{end:%H:%M}"


def _sms(volunteer: Volunteer, event: str, subject: str, now: dt.datetime, **values) -> None:
    notice_queue_to(
        phone=volunteer.phone,
        event=event,
        subject=subject,
        neighbourhood_id=volunteer.neighbourhood_id,
        values={"link": site_link(f"v/{volunteer.token}/"), **values},
        now=now,
    )


# --- shifts --------------------------------------------------------------------------------------


def shifts_generate(
    *, post: Post, first_day: dt.date, last_day: dt.date, starts: dt.time, ends: dt.time, days: str = "daily",
    skip: frozenset[dt.date] = frozenset(), headcount: int | None = None,
) -> int:  # fmt: skip
    """Dated shifts of ``post`` from ``starts`` to ``ends`` (a shift ending at or before it starts
    ends the next morning) on each of ``days`` from ``first_day`` to ``last_day``, holidays in
    ``skip`` left out; shifts already there are kept as they are. Returns how many were made."""
    if last_day < first_day:
        raise ValidationFailed({"last_day": [_("结束日期不能早于开始日期。")]})
    if (last_day - first_day).days > 366:
        raise ValidationFailed({"last_day": [_("一次最多生成一年的班次。")]})
    if days not in DAYS:
        raise ValidationFailed({"days": [_("请选择哪些日子排班。")]})
    zone = timezone.get_default_timezone()
    length = dt.datetime.combine(first_day, ends) - dt.datetime.combine(first_day, starts)
    if length <= dt.timedelta(0):
        length += dt.timedelta(days=1)
    dates = rrule(DAILY, dtstart=dt.datetime.combine(first_day, starts), until=dt.datetime.combine(last_day, starts), byweekday=DAYS[days])
    # Plain rows and one executemany rather than bulk_create (lib.sql): most of the time a year of
    # 50 posts took was building models (bench/).
    adapt = connection.ops.adapt_datetimefield_value
    rows = []
    for start in dates:
        if start.date() in skip:
            continue
        aware = timezone.make_aware(start, zone)
        rows.append((post.pk, adapt(aware), adapt(aware + length), headcount or post.headcount))
    fields = [Shift._meta.get_field(name) for name in ("post", "starts_at", "ends_at", "headcount")]
    with transaction.atomic():
        before = Shift.objects.filter(post=post).count()
        with connection.cursor() as cursor:  # shifts already there are kept
            cursor.executemany(insert_sql(Shift, fields, keep_existing=True), rows)
        return Shift.objects.filter(post=post).count() - before


def shift_cancel(*, shift: Shift, actor, ip: str | None = None, now: dt.datetime | None = None) -> Shift:
    """Call a shift off (a holiday decided late, a post closed): everyone on it is told by SMS."""
    now = now or timezone.now()
    with transaction.atomic():
        shift = Shift.objects.select_for_update(of=("self",)).select_related("post").get(pk=shift.pk)
        if shift.cancelled_at:
            return shift
        shift.cancelled_at = now
        shift.save(update_fields=["cancelled_at"])
        for assignment in _active(shift).select_related("volunteer"):
            _sms(assignment.volunteer, "roster_off", f"S{shift.pk}", now, when=_when(shift), place=shift.post.name)
        audit_record(actor=actor, action=AUDIT_CANCEL, reference=f"S{shift.pk}", ip=ip)
    return shift


# --- volunteers ----------------------------------------------------------------------------------


def volunteer_register(*, neighbourhood, name: str, phone: str, party_member: bool = False, now=None) -> Volunteer:
    """A person of the neighbourhood, kept once by phone; an SMS brings them the link to their page."""
    now = now or timezone.now()
    name, phone, errors = clean_person(name, phone)
    if errors:
        raise ValidationFailed(errors)
    existing = Volunteer.objects.filter(neighbourhood=neighbourhood, phone=phone).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        volunteer = Volunteer.objects.create(neighbourhood=neighbourhood, name=name, phone=phone, party_member=party_member, created_at=now)
        _sms(volunteer, "roster_welcome", f"V{volunteer.pk}", now, place=neighbourhood.name)
    return volunteer


def volunteer_for_token(token: str) -> Volunteer | None:
    return Volunteer.objects.select_related("neighbourhood").filter(token=(token or "").strip()).first()


def _active(shift: Shift):
    return Assignment.objects.filter(shift=shift, cancelled_at__isnull=True)


def _check_takeable(shift: Shift, volunteer: Volunteer, now: dt.datetime) -> None:
    if shift.post.neighbourhood_id != volunteer.neighbourhood_id:
        raise RosterRefused(_("这个班次不属于您的居民区。"))
    if shift.cancelled_at:
        raise RosterRefused(_("这个班次已经取消了。"))
    if shift.starts_at <= now:
        raise RosterRefused(_("这个班次已经开始了，不能再报名。"))


def shift_take(*, shift: Shift, volunteer: Volunteer, now: dt.datetime | None = None) -> Assignment:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            shift = Shift.objects.select_for_update(of=("self",)).select_related("post").get(pk=shift.pk)
            _check_takeable(shift, volunteer, now)
            if _active(shift).filter(volunteer=volunteer).exists():
                raise RosterRefused(_("您已经在这个班次里了。"))
            if _active(shift).count() >= shift.headcount:
                raise RosterRefused(_("这个班次已经排满了。"))
            return Assignment.objects.create(shift=shift, volunteer=volunteer, created_at=now)
    except IntegrityError:
        raise RosterRefused(_("您已经在这个班次里了。")) from None


def shift_leave(*, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    now = now or timezone.now()
    if assignment.shift.starts_at <= now:
        raise RosterRefused(_("班次已经开始，不能退出了。请联系居委会。"))
    Assignment.objects.filter(pk=assignment.pk, cancelled_at__isnull=True).update(cancelled_at=now)
    assignment.cancelled_at = now
    return assignment


def swap_offer(*, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    """Offer one's shift to the neighbourhood: it stays one's own until someone takes it."""
    now = now or timezone.now()
    if assignment.shift.starts_at <= now or assignment.cancelled_at:
        raise RosterRefused(_("这个班次不能再换了。"))
    Assignment.objects.filter(pk=assignment.pk).update(offered_at=now)
    assignment.offered_at = now
    return assignment


def swap_take(*, assignment: Assignment, volunteer: Volunteer, now: dt.datetime | None = None) -> Assignment:
    """Take over an offered shift: the offerer is freed (and told by SMS), in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        shift = Shift.objects.select_for_update(of=("self",)).select_related("post").get(pk=assignment.shift_id)
        offered = Assignment.objects.select_related("volunteer").get(pk=assignment.pk)
        if offered.cancelled_at or offered.offered_at is None:
            raise RosterRefused(_("这个班次已经被别人接了。"))
        if offered.volunteer_id == volunteer.pk:
            raise RosterRefused(_("这是您自己的班次。"))
        _check_takeable(shift, volunteer, now)
        if _active(shift).filter(volunteer=volunteer).exists():
            raise RosterRefused(_("您已经在这个班次里了。"))
        Assignment.objects.filter(pk=offered.pk).update(cancelled_at=now)
        taken = Assignment.objects.create(shift=shift, volunteer=volunteer, created_at=now)
        _sms(offered.volunteer, "roster_swapped", f"S{shift.pk}", now, when=_when(shift), name=volunteer.name)
    return taken


# --- check-in ------------------------------------------------------------------------------------


def post_code(post: Post, day: dt.date) -> str:
    """The code in the QR shown at the post, of the day (``lib.links.daily_code``)."""
    return daily_code("rosters.post", post.pk, day)


def _current_assignment(post: Post, volunteer: Volunteer, now: dt.datetime) -> Assignment | None:
    return (
        Assignment.objects.select_related("shift")
        .filter(
            shift__post=post, volunteer=volunteer, cancelled_at__isnull=True,
            shift__starts_at__lte=now + CHECKIN_EARLY, shift__ends_at__gt=now,
        )  # fmt: skip
        .order_by("shift__starts_at")
        .first()
    )


def post_check(*, post: Post, code: str, phone: str, now: dt.datetime | None = None) -> tuple[Assignment, str]:
    """Check in at the post with its code of the day, or check out if already in: (assignment, "in"|"out")."""
    now = now or timezone.now()
    if not hmac.compare_digest(code or "", post_code(post, timezone.localtime(now).date())):
        raise RosterRefused(_("这个岗点二维码已经过期或不正确。请扫描岗点今天的二维码。"))
    volunteer = Volunteer.objects.filter(neighbourhood_id=post.neighbourhood_id, phone=normalize_phone(phone)).first()
    assignment = _current_assignment(post, volunteer, now) if volunteer else None
    if assignment is None:
        raise RosterRefused(_("现在这个岗点没有您的班次（班前30分钟可以签到）。请找居委会登记。"))
    return assignment, assignment_check(assignment=assignment, now=now)


def assignment_check(*, assignment: Assignment, now: dt.datetime | None = None) -> str:
    """Check in, or out if already in (also what a committee worker does for someone without a smartphone)."""
    now = now or timezone.now()
    if assignment.checked_in_at is None:
        Assignment.objects.filter(pk=assignment.pk).update(checked_in_at=now)
        assignment.checked_in_at = now
        return "in"
    if assignment.checked_out_at is None:
        Assignment.objects.filter(pk=assignment.pk).update(checked_out_at=now)
        assignment.checked_out_at = now
    return "out"


# --- the worker's rounds -------------------------------------------------------------------------



def volunteers_forget(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """A volunteer with no shift in ``JIEDAO_VOLUNTEER_RETENTION_DAYS`` is kept only as the hours
    they served: the name, phone and link go. Run by the worker's loop."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.JIEDAO_VOLUNTEER_RETENTION_DAYS)
    recent = Assignment.objects.filter(shift__ends_at__gte=cutoff).values("volunteer_id")
    stale = Volunteer.objects.filter(created_at__lt=cutoff).exclude(name=ANONYMISED_NAME).exclude(pk__in=recent)
    count = 0
    for pk in list(stale.values_list("pk", flat=True)[:2000]):
        count += Volunteer.objects.filter(pk=pk).update(name=ANONYMISED_NAME, phone=f"x{pk}"[:11], token=f"gone{pk}"[:16])
    return {"volunteers_anonymised": count} if count else {}



def roster_reminders_queue(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """From 18:00 the evening before, each volunteer of tomorrow's shifts gets a reminder, once;
    and a shift still short 48 hours ahead is reported to its post's organiser, once."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    counts = {"roster_reminders": 0, "roster_short_alerts": 0}
    if local.hour >= 18:
        tomorrow = timezone.make_aware(dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time.min))
        due = Assignment.objects.filter(
            cancelled_at__isnull=True, reminded_at__isnull=True,
            shift__cancelled_at__isnull=True, shift__starts_at__gte=tomorrow, shift__starts_at__lt=tomorrow + dt.timedelta(days=1),
        ).select_related("shift__post", "volunteer")  # fmt: skip
        for assignment in due.iterator(chunk_size=500):
            with transaction.atomic():
                if Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True).update(reminded_at=now):
                    shift = assignment.shift
                    _sms(assignment.volunteer, "roster_reminder", f"S{shift.pk}", now, when=_when(shift), place=shift.post.name)
                    counts["roster_reminders"] += 1
    short = Shift.objects.filter(
        cancelled_at__isnull=True, short_alerted_at__isnull=True, starts_at__gt=now, starts_at__lte=now + dt.timedelta(hours=48)
    ).exclude(post__organiser_phone="").select_related("post")
    for shift in short.iterator(chunk_size=500):
        taken = _active(shift).count()
        if taken >= shift.headcount:
            continue
        with transaction.atomic():
            if Shift.objects.filter(pk=shift.pk, short_alerted_at__isnull=True).update(short_alerted_at=now):
                notice_queue_to(
                    phone=shift.post.organiser_phone, event="roster_short", subject=f"S{shift.pk}",
                    neighbourhood_id=shift.post.neighbourhood_id,
                    values={"place": shift.post.name, "when": _when(shift), "missing": str(shift.headcount - taken)}, now=now,
                )  # fmt: skip
                counts["roster_short_alerts"] += 1
    return {key: value for key, value in counts.items() if value}
