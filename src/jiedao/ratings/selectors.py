"""The reads of service ratings: the staff dashboard's figures (per service, per office, per
month, share satisfied, the indicators, open and overdue rectifications), the public monthly
summary (公开), and the export in the provincial rating platforms' fields.

Every figure counts only ratings not excluded by an upheld appeal; a worker's figures cover their
own neighbourhoods (``core.staff.in_scope``), the subdistrict's staff see everything.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.staff import in_scope
from jiedao.lib.excel import write_workbook

from .models import INDICATORS, SATISFIED_LEVELS, Appeal, AppealStatus, Invitation, Level, Rating, Rectification, RectificationStatus

SATISFIED = Q(level__in=list(SATISFIED_LEVELS))


@dataclass
class Summary:
    label: str = ""
    total: int = 0
    satisfied: int = 0
    levels: list[tuple[str, int]] = field(default_factory=list)
    indicators: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def share_satisfied(self) -> str:
        """满意率 as people read it: 96.5%; a dash with no rating."""
        if not self.total:
            return "—"
        return f"{self.satisfied * 100 / self.total:.1f}%"


def ratings_for(user=None):
    """The ratings counted in figures, within ``user``'s scope (everyone's without a user)."""
    ratings = Rating.objects.filter(excluded=False)
    if user is not None:
        ratings = in_scope(ratings, user, "invitation__neighbourhood")
    return ratings


def _aggregates():
    return {
        "total": Count("id"),
        "satisfied": Count("id", filter=SATISFIED),
        **{f"level_{level}": Count("id", filter=Q(level=level)) for level in Level.values},
        **{f"avg_{name}": Avg(name) for name in INDICATORS},
    }


def _summary(label: str, row: dict) -> Summary:
    return Summary(
        label=label,
        total=row["total"],
        satisfied=row["satisfied"],
        levels=[(str(Level(level).label), row[f"level_{level}"]) for level in sorted(Level.values, reverse=True)],
        indicators=[
            (str(label), round(row[f"avg_{name}"], 2) if row[f"avg_{name}"] is not None else None)
            for name, label in INDICATORS.items()
        ],
    )


def summary(ratings) -> Summary:
    return _summary(_("合计"), ratings.aggregate(**_aggregates()))


def by_service(ratings) -> list[Summary]:
    rows = ratings.values("invitation__service_label").annotate(**_aggregates()).order_by("invitation__service_label")
    return [_summary(row["invitation__service_label"], row) for row in rows]


def by_office(ratings) -> list[Summary]:
    rows = ratings.values("invitation__office").annotate(**_aggregates()).order_by("invitation__office")
    return [_summary(row["invitation__office"] or _("（未注明）"), row) for row in rows]


def by_month(ratings) -> list[Summary]:
    rows = (
        ratings.annotate(month=TruncMonth("rated_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(**_aggregates())
        .order_by("-month")
    )
    return [_summary(row["month"].strftime("%Y-%m"), row) for row in rows]


def rectifications_for(user=None):
    items = Rectification.objects.filter(rating__excluded=False).select_related("rating__invitation", "owner")
    if user is not None:
        items = in_scope(items, user, "rating__invitation__neighbourhood")
    return items


@dataclass
class Dashboard:
    overall: Summary
    services: list[Summary]
    offices: list[Summary]
    months: list[Summary]
    open_items: list
    overdue: int
    unknown_year: int
    pending_appeals: list
    awaiting: list
    recent: list
    today: dt.date


def dashboard(user, *, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    ratings = ratings_for(user)
    open_items = list(rectifications_for(user).filter(status=RectificationStatus.OPEN).order_by("due_on", "id"))
    for item in open_items:
        item.overdue = item.is_overdue(today)
    appeals = in_scope(
        Appeal.objects.filter(status=AppealStatus.PENDING).select_related("rating__invitation", "filed_by"),
        user,
        "rating__invitation__neighbourhood",
    )
    awaiting = in_scope(
        Invitation.objects.filter(rating__isnull=True, expires_at__gt=timezone.now()), user
    ).order_by("-ended_at")[:30]
    recent = in_scope(Rating.objects.select_related("invitation"), user, "invitation__neighbourhood").order_by(
        "-rated_at"
    )[:30]
    return Dashboard(
        overall=summary(ratings),
        services=by_service(ratings),
        offices=by_office(ratings),
        months=by_month(ratings),
        open_items=open_items,
        overdue=sum(1 for item in open_items if item.overdue),
        unknown_year=sum(1 for item in open_items if item.due_year_unknown),
        pending_appeals=list(appeals),
        awaiting=list(awaiting),
        recent=list(recent),
        today=today,
    )


def public_months(*, months: int = 12) -> list[dict]:
    """The public monthly summary (公开): per month, how many ratings, the share satisfied, each
    level's count, and per service; nothing about a person or a case."""
    ratings = ratings_for(None)
    summaries = by_month(ratings)[:months]
    result = []
    for month in summaries:
        year, number = (int(part) for part in month.label.split("-"))
        start = timezone.make_aware(dt.datetime(year, number, 1))
        end = timezone.make_aware(dt.datetime(year + (number == 12), number % 12 + 1, 1))
        services = by_service(ratings.filter(rated_at__gte=start, rated_at__lt=end))
        result.append({"month": month, "year": year, "number": number, "services": services})
    return result


