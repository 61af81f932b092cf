"""What people type, brought to the one form the database holds: references, phones, ID numbers.

A resident copies a reference from an SMS, reads it aloud to her son, or types it on a Chinese
keyboard that gives full-width characters (``ＪＧＢＫ－２０２６－０００07``); a phone comes with
``+86``, spaces or dashes. Every place that looks something up by what a person typed (the public
status page and its code step, the staff queue's search, the partner API) goes through these
functions, so all of them accept the same forms. Pure functions: no database, no Django models.

Each returns the canonical form, or ``""`` when the text cannot be one (a lookup then simply finds
nothing; a form shows its usual message).
"""

from __future__ import annotations

import re
import unicodedata

# Separators people type or paste between the parts: spaces (also the ideographic space and
# no-break spaces, which NFKC turns into plain spaces), every dash and hyphen (ASCII, the
# full-width －, the em and en dashes, the Unicode hyphens, the minus sign), underscores, dots
# and middle dots (· ・ ‧ •), slashes, and brackets around an area code.
_SEPARATORS = re.compile(r"[\s\-_.·・‧•/\\()\[\]\u2010-\u2015\u2212\u30fc\ufe58\ufe63]+")

# A reference is PROGRAMME-YEAR-SEQUENCE (intake.services._next_reference): letters, four digits,
# then the sequence, at least five digits with leading zeros.
# Typed as three parts, each part is read as it stands (a programme code may, in principle, hold
# digits: it is a slug). Typed in one or two pieces, the code is the letters and the year the four
# digits after them, a year of this century (``JGBK-26-00007`` is not read as the year 2600).
_REFERENCE_PARTS = re.compile(r"^([A-Z][A-Z0-9]{0,11})-(20\d{2})-(\d{1,9})$", re.ASCII)
_REFERENCE_JOINED = re.compile(r"^([A-Z]{1,12})(20\d{2})(\d{1,9})$", re.ASCII)
_SEQUENCE_WIDTH = 5

_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86)")
_MAINLAND_MOBILE_LENGTH = 11


def _plain(value: str | None) -> str:
    """NFKC folds full-width letters, digits and punctuation into ASCII (Ｊ→J, ２→2, －→-, ＋→+);
    any other script's decimal digits become ASCII digits too, so what is stored and compared is
    only ever ASCII."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def normalize_reference(value: str | None) -> str:
    """``JGBK-2026-00007`` from any way of typing it; ``""`` if the text is not a reference.

    Accepted: any case, full-width characters, spaces or any dash between (or instead of) the
    parts, and a sequence without its leading zeros (``JGBK-2026-7``).
    """
    text = _plain(value).upper()
    if not text or len(text) > 40:
        return ""
    parts = [part for part in _SEPARATORS.split(text) if part]
    if len(parts) == 3:
        match = _REFERENCE_PARTS.match("-".join(parts))
    elif len(parts) in (1, 2):
        match = _REFERENCE_JOINED.match("".join(parts))
    else:
        return ""
    if match is None:
        return ""
    code, year, sequence = match.groups()
    return f"{code}-{year}-{int(sequence):0{_SEQUENCE_WIDTH}d}"


def normalize_phone(value: str | None) -> str:
    """The digits of a phone number, without separators or the country code 86.

    ``+86 138-0013-8000``, ``0086 13800138000``, ``8613800138000`` and ``１３８００１３８０００`` all
    give ``13800138000``. Whatever else was typed is returned folded but otherwise as it is, so
    ``validators.validate_mobile`` can say what is wrong with it.
    """
    digits = _SEPARATORS.sub("", _plain(value))
    if len(digits) > _MAINLAND_MOBILE_LENGTH:
        digits = _COUNTRY_PREFIX.sub("", digits)
    return digits


def normalize_id_number(value: str | None) -> str:
    """An ID number's 18 characters: full-width digits folded, separators removed, ``x`` → ``X``."""
    return _SEPARATORS.sub("", _plain(value)).upper()


def normalize_code(value: str | None) -> str:
    """A code sent by SMS as typed back: full-width digits folded, spaces and dashes removed."""
    return _SEPARATORS.sub("", _plain(value))
