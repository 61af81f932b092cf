"""Chinese resident ID numbers and mainland mobile numbers.

ID numbers follow GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence, and a check
character computed with ISO 7064 MOD 11-2. The old 15-digit numbers were retired in 2013; people
who still type one are asked for the 18-digit number printed on the current card.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The one place that brings typed text to its canonical form; re-exported here for the validators'
# callers.
from .normalize import normalize_id_number, normalize_phone

__all__ = [
    "birth_date_from_id",
    "id_check_char",
    "mask_id_number",
    "mask_personal_data",
    "mask_phone",
    "normalize_id_number",
    "normalize_phone",
    "validate_id_number",
    "validate_mobile",
]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# First two digits: the provinces, autonomous regions and municipalities of GB/T 2260.
_PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised 18-character ID number or raise a ValidationError a person can act on."""
    number = normalize_id_number(value)
    if not number:
        raise ValidationError(_("请填写身份证号码。"), code="required")
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _("这是旧的15位身份证号码，请填写现在身份证上的18位号码。"), code="legacy_15_digits"
        )
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            _("身份证号码应为18位：前17位是数字，最后一位是数字或字母X。"), code="id_format"
        )
    if number[:2] not in _PROVINCE_CODES:
        raise ValidationError(_("身份证号码的前两位不是有效的地区代码，请核对。"), code="id_region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期不存在，请核对第7到14位。"), code="id_birth_date") from None
    today = today or timezone.localdate()
    if birth > today or birth.year < today.year - 130:
        raise ValidationError(_("身份证号码中的出生日期不合理，请核对第7到14位。"), code="id_birth_date")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("身份证号码的最后一位校验码不对，请逐位核对后再填写。"), code="id_check_digit"
        )
    return number


def birth_date_from_id(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask_id_number(number: str) -> str:
    """310***********123X: region kept for the reviewer's eye, the rest hidden."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value: str) -> str:
    number = normalize_phone(value)
    if not number:
        raise ValidationError(_("请填写手机号码。"), code="required")
    if not _MOBILE.match(number):
        raise ValidationError(
            _("请填写11位手机号码（以1开头），用于接收办理进度短信。"), code="mobile_format"
        )
    return number


def mask_phone(number: str) -> str:
    if len(number) != 11:
        return "*" * len(number)
    return number[:3] + "****" + number[-4:]


# Patterns of personal data in free text (log lines, error reports): an 18-character ID number
# (17 digits and a digit or X) and a mainland mobile, each standing alone, not part of a longer
# number. A false match (some other 18-digit number) is only masked, which costs nothing.
_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[-\s]?)?(1[3-9][0-9]{9})(?![0-9])")


def mask_personal_data(text: str) -> str:
    """Mask every ID number and mobile number in ``text``: 310***********123X, 138****5678."""
    text = _ID_IN_TEXT.sub(lambda match: mask_id_number(match.group(0).upper()), text)
    return _MOBILE_IN_TEXT.sub(lambda match: mask_phone(match.group(1)), text)