# --- the export ----------------------------------------------------------------------------------


# The fields of a record (JSON keys, Excel headers), as the provincial platforms name them: in
# Chinese whatever the page's language.
EXPORT_KEYS = [
    "办件编号", "事项名称", "评价渠道", "评价时间", "评价等级",
    *("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"),
    "整改情况", "整改时间",
]  # fmt: skip


def _channel_platform(rating: Rating) -> str:
    # The platforms' channel words: 线上 (a link, 网页/短信) or 现场 (face to face).
    return "短信" if rating.channel == "online" else "现场（上门当面）"


def export_records(user, *, month: str = "") -> list[list]:
    """One row per counted rating in ``user``'s scope, in ``EXPORT_KEYS`` order; ``month`` is
    YYYY-MM to narrow it. Texts in Chinese whatever the page's language: the platforms' values."""
    ratings = ratings_for(user).select_related("invitation", "rectification").order_by("rated_at", "id")
    if month:
        year, number = (int(part) for part in month.split("-"))
        start = timezone.make_aware(dt.datetime(year, number, 1))
        end = timezone.make_aware(dt.datetime(year + (number == 12), number % 12 + 1, 1))
        ratings = ratings.filter(rated_at__gte=start, rated_at__lt=end)
    names = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}
    rows = []
    for rating in ratings.iterator(chunk_size=1000):
        rectification = getattr(rating, "rectification", None)
        if rectification is None:
            state, when = "", ""
        elif rectification.status == RectificationStatus.ANSWERED:
            state = rectification.answer
            when = timezone.localtime(rectification.answered_at).strftime("%Y-%m-%d %H:%M:%S")
        else:
            state, when = "整改中", ""
        rows.append(
            [
                rating.invitation.case_key,
                rating.invitation.service_label,
                _channel_platform(rating),
                timezone.localtime(rating.rated_at).strftime("%Y-%m-%d %H:%M:%S"),
                names[rating.level],
                *(getattr(rating, name) for name in INDICATORS),
                state,
                when,
            ]
        )
    return rows


def export_json(user, *, month: str = "") -> bytes:
    records = [dict(zip(EXPORT_KEYS, row, strict=True)) for row in export_records(user, month=month)]
    return json.dumps({"records": records, "count": len(records)}, ensure_ascii=False, indent=1).encode()


def export_workbook(user, *, month: str = ""):
    rows = ([value if value is not None else "" for value in row] for row in export_records(user, month=month))
    return write_workbook([("服务评价", EXPORT_KEYS, rows)])
