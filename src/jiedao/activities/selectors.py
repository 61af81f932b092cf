"""Reads of activities: what is open, and the figures the newsletter reports
("3月23日主题党日：报名 45 人，到场 42 人"), per activity, per group and per month."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.lib.excel import write_workbook
from jiedao.lib.validators import mask_phone
from jiedao.notices.templates import TEMPLATES

from .models import Activity, Signup, SignupStatus

_CONFIRMED = Q(signups__status=SignupStatus.CONFIRMED)


def _counted(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return activities.annotate(
        confirmed=Count("signups", filter=_CONFIRMED),
        waitlisted=Count("signups", filter=Q(signups__status=SignupStatus.WAITLISTED)),
        attended=Count("signups", filter=_CONFIRMED & Q(signups__attended_at__isnull=False)),
    )


# The public pages' activities, kept a few seconds in each process: fifty people at the door
# each load the activity and its groups (half the CPU of a sign-up or a check-in, for rows that
# hardly ever change). Nothing decides on this copy: a sign-up re-reads places, cancellation and
# start under the activity's lock, a check-in reads the person's own row. What may show late is an
# administrator's edit or a cancellation in another worker process, for at most these seconds.
PUBLIC_ACTIVITY_SECONDS = 10
_public_activities: dict[str, tuple[float, Activity]] = {}


def activity_public(code: str) -> Activity | None:
    """The activity a public page shows (with its groups), or None."""
    now = time.monotonic()
    hit = _public_activities.get(code)
    if hit is not None and now - hit[0] < PUBLIC_ACTIVITY_SECONDS:
        return hit[1]
    activity = Activity.objects.prefetch_related("groups").filter(code=code).first()
    if activity is not None:
        if len(_public_activities) >= 1000:  # codes typed at random must not grow the process
            _public_activities.clear()
        _public_activities[code] = (now, activity)
    return activity


def activity_public_forget(code: str | None = None) -> None:
    """Drop this process's copy (of one activity, or all): after a change made here, and between tests."""
    if code is None:
        _public_activities.clear()
    else:
        _public_activities.pop(code, None)


def open_activities() -> list[Activity]:
    """Activities taking sign-ups now, soonest first, with their counts."""
    now = timezone.now()
    return list(_counted(Activity.objects.filter(cancelled_at__isnull=True, starts_at__gt=now)).order_by("starts_at", "id"))


@dataclass(frozen=True)
class Counts:
    capacity: int
    confirmed: int
    waitlisted: int
    attended: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.confirmed, 0)


def activity_counts(activity: Activity) -> Counts:
    row = _counted(Activity.objects.filter(pk=activity.pk)).values("confirmed", "waitlisted", "attended")[0]
    return Counts(capacity=activity.capacity, **row)


def group_counts(activity: Activity) -> list[tuple]:
    """(group, signed up, attended) for each group of the activity, in order."""
    groups = activity.groups.annotate(
        confirmed=Count("signups", filter=Q(signups__status=SignupStatus.CONFIRMED)),
        attended=Count(
            "signups", filter=Q(signups__status=SignupStatus.CONFIRMED, signups__attended_at__isnull=False)
        ),
    )
    return [(group, group.confirmed, group.attended) for group in groups]


def activity_rows(activities: QuerySet[Activity]) -> list[Activity]:
    """With each its counts and ``dated_title``, the name as the newsletter writes it
    (3月23日主题党日), the date in front unless the title already starts with it."""
    rows = list(_counted(activities).order_by("-starts_at", "id"))
    for activity in rows:
        start = timezone.localtime(activity.starts_at)
        date = f"{start.month}月{start.day}日"
        activity.dated_title = activity.title if activity.title.startswith(date) else date + activity.title
    return rows


@dataclass(frozen=True)
class Month:
    month: object
    activities: int
    signed_up: int
    attended: int


def monthly_totals(activities: QuerySet[Activity]) -> list[Month]:
    """Per month of the activities' start (Shanghai time): activities held, signed up, attended."""
    rows = (
        _counted(activities.filter(cancelled_at__isnull=True))
        .annotate(month=TruncMonth("starts_at", tzinfo=timezone.get_default_timezone()))
        .values("month", "confirmed", "attended")
    )
    months: dict = {}
    for row in rows:
        total = months.setdefault(row["month"], [0, 0, 0])
        total[0] += 1
        total[1] += row["confirmed"]
        total[2] += row["attended"]
    return [Month(month, *totals) for month, totals in sorted(months.items(), reverse=True)]


def signups_workbook(activity: Activity):
    """The sign-up list as staff print it: phones masked (a workbook travels further than a screen)."""
    signups = Signup.objects.filter(activity=activity).exclude(status=SignupStatus.CANCELLED).select_related("group")
    headers = [_("姓名"), _("手机号码"), _("单位或党支部"), _("小组"), _("状态"), _("报名时间"), _("到场时间")]

    def rows():
        for signup in signups.iterator(chunk_size=1000):
            yield [
                signup.name,
                mask_phone(signup.phone),
                signup.unit,
                signup.group.name if signup.group else "",
                str(signup.get_status_display()),
                timezone.localtime(signup.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(signup.attended_at).strftime("%Y-%m-%d %H:%M") if signup.attended_at else "",
            ]

    return write_workbook([(activity.title, headers, rows())])


def sms_previews(activity: Activity) -> list[tuple[str, str]]:
    """What the people signing up will receive, as the organiser's page shows it: each text of
    this service with the activity's own words filled in (the link is each person's own)."""
    values = {
        "title": activity.title,
        "when": activity.starts_text,
        "place": activity.place,
        "note": activity.sms_note_sentence,
        "position": "1",
        "link": _("（每人自己的链接）"),
    }
    events = ("act_confirmed", "act_waitlisted", "act_promoted", "act_reminder", "act_called_off")
    return [(str(TEMPLATES[event].label), TEMPLATES[event].render(values)) for event in events]
