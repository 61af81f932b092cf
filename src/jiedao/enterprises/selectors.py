"""Reads of enterprise outreach: the lists staff work from, one enterprise's whole history, the
stock of every item, and the figures the leadership reads ("为 29 家单独建会企业提供口罩 N 只…").

Every supplies figure is a sum over ``LedgerEntry`` rows (handouts and the corrections that name
an enterprise count for that enterprise), so it can be reproduced from the ledger by anyone; the
stock is ``Item.balance``, the running balance, and ``balances_recount`` sums the rows to check it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.lib.excel import write_workbook
from jiedao.lib.validators import mask_phone

from .models import OPEN_NEED, Enterprise, Item, LedgerEntry, Need, NeedKind, NeedStatus, Visit


def enterprise_rows(enterprises: QuerySet[Enterprise], *, search: str = "", union: str = "") -> list[Enterprise]:
    search = (search or "").strip()
    if search:
        enterprises = enterprises.filter(Q(name__icontains=search) | Q(uscc__icontains=search.upper()))
    if union in ("1", "0"):
        enterprises = enterprises.filter(union_separate=union == "1")
    return list(
        enterprises.select_related("neighbourhood")
        .prefetch_related("contacts")
        .annotate(
            open_needs=Count("needs", filter=Q(needs__status__in=OPEN_NEED), distinct=True),
            last_visit=Max("visits__visited_on"),
        )
        .order_by("name", "id")
    )


def enterprise_history(enterprise: Enterprise) -> list[tuple[dt.datetime, str, object]]:
    """One place for a company's history: visits, needs raised and their moves, handouts, newest first."""
    rows: list[tuple[dt.datetime, str, object]] = []
    for visit in enterprise.visits.prefetch_related("staff", "photos"):
        rows.append((timezone.make_aware(dt.datetime.combine(visit.visited_on, dt.time(12))), "visit", visit))
    for need in enterprise.needs.prefetch_related("events"):
        for event in need.events.all():
            rows.append((event.at, "need", (need, event)))
    for entry in enterprise.handouts.select_related("item"):
        rows.append((entry.at, "handout", entry))
    rows.sort(key=lambda row: row[0], reverse=True)
    return rows


def needs_rows(needs: QuerySet[Need], *, status: str = "", kind: str = "", overdue: bool = False, today=None) -> list[Need]:
    today = today or timezone.localdate()
    if status == "unfinished":
        needs = needs.filter(status__in=OPEN_NEED)
    elif status in NeedStatus.values:
        needs = needs.filter(status=status)
    if kind in NeedKind.values:
        needs = needs.filter(kind=kind)
    if overdue:
        needs = needs.filter(status__in=OPEN_NEED, due_on__lt=today)
    rows = list(needs.select_related("enterprise", "owner").order_by("due_on", "id")[:1000])
    for need in rows:
        need.overdue = need.is_overdue(today)
    return rows


def balances() -> list[Item]:
    """Every item with its stock: the running balances, one small query."""
    return list(Item.objects.order_by("id"))


def balances_recount() -> dict[int, int]:
    """item id → the sum of its ledger rows: what the running balance must equal."""
    return dict(LedgerEntry.objects.values_list("item").annotate(t=Sum("quantity")).values_list("item", "t").order_by())


def ledger_rows(*, item: Item | None = None, limit: int = 200) -> list[LedgerEntry]:
    entries = LedgerEntry.objects.select_related("item", "enterprise", "need", "actor", "corrects").order_by("-at", "-id")
    if item is not None:
        entries = entries.filter(item=item)
    return list(entries[:limit])


# --- the leadership's figures --------------------------------------------------------------------


@dataclass
class ItemFigures:
    item: Item
    received: int = 0
    handed_out: int = 0
    enterprises: int = 0  # enterprises that received any
    to_union: int = 0  # handed out to enterprises with their own union (单独建会)


@dataclass
class Dashboard:
    month_start: dt.date
    visited_this_month: int
    visits_this_month: int
    needs_by_kind: list[tuple[str, int, int, int]]  # (kind label, open, overdue, met)
    items: list[ItemFigures]
    per_enterprise: list[tuple[Enterprise, dict[int, int]]]
    union_enterprises_supplied: int
    sentence: str
    totals: dict = field(default_factory=dict)


