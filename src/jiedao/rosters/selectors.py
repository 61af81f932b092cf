"""Reads of duty rosters: the coverage board, a volunteer's own page, the calendar feed, hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Assignment, Post, Shift, Volunteer

LATE_AFTER = dt.timedelta(minutes=10)


def shifts_with_counts(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    return shifts.annotate(taken=Count("assignments", filter=Q(assignments__cancelled_at__isnull=True)))


@dataclass(frozen=True)
class BoardDay:
    day: dt.date
    shifts: list  # Shift with .taken and .people


def coverage_board(posts: QuerySet[Post], *, days: int = 7, now: dt.datetime | None = None) -> list[BoardDay]:
    """Every shift of the next ``days`` days at these posts, with who is on it: covered or short."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    shifts = list(
        shifts_with_counts(
            Shift.objects.filter(post__in=posts, cancelled_at__isnull=True, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=days))
        ).select_related("post").order_by("starts_at", "post__name")
    )  # fmt: skip
    people: dict[int, list[Assignment]] = {}
    for assignment in Assignment.objects.filter(shift__in=shifts, cancelled_at__isnull=True).select_related("volunteer"):
        people.setdefault(assignment.shift_id, []).append(assignment)
    board: dict[dt.date, list] = {today + dt.timedelta(days=n): [] for n in range(days)}
    for shift in shifts:
        shift.people = people.get(shift.pk, [])
        shift.late = [a for a in shift.people if a.checked_in_at and a.checked_in_at > shift.starts_at + LATE_AFTER]
        shift.missed = [a for a in shift.people if a.checked_in_at is None and shift.ends_at <= now]
        board[timezone.localtime(shift.starts_at).date()].append(shift)
    return [BoardDay(day, day_shifts) for day, day_shifts in board.items()]


def volunteer_shifts(volunteer: Volunteer, *, now: dt.datetime | None = None) -> list[Assignment]:
    now = now or timezone.now()
    return list(
        Assignment.objects.filter(
            volunteer=volunteer, cancelled_at__isnull=True, shift__cancelled_at__isnull=True, shift__ends_at__gt=now
        )
        .select_related("shift__post")
        .order_by("shift__starts_at")
    )


def open_shifts(volunteer: Volunteer, *, days: int = 14, now: dt.datetime | None = None) -> list[Shift]:
    """Shifts of the volunteer's neighbourhood in the next ``days`` days with a free place."""
    now = now or timezone.now()
    mine = Assignment.objects.filter(volunteer=volunteer, cancelled_at__isnull=True).values("shift_id")
    shifts = shifts_with_counts(
        Shift.objects.filter(
            post__neighbourhood_id=volunteer.neighbourhood_id, post__active=True, cancelled_at__isnull=True,
            starts_at__gt=now, starts_at__lt=now + dt.timedelta(days=days),
        ).exclude(pk__in=mine)
    ).select_related("post").order_by("starts_at")  # fmt: skip
    return [shift for shift in shifts if shift.taken < shift.headcount]


def offered_swaps(volunteer: Volunteer, *, now: dt.datetime | None = None) -> list[Assignment]:
    now = now or timezone.now()
    return list(
        Assignment.objects.filter(
            shift__post__neighbourhood_id=volunteer.neighbourhood_id, cancelled_at__isnull=True,
            offered_at__isnull=False, shift__starts_at__gt=now,
        ).exclude(volunteer=volunteer).select_related("shift__post", "volunteer").order_by("shift__starts_at")
    )  # fmt: skip


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_feed(volunteer: Volunteer, *, host: str) -> str:
    """The volunteer's shifts as an iCalendar feed (RFC 5545), for a phone's calendar to subscribe to."""
    stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Jiedao//Rosters//ZH", "CALSCALE:GREGORIAN", "X-WR-CALNAME:值守排班"]
    for assignment in Assignment.objects.filter(
        volunteer=volunteer, cancelled_at__isnull=True, shift__cancelled_at__isnull=True
    ).select_related("shift__post"):
        shift = assignment.shift
        lines += [
            "BEGIN:VEVENT",
            f"UID:jiedao-assignment-{assignment.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{shift.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{shift.ends_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{_ics_text('值守：' + shift.post.name)}",
            f"LOCATION:{_ics_text(shift.post.name)}",
            "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT1H", f"DESCRIPTION:{_ics_text('值守：' + shift.post.name)}", "END:VALARM",
            "END:VEVENT",
        ]  # fmt: skip
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class HoursRow:
    volunteer: Volunteer
    shifts: int
    hours: float


def hours_served(volunteers: QuerySet[Volunteer], month: dt.date) -> list[HoursRow]:
    """Shifts attended (checked in) and hours served per volunteer in ``month``: the shift's
    length, or from check-in to check-out when both were recorded."""
    first = timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time.min))
    following = timezone.make_aware(dt.datetime.combine((month.replace(day=28) + dt.timedelta(days=4)).replace(day=1), dt.time.min))
    served: dict[int, list[float]] = {}
    for assignment in Assignment.objects.filter(
        volunteer__in=volunteers, cancelled_at__isnull=True, checked_in_at__isnull=False,
        shift__starts_at__gte=first, shift__starts_at__lt=following,
    ).select_related("shift"):  # fmt: skip
        shift = assignment.shift
        end, start = (assignment.checked_out_at, assignment.checked_in_at) if assignment.checked_out_at else (shift.ends_at, shift.starts_at)
        served.setdefault(assignment.volunteer_id, []).append((end - start).total_seconds() / 3600)
    return [
        HoursRow(volunteer, len(served.get(volunteer.pk, [])), round(sum(served.get(volunteer.pk, [])), 1))
        for volunteer in volunteers.order_by("name")
    ]
