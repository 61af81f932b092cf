"""The staff queue: filters and search, always inside what the user may see."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from jiedao.core.validators import normalize_id_number, normalize_phone
from jiedao.intake.lifecycle import OPEN_STATUSES
from jiedao.intake.models import Application

from jiedao.reports.selectors import roster_match_filter, with_roster_match

from .access import applications_for_staff

_REFERENCE = re.compile(r"^[A-Za-z]+-\d{4}-\d+$")
_ID_LAST4 = re.compile(r"^\d{3}[\dXx]$")
_FULL_ID = re.compile(r"^\d{17}[\dXx]$")
_MOBILE = re.compile(r"^1\d{10}$")
_PINYIN = re.compile(r"^[A-Za-z]+$")


@dataclass(frozen=True)
class QueueFilters:
    programme: str = ""
    neighbourhood: str = ""
    block: str = ""
    category: str = ""
    status: str = ""
    channel: str = ""
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    order: str = "newest"  # or "waiting": open cases, the longest-waiting first
    roster: str = ""  # same / other / absent: the match against the household roster
    q: str = ""


def search_kind(q: str) -> str:
    """What a search text is: reference, id_last4, id_number, phone, pinyin or name."""
    text = q.strip().replace(" ", "")
    if not text:
        return ""
    if _REFERENCE.match(text):
        return "reference"
    if _FULL_ID.match(text):
        return "id_number"
    if _ID_LAST4.match(text):
        return "id_last4"
    if _MOBILE.match(normalize_phone(text)):
        return "phone"
    if _PINYIN.match(text):
        return "pinyin"
    return "name"


def _search(queryset: QuerySet[Application], q: str) -> QuerySet[Application]:
    text = q.strip().replace(" ", "")
    kind = search_kind(text)
    if kind == "reference":
        return queryset.filter(reference=text.upper())
    if kind == "id_number":
        return queryset.filter(id_number=normalize_id_number(text))
    if kind == "id_last4":
        return queryset.filter(id_last4=text.upper())
    if kind == "phone":
        phone = normalize_phone(text)
        return queryset.filter(Q(phone=phone) | Q(proxy_phone=phone))
    if kind == "pinyin":
        letters = text.lower()
        # "zzy" matches the initials of 张志远, "zhangzhiyuan" (or "zhang") the full pinyin; a name
        # written in Latin letters ("Zhang Wei") has no pinyin and matches as typed.
        return queryset.filter(
            Q(name_initials__startswith=letters)
            | Q(name_pinyin__startswith=letters)
            | Q(applicant_name__istartswith=q.strip())
        )
    if kind == "name":
        return queryset.filter(applicant_name__startswith=text)
    return queryset


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def queue(user, filters: QueueFilters) -> QuerySet[Application]:
    queryset = with_roster_match(applications_for_staff(user)).select_related("neighbourhood", "block", "programme")
    if filters.programme:
        queryset = queryset.filter(programme__code=filters.programme)
    if filters.neighbourhood:
        queryset = queryset.filter(neighbourhood__code=filters.neighbourhood)
    if filters.block:
        queryset = queryset.filter(block__code=filters.block)
    if filters.category:
        queryset = queryset.filter(categories__code=filters.category)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__gte=_day_start(filters.submitted_from))
    if filters.submitted_to:
        queryset = queryset.filter(submitted_at__lt=_day_start(filters.submitted_to + dt.timedelta(days=1)))
    if filters.roster:
        queryset = queryset.filter(roster_match_filter(filters.roster))
    if filters.q:
        queryset = _search(queryset, filters.q)
    if filters.order == "waiting":
        return queryset.filter(status__in=OPEN_STATUSES).order_by("updated_at", "id")
    return queryset.order_by("-submitted_at", "-id")
