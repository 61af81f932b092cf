"""Public pages that are the same for every visitor, rendered once and served from the cache.

The home page (the open programmes) and the current notices (/notices/) change only when their app
writes something, or when the day changes (a programme opens, a countdown moves on). So their HTML
is kept in the shared cache (Redis, or the database's cache table: one indexed read) under one key
per page, language, text size and Shanghai date, and the app that owns a page forgets it when its
content changes (``shared_pages_forget``, after the writing transaction commits), on every server
process at once. Nothing per visitor is in a shared page: the frame carries no CSRF token (the 长辈版
switch is a GET form), and a visitor with a session (a draft, or a message to show) or a query
string is served a fresh page instead; a page that set a cookie is never shared.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from jiedao.lib.context_processors import LARGE_TEXT_COOKIE

# Longer than any day; a key is for one date anyway.
TIMEOUT_SECONDS = 26 * 3600


def _key(page: str, language: str, large_text: bool, day: dt.date) -> str:
    return f"public-page:{page}:{language}:{int(large_text)}:{day.isoformat()}"


def _shareable(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in cookies
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies
    )


def _generation_key(page: str) -> str:
    return f"public-page:{page}:generation"


def cached_page(request: HttpRequest, page: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """``render()``'s answer, from the cache when this visitor may share it. ``page`` names the
    page across the project ("home", "notices"): its owner forgets it by that name.

    A kept page carries the page's generation when it was rendered, read in the same round trip
    as the page: a page rendered from rows that a write then changed (the write committed while it
    rendered) is stored under the old generation, so the next visitor gets a fresh one."""
    if not _shareable(request):
        return render()
    key = _key(page, get_language() or settings.LANGUAGE_CODE, request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
               timezone.localdate())  # fmt: skip
    found = cache.get_many([key, _generation_key(page)])
    generation = found.get(_generation_key(page), 0)
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return HttpResponse(kept[1])
    response = render()
    if response.status_code == 200 and not response.cookies and not response.streaming:
        cache.set(key, (generation, response.content), TIMEOUT_SECONDS)
    return response


def shared_pages_forget(pages: Iterable[str]) -> None:
    """Every kept variant of ``pages`` (languages, text sizes, dates) is out of date once the
    current transaction commits (at once outside one), on every server process."""
    pages = list(pages)

    def forget() -> None:
        for page in pages:
            try:
                cache.incr(_generation_key(page))
            except ValueError:  # never set (or the cache was emptied): any new number will do
                cache.set(_generation_key(page), time.time_ns(), None)

    transaction.on_commit(forget)
