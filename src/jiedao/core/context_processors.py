from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

LARGE_TEXT_COOKIE = "jiedao_large_text"


def public_page(request):
    """What every public page's frame needs: large-text mode and the other language's address."""
    current = get_language() or settings.LANGUAGE_CODE
    other = "en" if current.startswith("zh") else "zh-hans"
    return {
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "other_language_code": other,
        "other_language_url": translate_url(request.get_full_path(), other),
    }
