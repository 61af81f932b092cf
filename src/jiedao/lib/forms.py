"""What every form of the project shares: the colon, date inputs, and the fields for people
(names however they are written, ID numbers and mobiles however they are typed)."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .formatting import colon
from .validators import validate_id_number, validate_mobile


class LanguageColonForm(forms.Form):
    """Labels drawn with ``label_tag`` end with the language's colon (： in Chinese, ": " in
    English); Django's own suffix is an ASCII colon in Chinese too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", colon())
        super().__init__(*args, **kwargs)


def name_required_fields(form: forms.BaseForm) -> None:
    """Django's own "这个字段是必填项" does not say which box: every field says it in words
    ("请填写姓名。", "请选择居民区。"), unless it has its own message already."""
    generic = str(forms.Field.default_error_messages["required"])
    for field in form.fields.values():
        if str(field.error_messages.get("required", "")) == generic:
            choosing = isinstance(field, (forms.ChoiceField, forms.MultipleChoiceField))
            message = _("请选择%(label)s。") if choosing else _("请填写%(label)s。")
            field.error_messages["required"] = message % {"label": field.label}


def iso_date_input() -> forms.DateInput:
    # <input type=date> takes only YYYY-MM-DD; Chinese date formatting (2026/12/04) would leave it
    # empty, and a pre-filled date would have to be typed again.
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


# Letters and combining marks of any script (𠮷, ü, Uyghur names written in Latin or Arabic), and
# the separators names really use: spaces and the middle dots of names like 买买提·艾力.
_NAME_SEPARATORS = "·・•‧.-' "


def clean_person_name(value: str) -> str:
    name = unicodedata.normalize("NFC", re.sub(r"\s+", " ", value or "").strip())
    if not name:
        raise ValidationError(_("请填写姓名。"), code="required")
    if len(name) > 50:
        raise ValidationError(_("姓名太长了，请不超过50个字。"), code="name_length")
    for char in name:
        if char in _NAME_SEPARATORS:
            continue
        if unicodedata.category(char)[0] not in ("L", "M"):
            raise ValidationError(
                _("姓名里只能有文字和间隔号（·），请去掉数字或符号。"), code="name_characters"
            )
    if not any(unicodedata.category(char)[0] == "L" for char in name):
        raise ValidationError(_("请填写姓名。"), code="required")
    return name


class NameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def clean(self, value):
        return clean_person_name(super().clean(value))


class IdNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)

    def clean(self, value):
        # What a resident may paste back from the grouped form (310106 19500101 123X) or type
        # on a Chinese keyboard (full-width digits and ｘ): NFKC makes them plain; the validator
        # drops the spaces.
        return validate_id_number(unicodedata.normalize("NFKC", value or ""))


class MobileField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        return validate_mobile(value)


def clean_person(name: str, phone: str) -> tuple[str, str, dict[str, list[str]]]:
    """A person's name and mobile as a service receives them (from a page, the API or a command):
    cleaned as the forms clean them, and the errors by field (empty when both are good)."""
    errors: dict[str, list[str]] = {}
    try:
        name = clean_person_name(name)
    except ValidationError as error:
        errors["name"] = list(error.messages)
    try:
        phone = validate_mobile(phone)
    except ValidationError as error:
        errors["phone"] = list(error.messages)
    return name, phone, errors
