"""Keeping the dashboard's running counts.

``tallies_on_case_event`` subscribes to ``case_events`` and so runs inside the transaction of
every submission and transition, so a count can never disagree with the cases it counts. ``tallies_rebuild`` recomputes everything from the applications and
their history with a few GROUP BY queries: for data loaded in bulk, and as the check that the
running counts are right.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from .events import CaseEvent, CaseEventKind
from .service_types import statuses_q
from .models import (
    Application,
    ApplicationEvent,
    CategoryTally,
    DecisionTally,
    StatusTally,
    SubmissionTally,
)


def _bump(model, field: str, by: int, **dimensions) -> None:
    if model.objects.filter(**dimensions).update(**{field: F(field) + by}):
        return
    try:
        with transaction.atomic():
            model.objects.create(**dimensions, **{field: by})
    except IntegrityError:  # created meanwhile by a concurrent transaction
        model.objects.filter(**dimensions).update(**{field: F(field) + by})


def tallies_on_case_event(event: CaseEvent) -> None:
    if event.kind == CaseEventKind.SUBMITTED:
        tally_submission(event.application, event.categories)
    elif event.kind == CaseEventKind.TRANSITIONED:
        tally_transition(event.application, event.previous_status, event.application.status, event.at)


def tally_submission(application: Application, categories) -> None:
    day = timezone.localtime(application.submitted_at).date()
    base = {"programme_id": application.programme_id, "day": day, "neighbourhood_id": application.neighbourhood_id}
    _bump(SubmissionTally, "count", 1, block_id=application.block_id, channel=application.channel, **base)
    for category in categories:
        _bump(CategoryTally, "count", 1, category_id=category.id, **base)
    _bump(StatusTally, "delta", 1, status=application.status, **base)


def tally_transition(application: Application, from_status: str, to_status: str, at: dt.datetime) -> None:
    base = {
        "programme_id": application.programme_id,
        "day": timezone.localtime(at).date(),
        "neighbourhood_id": application.neighbourhood_id,
    }
    _bump(StatusTally, "delta", -1, status=from_status, **base)
    _bump(StatusTally, "delta", 1, status=to_status, **base)
    if to_status in application.lifecycle.decisions:
        hours = int((at - application.submitted_at).total_seconds() // 3600)
        _bump(DecisionTally, "count", 1, hours=max(hours, 0), **base)


def tallies_rebuild(programme_id: int | None = None) -> None:
    """Recompute every tally (of one programme, or all) from the cases and their history."""
    local = timezone.get_default_timezone()  # Asia/Shanghai: days are the residents' days
    applications = Application.objects.all()
    events = ApplicationEvent.objects.all()
    if programme_id is not None:
        applications = applications.filter(programme_id=programme_id)
        events = events.filter(application__programme_id=programme_id)
    with transaction.atomic():
        for model in (SubmissionTally, CategoryTally, StatusTally, DecisionTally):
            (model.objects.filter(programme_id=programme_id) if programme_id else model.objects.all()).delete()
        day = TruncDate("submitted_at", tzinfo=local)
        SubmissionTally.objects.bulk_create(
            SubmissionTally(**row)
            for row in applications.annotate(day=day)
            .values("programme_id", "day", "neighbourhood_id", "block_id", "channel")
            .annotate(count=Count("id"))
            .order_by()
        )
        CategoryTally.objects.bulk_create(
            CategoryTally(category_id=row.pop("categories"), **row)
            for row in applications.annotate(day=day)
            .values("programme_id", "day", "neighbourhood_id", "categories")
            .annotate(count=Count("id"))
            .order_by()
            if row["categories"] is not None
        )
        deltas: dict[tuple, int] = {}
        event_day = TruncDate("at", tzinfo=local)
        for row in (
            events.annotate(day=event_day)
            .values("application__programme_id", "day", "application__neighbourhood_id", "from_status", "to_status")
            .annotate(n=Count("id"))
            .order_by()
        ):
            key = (row["application__programme_id"], row["day"], row["application__neighbourhood_id"])
            if row["from_status"]:
                deltas[(*key, row["from_status"])] = deltas.get((*key, row["from_status"]), 0) - row["n"]
            deltas[(*key, row["to_status"])] = deltas.get((*key, row["to_status"]), 0) + row["n"]
        StatusTally.objects.bulk_create(
            StatusTally(programme_id=p, day=d, neighbourhood_id=n, status=s, delta=delta)
            for (p, d, n, s), delta in deltas.items()
            if delta
        )
        decisions: dict[tuple, int] = {}
        for programme, neighbourhood, submitted, decided in events.filter(
            statuses_q("decisions", programme_path="application__programme", status_field="to_status")
        ).values_list("application__programme_id", "application__neighbourhood_id", "application__submitted_at", "at").iterator(chunk_size=5000):
            key = (programme, timezone.localtime(decided).date(), neighbourhood, max(int((decided - submitted).total_seconds() // 3600), 0))
            decisions[key] = decisions.get(key, 0) + 1
        DecisionTally.objects.bulk_create(
            DecisionTally(programme_id=p, day=d, neighbourhood_id=n, hours=h, count=c)
            for (p, d, n, h), c in decisions.items()
        )
