"""Public pages that are the same for every visitor, rendered once and served from the cache.

The home page lists the programmes; it changes only when an administrator edits a programme, a
category, a document or a place, or when the day changes (a programme opens or closes). So its
HTML is kept in the shared cache (Redis, or the database's cache table: one indexed read) under
one key per page, language, text size and Shanghai date, and every edit of those models deletes
the keys (``public_pages_forget``, connected in apps.py). Nothing per visitor is in it: the frame
carries no CSRF token (the 长辈版 switch is a GET form), and a visitor with a session (a draft,
or a message to show) or a query string is served a fresh page instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from jiedao.lib.context_processors import LARGE_TEXT_COOKIE

# Longer than any day; a key is for one date anyway.
TIMEOUT_SECONDS = 26 * 3600
CACHED_PAGES = ("home",)
_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _key(page: str, language: str, large_text: bool, day: dt.date) -> str:
    return f"public-page:{page}:{language}:{int(large_text)}:{day.isoformat()}"


def _cacheable(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in cookies
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies
    )


def cached_public_page(request: HttpRequest, page: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """``render()``'s answer, from the cache when this visitor may share it."""
    if not _cacheable(request):
        return render()
    key = _key(page, get_language() or settings.LANGUAGE_CODE, request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
               timezone.localdate())  # fmt: skip
    content = cache.get(key)
    if content is not None:
        return HttpResponse(content)
    response = render()
    # Only a plain page that set nothing for this visitor is shared.
    if response.status_code == 200 and not response.cookies and not response.streaming:
        cache.set(key, response.content, TIMEOUT_SECONDS)
    return response


def public_pages_forget(**_signal_kwargs) -> None:
    """Drop every cached variant of every cached page (today's and tomorrow's keys)."""
    today = timezone.localdate()
    cache.delete_many([
        _key(page, language, large, day)
        for page in CACHED_PAGES
        for language in _LANGUAGES
        for large in (False, True)
        for day in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1))
    ])  # fmt: skip
