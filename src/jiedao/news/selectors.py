"""Reads of community news: the published articles, a month's issue (期), the staff's lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.functions import TruncMonth

from .models import Article, ArticleStatus
from .services import may_publish


def published() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED).prefetch_related("photos")


@dataclass(frozen=True)
class Issue:
    month: dt.date  # its first day
    number: int  # 期: the issue's number within its year
    articles: list


def issue_months() -> list[dt.date]:
    months = published().annotate(month=TruncMonth("dated")).values_list("month", flat=True).distinct()
    return sorted({m if isinstance(m, dt.date) and not isinstance(m, dt.datetime) else m.date() for m in months}, reverse=True)


def issue(month: dt.date) -> Issue | None:
    """The month's published articles, oldest first, as one issue of the newsletter; None when the
    month has none. Its number counts the months of that year that have articles (第1期, 第2期 …)."""
    first = month.replace(day=1)
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    articles = list(published().filter(dated__gte=first, dated__lt=following).order_by("dated", "pk"))
    if not articles:
        return None
    number = len([m for m in issue_months() if m.year == first.year and m <= first])
    return Issue(first, number, articles)


def articles_for_staff(user) -> QuerySet[Article]:
    """An editor sees every article; a writer her own."""
    articles = Article.objects.select_related("author")
    return articles if may_publish(user) else articles.filter(author=user)
