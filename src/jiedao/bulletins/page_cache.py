"""The current notices page (/notices/) from the shared cache, as the home page is
(``intake.page_cache``, which a sibling service may not import: the same rules, written again).

The page is the same for every visitor on a given day: its countdowns change with the date, its
content with a notice published or withdrawn or an objection. So it is kept under a key of the
language, the text size, the Shanghai date and a generation number; every write of this app
moves the generation on after it commits (``bulletin_pages_forget``), which orphans the old
pages at once on every server process. A visitor with a session or a message, or a query string,
gets a fresh page; a page that set a cookie is never shared.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from jiedao.lib.context_processors import LARGE_TEXT_COOKIE

TIMEOUT_SECONDS = 26 * 3600
GENERATION_KEY = "public-page:bulletins:generation"


def _cacheable(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in cookies
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies
    )


def cached_bulletin_page(request: HttpRequest, page: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    if not _cacheable(request):
        return render()
    generation = cache.get(GENERATION_KEY) or 0
    key = (
        f"public-page:bulletins:{page}:{generation}:{get_language() or settings.LANGUAGE_CODE}:"
        f"{int(request.COOKIES.get(LARGE_TEXT_COOKIE) == '1')}:{timezone.localdate().isoformat()}"
    )
    content = cache.get(key)
    if content is not None:
        return HttpResponse(content)
    response = render()
    if response.status_code == 200 and not response.cookies and not response.streaming:
        cache.set(key, response.content, TIMEOUT_SECONDS)
    return response


def bulletin_pages_forget() -> None:
    """After the current transaction commits: every cached notices page is out of date."""

    def forget():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not set yet (or expired): any new number orphans the old keys
            cache.set(GENERATION_KEY, int(timezone.now().timestamp()), None)

    transaction.on_commit(forget)
