"""The staff queue: filters and search, always inside what the user may see.

One read of the subsidy's cases, shared by the back office's queue page (``review``) and the
queue's Excel export (``reports.views``): its filters (``QueueFilterForm``, read from the address
by ``queue_filters_from_request``) and its selector (``queue``, ``queue_count``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django import forms
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.core.models import Block, Neighbourhood
from jiedao.core.staff import neighbourhood_ids
from jiedao.intake.access import applications_for_staff
from jiedao.intake.service_types import all_statuses, statuses_q
from jiedao.intake.models import Application, Category, Channel, StatusTally
from jiedao.lib.crypto import InvalidToken, decrypt, encrypt, id_hash, last4_hash
from jiedao.lib.forms import LanguageColonForm, iso_date_input
from jiedao.lib.normalize import (
    normalize_id_number,
    normalize_phone,
    normalize_reference,
)

from .models import RosterMatch
from .selectors import roster_match_filter, with_roster_match

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
    if normalize_reference(text):
        return "reference"
    if _FULL_ID.match(normalize_id_number(text)):
        return "id_number"
    if _ID_LAST4.match(normalize_id_number(text)):
        return "id_last4"
    if _MOBILE.match(normalize_phone(text)):
        return "phone"
    if _PINYIN.match(text):
        return "pinyin"
    return "name"


def search_seal(text: str) -> str:
    """A search text as kept in the session: encrypted, since sessions are rows in the database
    and the text may be a whole ID number or a phone."""
    return encrypt(text)


def search_open(sealed: str) -> str:
    """The search text back from the session; "" for anything that is not our token."""
    try:
        return decrypt(sealed)
    except (InvalidToken, ValueError, TypeError, AttributeError):
        return ""


def _search(queryset: QuerySet[Application], q: str) -> QuerySet[Application]:
    text = q.strip().replace(" ", "")
    kind = search_kind(text)
    if kind == "reference":
        return queryset.filter(reference=normalize_reference(text))
    # ID numbers are stored encrypted: both searches compare keyed hashes (lib.crypto).
    if kind == "id_number":
        return queryset.filter(id_number_hash=id_hash(normalize_id_number(text)))
    if kind == "id_last4":
        return queryset.filter(id_last4_hash=last4_hash(normalize_id_number(text)))
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


def _filtered(user, filters: QueueFilters) -> QuerySet[Application]:
    queryset = applications_for_staff(user)
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
        queryset = with_roster_match(queryset).filter(roster_match_filter(filters.roster))
    if filters.q:
        queryset = _search(queryset, filters.q)
    if filters.order == "waiting":
        # "Not closed" rather than "one of the open statuses": the same cases, but SQLite then walks
        # the (updated_at, id) index in order and stops after a page, instead of reading every
        # open case through the status index and sorting them all.
        queryset = queryset.exclude(statuses_q("closed"))
    return queryset


def queue(user, filters: QueueFilters) -> QuerySet[Application]:
    queryset = _filtered(user, filters)
    if not filters.roster:
        queryset = with_roster_match(queryset)
    queryset = queryset.select_related("neighbourhood", "block", "programme")
    if filters.order == "waiting":
        return queryset.order_by("updated_at", "id")
    return queryset.order_by("-submitted_at", "-id")


# Filters the running status tallies can count: a page of the queue then costs no COUNT(*) over
# every case in scope, which is what the queue's first page would otherwise spend most on at a
# million cases.
_TALLY_COUNTABLE = frozenset({"programme", "neighbourhood", "status", "order"})


def queue_count(user, filters: QueueFilters) -> int:
    """How many cases ``queue(user, filters)`` holds, from the status tallies where they can say."""
    used = {name for name, value in vars(filters).items() if value}
    if filters.order != "waiting":
        used.discard("order")  # the newest-first order filters nothing
    if not used <= _TALLY_COUNTABLE:
        return _filtered(user, filters).count()
    tallies = StatusTally.objects.all()
    scope = neighbourhood_ids(user)
    if scope is not None:
        tallies = tallies.filter(neighbourhood_id__in=scope)
    if filters.programme:
        tallies = tallies.filter(programme__code=filters.programme)
    if filters.neighbourhood:
        tallies = tallies.filter(neighbourhood__code=filters.neighbourhood)
    if filters.status:
        tallies = tallies.filter(status=filters.status)
    if filters.order == "waiting":
        tallies = tallies.filter(statuses_q("open"))
    return tallies.aggregate(total=Sum("delta"))["total"] or 0


class QueueFilterForm(LanguageColonForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        help_text=_("姓名、拼音或首字母（如 zzy）、身份证后4位、手机号或受理编号"),
    )
    neighbourhood = forms.ChoiceField(label=_("居民区"), required=False)
    block = forms.ChoiceField(label=_("旧改地块"), required=False)
    category = forms.ChoiceField(label=_("特殊对象类别"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    channel = forms.ChoiceField(label=_("渠道"), required=False, choices=[("", _("全部"))] + Channel.choices)
    submitted_from = forms.DateField(label=_("受理日期从"), required=False, widget=iso_date_input())
    submitted_to = forms.DateField(label=_("到"), required=False, widget=iso_date_input())
    roster = forms.ChoiceField(
        label=_("在册户名单比对"), required=False, choices=[("", _("全部"))] + RosterMatch.choices
    )
    order = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[("newest", _("最新受理在前")), ("waiting", _("等待最久在前（未办结）"))],
    )

    def __init__(self, *args, neighbourhoods, blocks, categories, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["neighbourhood"].choices = everything + [(n.code, n.display_name) for n in neighbourhoods]
        self.fields["block"].choices = everything + [(b.code, b.display_name) for b in blocks]
        # Categories of several programmes may share a code; one entry per code.
        seen = {}
        for category in categories:
            seen.setdefault(category.code, category.display_name)
        self.fields["category"].choices = everything + list(seen.items())
        self.fields["status"].choices = everything + list(all_statuses().items())


SEARCHES_SESSION_KEY = "queue_searches"


def queue_filters_from_request(request) -> tuple[QueueFilterForm, QueueFilters]:
    """The queue's filters from the address (and the search text from the session)."""
    data = request.GET.copy()
    data.pop("q", None)  # search text only ever arrives by POST (see _remember_search)
    if token := data.get("s"):
        data["q"] = search_open(request.session.get(SEARCHES_SESSION_KEY, {}).get(token, ""))
    scope = neighbourhood_ids(request.user)
    neighbourhoods = Neighbourhood.objects.all() if scope is None else Neighbourhood.objects.filter(id__in=scope)
    form = QueueFilterForm(
        data or None,
        neighbourhoods=neighbourhoods,
        blocks=Block.objects.all(),
        categories=Category.objects.all(),
    )
    filters = QueueFilters()
    if form.is_bound:
        form.is_valid()  # a mistyped date drops that filter only; the others still apply
        filters = QueueFilters(**{name: value for name, value in form.cleaned_data.items() if value})
    return form, filters