def supplies_sentence(union_count: int, items: list[ItemFigures]) -> str:
    """为 29 家单独建会企业提供口罩 N 只、免洗洗手液 M 瓶…, from the figures."""
    given = [f"{figures.item.name} {figures.to_union} {figures.item.unit}" for figures in items if figures.to_union]
    if not union_count or not given:
        return _("还没有向单独建会企业发放物资。")
    return _("为 %(count)d 家单独建会企业提供%(items)s。") % {"count": union_count, "items": "、".join(given)}


def dashboard(*, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    visits = Visit.objects.filter(visited_on__gte=month_start, visited_on__lte=today)
    visited = visits.values("enterprise").distinct().count()
    by_kind = {
        row["kind"]: row
        for row in Need.objects.values("kind").annotate(
            open=Count("id", filter=Q(status__in=OPEN_NEED)),
            overdue=Count("id", filter=Q(status__in=OPEN_NEED, due_on__lt=today)),
            met=Count("id", filter=Q(status=NeedStatus.MET)),
        )
    }
    needs_by_kind = [
        (str(label), by_kind.get(kind, {}).get("open", 0), by_kind.get(kind, {}).get("overdue", 0), by_kind.get(kind, {}).get("met", 0))
        for kind, label in NeedKind.choices
    ]
    items = {item.pk: ItemFigures(item) for item in Item.objects.order_by("id")}
    # A row with an enterprise went out (handouts, and the corrections of handouts, which name the
    # same enterprise); a row without one came in (receipts, and their corrections).
    for item_id, total in LedgerEntry.objects.filter(enterprise__isnull=True).values_list("item").annotate(t=Sum("quantity")).values_list("item", "t").order_by():
        items[item_id].received += total
    for item_id, total in LedgerEntry.objects.filter(enterprise__isnull=False).values_list("item").annotate(t=Sum("quantity")).values_list("item", "t").order_by():
        items[item_id].handed_out -= total
    per: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for enterprise_id, item_id, total in (
        LedgerEntry.objects.filter(enterprise__isnull=False).values_list("enterprise", "item").annotate(t=Sum("quantity")).values_list(
            "enterprise", "item", "t"
        ).order_by()
    ):
        per[enterprise_id][item_id] -= total
    enterprises = Enterprise.objects.in_bulk([pk for pk, row in per.items() if any(v > 0 for v in row.values())])
    union_supplied = 0
    for pk, enterprise in enterprises.items():
        given = [item_id for item_id, quantity in per[pk].items() if quantity > 0]
        for item_id in given:
            items[item_id].enterprises += 1
            if enterprise.union_separate:
                items[item_id].to_union += per[pk][item_id]
        union_supplied += enterprise.union_separate
    per_enterprise = sorted(((enterprises[pk], dict(per[pk])) for pk in enterprises), key=lambda row: (row[0].name, row[0].pk))
    item_list = list(items.values())
    return Dashboard(
        month_start=month_start,
        visited_this_month=visited,
        visits_this_month=visits.count(),
        needs_by_kind=needs_by_kind,
        items=item_list,
        per_enterprise=per_enterprise,
        union_enterprises_supplied=union_supplied,
        sentence=supplies_sentence(union_supplied, item_list),
    )


def dashboard_workbook(board: Dashboard):
    items = [figures.item for figures in board.items]
    return write_workbook(
        [
            (
                _("概况"),
                [_("项目"), _("数值")],
                [
                    [_("本月走访企业（家）"), board.visited_this_month],
                    [_("本月走访（次）"), board.visits_this_month],
                    [_("单独建会企业获发物资（家）"), board.union_enterprises_supplied],
                    [_("说明"), board.sentence],
                ],
            ),
            (_("诉求"), [_("类别"), _("未办结"), _("逾期"), _("已解决")], [list(row) for row in board.needs_by_kind]),
            (
                _("物资"),
                [_("物资"), _("单位"), _("入库"), _("发放"), _("库存"), _("发放企业（家）")],
                [[f.item.name, f.item.unit, f.received, f.handed_out, f.item.balance, f.enterprises] for f in board.items],
            ),
            (
                _("按企业"),
                [_("企业"), _("统一社会信用代码"), _("单独建会"), *[f"{item.name}（{item.unit}）" for item in items]],
                [
                    [e.name, e.uscc, _("是") if e.union_separate else _("否"), *[given.get(item.pk, 0) for item in items]]
                    for e, given in board.per_enterprise
                ],
            ),
        ]
    )


def contacts_masked(enterprise: Enterprise) -> list[tuple[str, str, str]]:
    return [(c.name, mask_phone(c.phone), c.title) for c in enterprise.contacts.all()]
