"""The subsidy's list for a public notice (公示): its approved applicants of a month, as the rules
allow showing them — name masked (俞*娥), renovation block, category group, amount — and never an
ID number, an address, a phone or an illness. Registered with ``lib.public_lists`` in
``apps.py``; the notice app asks the registry and never imports this module.

The row's key is the case's reference: an objection that names a row holds that case's payment
(``lib.payment_holds``, asked by ``transitions.application_transition``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.lib.formatting import mask_name
from jiedao.lib.public_lists import ListRow, ListSource

from .lifecycle import Status
from .models import Application, Category

# Categories that are health data: shown only as a neutral group, and refused if they ever show.
HEALTH_CATEGORY_CODES = frozenset({"serious_illness", "illness", "major_illness"})
NEUTRAL_GROUP = "其他困难情形"


def _is_health(category: Category) -> bool:
    return category.code in HEALTH_CATEGORY_CODES or "病" in category.name


def category_group(categories) -> str:
    names = []
    for category in sorted(categories, key=lambda c: (c.order, c.pk)):
        label = NEUTRAL_GROUP if _is_health(category) else category.name
        if label not in names:
            names.append(label)
    return "、".join(names)


def _month(period: str) -> tuple[dt.datetime, dt.datetime]:
    first = dt.date.fromisoformat(f"{period.strip()}-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(following, dt.time.min))


def approved_rows(period: str, neighbourhood_ids: Sequence[int] | None) -> list[ListRow]:
    """Applicants approved (or already paid) in the month ``period`` (2026-03)."""
    start, end = _month(period)
    cases = Application.objects.filter(
        status__in=(Status.APPROVED, Status.PAID), decided_at__gte=start, decided_at__lt=end
    ).select_related("block").prefetch_related("categories").order_by("block__name", "decided_at", "pk")
    if neighbourhood_ids:
        cases = cases.filter(neighbourhood_id__in=neighbourhood_ids)
    standard = Decimal(settings.JIEDAO_HARDSHIP_STANDARD_AMOUNT)
    return [
        ListRow(
            key=case.reference,
            cells=(
                mask_name(case.applicant_name),
                case.block.name if case.block else "",
                category_group(case.categories.all()),
                f"{(case.paid_amount or standard):.2f}",
            ),
        )
        for case in cases
    ]


def health_terms() -> list[str]:
    return [c.name for c in Category.objects.all() if _is_health(c)]


APPROVED_LIST = ListSource(
    name="hardship_approved",
    label=_("帮困补助：审核通过名单"),
    columns=(_("姓名"), _("旧改地块"), _("类别"), _("金额（元）")),
    rows=approved_rows,
    health_terms=health_terms,
    period_help=_("审核通过的月份，写成 2026-03。"),
)


def resident_phones(neighbourhood_ids, block_ids) -> list[str]:
    """The applicants' and proxies' phones of these neighbourhoods or blocks, for a notice's SMS
    push (``lib.resident_phones``); anonymised cases have none."""
    from django.db.models import Q

    if not neighbourhood_ids and not block_ids:
        return []
    cases = Application.objects.filter(Q(neighbourhood_id__in=neighbourhood_ids) | Q(block_id__in=block_ids))
    phones = []
    for phone, proxy_phone in cases.values_list("phone", "proxy_phone"):
        phones += [p for p in (phone, proxy_phone) if p and p.isdigit()]
    return phones
