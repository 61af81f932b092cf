from functools import lru_cache

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

LARGE_TEXT_COOKIE = "jiedao_large_text"


def remember_text_size(response, *, large: bool):
    """The 长辈版 choice is a cookie, so it works without JavaScript and without an account."""
    if large:
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE)
    return response


@lru_cache(maxsize=2048)
def other_language_url(path: str, current: str, other: str) -> str:
    """The same address in the other language. ``translate_url`` only knows addresses that exist;
    for an error page (a 404 at /nope) the language prefix is swapped by hand, so the switch leads
    to the same error in the other language rather than back to this page. Remembered per
    address (resolving it again is a tenth of a status lookup's time; the URLconf never changes
    while the process runs)."""
    translated = translate_url(path, other)
    if translated != path:
        return translated
    if current == "en" and (path == "/en" or path.startswith("/en/")):
        return path[3:] or "/"
    if other == "en" and not path.startswith("/en/"):
        return "/en" + path
    return path


def public_page(request):
    """What every public page's frame needs: large-text mode and the other language's address."""
    current = get_language() or settings.LANGUAGE_CODE
    other = "en" if current.startswith("zh") else "zh-hans"
    return {
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "other_language_code": other,
        "other_language_url": other_language_url(request.get_full_path(), current, other),
    }
