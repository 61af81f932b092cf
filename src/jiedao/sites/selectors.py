"""Reads of the site register: who may see what, a day's figures at a site (people on site now,
entries, refusals, missed temperature checks), and the lists the staff pages show.

A day's figures come from its entries while they are kept (28 days), and from the day's count row
(``DailyCount``) after retention deleted them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.http import Http404
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.core.staff import in_scope, staff_role

from .models import DailyCount, Direction, GateEntry, Outcome, Refusal, Site, SiteWorker

PEOPLE_READERS = frozenset({Role.REVIEWER, Role.ADMIN})


def sites_for_staff(user):
    return in_scope(Site.objects.select_related("neighbourhood"), user)


def site_for_staff(user, code: str) -> Site:
    site = sites_for_staff(user).filter(code=code).first()
    if site is None:
        raise Http404
    return site


def may_see_people(user, site: Site) -> bool:
    """Names and ID numbers: the committee's responsible worker and reviewers; everyone else
    (other committee workers, the leadership) sees counts and crew numbers."""
    return staff_role(user) in PEOPLE_READERS or (site.responsible_id is not None and site.responsible_id == user.pk)


def may_manage(user, site: Site) -> bool:
    """Approve and revoke passes, close refusals, attach commitments: staff who may see people."""
    return may_see_people(user, site)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def day_entries(site: Site, day: dt.date):
    start, end = _day_bounds(day)
    return GateEntry.objects.filter(site=site, at__gte=start, at__lt=end)


@dataclass(frozen=True)
class Figures:
    day: dt.date
    people: int
    entries: int
    exits: int
    refusals: int
    rejected: int
    missed_checks: int
    on_site: int
    kept: bool = True  # False: the entries are gone, these are the day's kept counts


def on_site_worker_ids(site: Site, day: dt.date) -> list[int]:
    """Workers whose last admitted record of the day is an entry (grouped in the database)."""
    rows = (
        day_entries(site, day)
        .filter(outcome=Outcome.ADMITTED, worker__isnull=False)
        .values("worker_id")
        .annotate(last_in=Max("at", filter=Q(direction=Direction.IN)), last_out=Max("at", filter=Q(direction=Direction.OUT)))
    )
    return sorted(r["worker_id"] for r in rows if r["last_in"] and (r["last_out"] is None or r["last_in"] > r["last_out"]))


def missed_check_worker_ids(site: Site, day: dt.date) -> list[int]:
    """Workers seen at the gate that day (an exit recorded) without an admitted entry with a
    temperature: they came in past the gate, unchecked."""
    rows = (
        day_entries(site, day)
        .filter(outcome=Outcome.ADMITTED, worker__isnull=False)
        .values("worker_id")
        .annotate(checked=Count("id", filter=Q(direction=Direction.IN, temperature__isnull=False)))
        .filter(checked=0)
    )
    return sorted(r["worker_id"] for r in rows)


def day_figures(site: Site, day: dt.date) -> Figures:
    entries = day_entries(site, day)
    row = entries.aggregate(
        entries=Count("id", filter=Q(outcome=Outcome.ADMITTED, direction=Direction.IN)),
        exits=Count("id", filter=Q(outcome=Outcome.ADMITTED, direction=Direction.OUT)),
        refusals=Count("id", filter=Q(outcome=Outcome.REFUSED)),
        rejected=Count("id", filter=Q(outcome=Outcome.REJECTED)),
        people=Count("worker", filter=Q(outcome=Outcome.ADMITTED, direction=Direction.IN), distinct=True),
        any=Count("id"),
    )
    if not row["any"]:
        kept = DailyCount.objects.filter(site=site, day=day).first()
        if kept is not None:
            return Figures(day, kept.people, kept.entries, kept.exits, kept.refusals, kept.rejected, kept.missed_checks, 0, kept=False)
    return Figures(
        day=day, people=row["people"], entries=row["entries"], exits=row["exits"], refusals=row["refusals"],
        rejected=row["rejected"], missed_checks=len(missed_check_worker_ids(site, day)),
        on_site=len(on_site_worker_ids(site, day)),
    )  # fmt: skip


def week_figures(site: Site, today: dt.date, days: int = 7) -> list[Figures]:
    return [day_figures(site, today - dt.timedelta(days=n)) for n in range(days)]


def open_refusals(site: Site):
    return Refusal.objects.filter(site=site, closed_at__isnull=True).select_related("entry", "entry__worker", "site")


def crew(site: Site):
    return SiteWorker.objects.filter(site=site).prefetch_related("passes").order_by("id")


def workers_by_ids(site: Site, ids) -> list[SiteWorker]:
    return list(SiteWorker.objects.filter(site=site, pk__in=list(ids)).order_by("id"))
