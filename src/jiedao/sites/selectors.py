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


def site_workbook(site: Site, today: dt.date, *, may_see_people: bool, days: int = 28):
    """The site's register as the committee files it: one row per day (the kept counts too), and
    the entries still kept; names only for those who may see them (crew numbers otherwise)."""
    from django.utils.translation import gettext as _

    from jiedao.lib.excel import write_workbook

    figures = [day_figures(site, today - dt.timedelta(days=n)) for n in range(days)]
    count_headers = [_("日期"), _("进场人数"), _("进场人次"), _("出场人次"), _("拒绝进场"), _("出入证无效"), _("未测温")]
    count_rows = ([f.day.isoformat(), f.people, f.entries, f.exits, f.refusals, f.rejected, f.missed_checks] for f in figures)
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min))
    entries = GateEntry.objects.filter(site=site, at__gte=start).select_related("worker").order_by("at", "id")
    entry_headers = [_("时间"), _("施工人员"), _("进出"), _("体温"), _("健康码"), _("结果"), _("手机上的时间")]

    def entry_rows():
        for entry in entries.iterator(chunk_size=1000):
            who = (entry.worker.name if may_see_people else f"#{entry.worker_id}") if entry.worker_id else ""
            yield [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"), who, str(entry.get_direction_display()),
                float(entry.temperature) if entry.temperature is not None else "", str(entry.get_health_code_display()),
                str(entry.get_outcome_display()),
                timezone.localtime(entry.phone_at).strftime("%Y-%m-%d %H:%M") if entry.phone_at else "",
            ]  # fmt: skip

    return write_workbook([(_("每日统计"), count_headers, count_rows), (_("进出记录"), entry_headers, entry_rows())])
