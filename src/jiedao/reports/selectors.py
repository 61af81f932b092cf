"""Figures for the leadership and the renovation office, always computed from the data.

"As of 4 March the subdistrict had accepted 307 applications": every figure here is for one
programme and one as-of date (the end of that day in Shanghai), inside what the user may see (a
committee worker's figures cover their own neighbourhoods). The status of each case is its status
*at that moment*, so a past date gives the figures people saw that day.

The figures are sums over small running tallies per day and neighbourhood (``intake.tallies``),
kept in the same transaction as every change; a dashboard over a million applications reads a
few thousand rows, not a million.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from jiedao.core.staff import neighbourhood_ids
from jiedao.intake.models import (
    Application,
    Category,
    CategoryTally,
    Channel,
    DecisionTally,
    Programme,
    StatusTally,
    SubmissionTally,
)
from jiedao.lib.crypto import decrypt
from jiedao.lib.validators import mask_id_number

from .models import RosterEntry, RosterMatch


@dataclass
class Breakdown:
    """One table of the dashboard: rows of (label, count), in a fixed order, zeros included."""

    key: str
    rows: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(count for _label, count in self.rows)

    @property
    def largest(self) -> int:
        return max((count for _label, count in self.rows), default=0)


@dataclass
class DayCount:
    day: dt.date
    count: int
    cumulative: int


@dataclass
class Stats:
    programme: Programme
    as_of: dt.date
    total: int
    by_day: list[DayCount]
    by_neighbourhood: Breakdown
    by_block: Breakdown
    by_category: Breakdown
    by_channel: Breakdown
    by_status: Breakdown
    median_days_to_decision: float | None
    decided: int

    def breakdowns(self) -> list[Breakdown]:
        """The tables this programme's service type shows (``ServiceType.dashboard_dimensions``)."""
        return [getattr(self, f"by_{dimension}") for dimension in self.programme.kind.dashboard_dimensions]


def _scoped(model, user, programme: Programme, as_of: dt.date):
    rows = model.objects.filter(programme=programme, day__lte=as_of)
    scope = neighbourhood_ids(user)
    return rows if scope is None else rows.filter(neighbourhood_id__in=scope)


def _summed(rows, dimension: str, field: str = "count") -> dict:
    return {row[dimension]: row["n"] for row in rows.values(dimension).annotate(n=Sum(field)).order_by()}


def _median_hours(histogram: list[tuple[int, int]]) -> float | None:
    """The median of a histogram of (hours, how many), halfway between the middle two if even."""
    total = sum(count for _hours, count in histogram)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]
    values, seen = [], 0
    for hours, count in sorted(histogram):
        while middle and middle[0] < seen + count:
            values.append(hours)
            middle.pop(0)
        seen += count
    return sum(values) / len(values)


def programme_stats(user, programme: Programme, as_of: dt.date | None = None) -> Stats:
    """Every figure of the dashboard, read from the running tallies (see ``intake.tallies``)."""
    as_of = as_of or timezone.localdate()
    submissions = _scoped(SubmissionTally, user, programme, as_of)
    per_day = _summed(submissions, "day")
    total = sum(per_day.values())

    # The programme's window up to the as-of date, widened to any day that has applications.
    first_day = min([programme.opens_on, *per_day])
    last_day = max([min(as_of, programme.closes_on), *per_day])
    by_day, running = [], 0
    day = first_day
    while day <= last_day:
        running += per_day.get(day, 0)
        by_day.append(DayCount(day, per_day.get(day, 0), running))
        day += dt.timedelta(days=1)

    scope = neighbourhood_ids(user)
    neighbourhoods = programme.neighbourhoods.all()
    if scope is not None:
        neighbourhoods = neighbourhoods.filter(id__in=scope)
    counts = _summed(submissions, "neighbourhood")
    by_neighbourhood = Breakdown("neighbourhood", [(n.display_name, counts.get(n.id, 0)) for n in neighbourhoods])
    counts = _summed(submissions, "block")
    by_block = Breakdown("block", [(b.display_name, counts.get(b.id, 0)) for b in programme.blocks.all()])
    counts = _summed(_scoped(CategoryTally, user, programme, as_of), "category")
    by_category = Breakdown(
        "category", [(c.display_name, counts.get(c.id, 0)) for c in Category.objects.filter(programme=programme)]
    )
    counts = _summed(submissions, "channel")
    by_channel = Breakdown("channel", [(str(label), counts.get(value, 0)) for value, label in Channel.choices])
    counts = _summed(_scoped(StatusTally, user, programme, as_of), "status", "delta")
    statuses = programme.kind.lifecycle.statuses
    by_status = Breakdown("status", [(str(label), counts.get(value, 0)) for value, label in statuses.items()])

    histogram = list(_summed(_scoped(DecisionTally, user, programme, as_of), "hours").items())
    median_hours = _median_hours(histogram)
    return Stats(
        programme=programme,
        as_of=as_of,
        total=total,
        by_day=by_day,
        by_neighbourhood=by_neighbourhood,
        by_block=by_block,
        by_category=by_category,
        by_channel=by_channel,
        by_status=by_status,
        median_days_to_decision=None if median_hours is None else round(median_hours / 24, 1),
        decided=sum(count for _hours, count in histogram),
    )


def export_id_number(token: str, *, full: bool) -> str:
    """An ID number for the Excel export, from its stored token: whole only for roles that may
    see whole numbers (``staff.may_see_full_id_numbers``), masked for everyone else. Decrypting
    costs about 6 µs a row, some 6 s for a million rows."""
    number = decrypt(token) if token else ""
    return number if full else mask_id_number(number)


# Matching applications against the current household roster.


def with_roster_match(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate ``on_roster`` and ``roster_complete`` (every category claimed is on the roster)."""
    entries = RosterEntry.objects.filter(
        version__is_current=True, version__programme=OuterRef("programme"), id_number_hash=OuterRef("id_number_hash")
    )
    listed = RosterEntry.categories.through.objects.filter(
        rosterentry__version__is_current=True,
        rosterentry__version__programme=OuterRef(OuterRef("programme")),
        rosterentry__id_number_hash=OuterRef(OuterRef("id_number_hash")),
    ).values("category_id")
    claimed_not_listed = Application.categories.through.objects.filter(application_id=OuterRef("pk")).exclude(
        category_id__in=listed
    )
    return queryset.annotate(on_roster=Exists(entries), roster_complete=~Exists(claimed_not_listed))


def roster_match_filter(match: str) -> Q:
    if match == RosterMatch.SAME_CATEGORY:
        return Q(on_roster=True, roster_complete=True)
    if match == RosterMatch.OTHER_CATEGORY:
        return Q(on_roster=True, roster_complete=False)
    if match == RosterMatch.NOT_ON_ROSTER:
        return Q(on_roster=False)
    return Q()


def match_from_annotations(on_roster: bool, roster_complete: bool) -> RosterMatch:
    if not on_roster:
        return RosterMatch.NOT_ON_ROSTER
    return RosterMatch.SAME_CATEGORY if roster_complete else RosterMatch.OTHER_CATEGORY


def roster_match_of(application: Application) -> RosterMatch | None:
    """same / other / absent for one application, or None when the programme has no roster yet."""
    if not application.programme.roster_versions.filter(is_current=True).exists():
        return None
    annotated = with_roster_match(Application.objects.filter(pk=application.pk)).values("on_roster", "roster_complete")[0]
    return match_from_annotations(annotated["on_roster"], annotated["roster_complete"])

