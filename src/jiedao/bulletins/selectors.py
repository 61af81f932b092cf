"""Reads of public notices: current and archived ones, a notice's objections in figures, and the
staff's scoped lists."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jiedao.core.staff import neighbourhood_ids

from .models import (
    Bulletin,
    BulletinStatus,
    Objection,
    ObjectionOutcome,
    ObjectionStatus,
)


def current_bulletins(today: dt.date | None = None) -> list[Bulletin]:
    """Published notices in their period today, the one ending soonest first."""
    today = today or timezone.localdate()
    return list(
        Bulletin.objects.filter(status=BulletinStatus.PUBLISHED, starts_on__lte=today, ends_on__gte=today)
        .only("pk", "title", "office", "starts_on", "ends_on", "kind")
        .order_by("ends_on", "pk")
    )


def upcoming_bulletins(today: dt.date | None = None) -> list[Bulletin]:
    """Published notices whose period has not begun: shown, so nobody is surprised, with their start."""
    today = today or timezone.localdate()
    return list(
        Bulletin.objects.filter(status=BulletinStatus.PUBLISHED, starts_on__gt=today)
        .only("pk", "title", "office", "starts_on", "ends_on")
        .order_by("starts_on", "pk")
    )


def archived_bulletins(today: dt.date | None = None, limit: int = 50) -> list[Bulletin]:
    today = today or timezone.localdate()
    return list(
        Bulletin.objects.filter(status=BulletinStatus.PUBLISHED, ends_on__lt=today)
        .annotate(objection_count=Count("objections"))
        .order_by("-ends_on", "-pk")[:limit]
    )


def public_bulletin(pk: int, today: dt.date | None = None) -> Bulletin | None:
    """A published notice (in its period, past, or not yet begun); drafts and withdrawn ones are not public."""
    return Bulletin.objects.filter(pk=pk, status=BulletinStatus.PUBLISHED).prefetch_related("attachments", "neighbourhoods", "blocks").first()


def objection_outcomes(bulletin: Bulletin) -> dict:
    """How many objections, and what came of them: what the notice records after its period."""
    counts = bulletin.objections.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status=ObjectionStatus.OPEN)),
        **{outcome.value: Count("pk", filter=Q(outcome=outcome.value)) for outcome in ObjectionOutcome},
    )
    counts["outcomes"] = [(outcome.label, counts[outcome.value]) for outcome in ObjectionOutcome if counts[outcome.value]]
    return counts


def bulletins_for_staff(user) -> QuerySet[Bulletin]:
    """A committee worker sees the notices of her neighbourhoods and those she wrote; the other
    roles the whole subdistrict's."""
    scope = neighbourhood_ids(user)
    bulletins = Bulletin.objects.all()
    if scope is not None:
        bulletins = bulletins.filter(Q(neighbourhoods__id__in=scope) | Q(created_by=user)).distinct()
    return bulletins.annotate(
        objection_count=Count("objections", distinct=True),
        open_count=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN), distinct=True),
    )


def bulletin_for_staff(user, pk: int) -> Bulletin | None:
    return bulletins_for_staff(user).filter(pk=pk).first()


def open_objections(user, today: dt.date | None = None) -> list[Objection]:
    today = today or timezone.localdate()
    visible = bulletins_for_staff(user).values("pk")
    rows = list(Objection.objects.filter(status=ObjectionStatus.OPEN, bulletin__in=visible).select_related("bulletin").order_by("due_on", "pk"))
    for row in rows:
        row.is_overdue = row.overdue(today)
    return rows
