"""Words joined the way each language joins them: addresses, lists, colons, brackets."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def format_address(road: str, lane: str = "", number: str = "", room: str = "") -> str:
    """中兴路1021弄7号201室, or in English 中兴路 Lane 1021, No. 7, Room 201."""
    parts = [road]
    if lane:
        parts.append(_("%(lane)s弄") % {"lane": lane})
    if number:
        parts.append(_("%(number)s号") % {"number": number})
    if room:
        parts.append(_("%(room)s室") % {"room": room})
    return "".join(parts)


def join_names(items) -> str:
    separator = pgettext("punctuation", "、")
    return separator.join(str(getattr(item, "display_name", item)) for item in items)


def colon() -> str:
    return pgettext("punctuation", "：")


def parenthesised(text) -> str:
    return pgettext("punctuation", "（%(text)s）") % {"text": text}


# What an anonymised person is called wherever a name was (cases, sign-ups, volunteers): stored
# data, so one fixed Chinese word.
ANONYMISED_NAME = "已匿名"


def mask_name(name: str) -> str:
    """A name as a public list may show it: the first and last characters, the middle masked
    (俞阿娥 → 俞*娥, 王芳 → 王*, 买买提·艾力 → 买****力)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
