"""Reads of the SMS outbox for staff pages and the command line."""

from __future__ import annotations

from django.db.models import QuerySet

from jiedao.core.staff import in_scope

from .models import Event, Notice, NoticeStatus


def notices_for_case(application) -> list[Notice]:
    """Every notice of one case, oldest first, with which ones were resent."""
    return list(Notice.objects.filter(application=application).prefetch_related("resends").order_by("created_at", "id"))


def failed_notices(user) -> QuerySet[Notice]:
    """Failed notices not resent yet, of the user's neighbourhoods (a case's, or another service's), newest first.

    Access codes are left out: a code is only worth its ten minutes, and the resident asks again."""
    return (
        in_scope(Notice.objects.all(), user)
        .filter(status=NoticeStatus.FAILED, resends__isnull=True)
        .exclude(event=Event.ACCESS_CODE)
        .select_related("application")
        .order_by("-failed_at", "-created_at")
    )
