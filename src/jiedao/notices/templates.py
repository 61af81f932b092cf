"""The SMS templates: one per event, each with a provider template code, a Chinese text and named
parameters (Chinese SMS providers only send pre-approved signature + template + parameters).

The texts are deliberately plain constants and NOT passed through gettext: each must match,
character for character, the text approved at the provider (registered there with ``${name}``
where this file has ``{name}``); a translated or edited text would be refused by the provider.

A notice names the reference and what the resident should do. It never carries the applicant's
name, ID number, category or illness: the only parameters are the reference, the status page
address (``site``), the requested documents (by their SMS name, see ``DocumentType.sms_name``)
and the reviewer's reason. Each parameter is cut to the provider's length limit
(``JIEDAO_SMS_PARAM_LIMIT``) on a character boundary that never splits a combining sequence,
with "…" marking the cut.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise

from .models import Event

ELLIPSIS = "…"


@dataclass(frozen=True)
class SmsTemplate:
    event: str
    text: str
    params: tuple[str, ...]
    # How staff pages name the event; the events of ``models.Event`` are named there.
    label: Promise | str = ""

    @property
    def code(self) -> str:
        """The provider's template code, from settings (each provider account has its own);
        JIEDAO_<EVENT> until one is configured."""
        return settings.JIEDAO_SMS_TEMPLATE_CODES.get(self.event) or f"JIEDAO_{self.event.upper()}"

    def render(self, params: dict[str, str]) -> str:
        return self.text.format(**{name: params[name] for name in self.params})


TEMPLATES: dict[str, SmsTemplate] = {
    template.event: template
    for template in (
        SmsTemplate(
            Event.RECEIVED,
            "您的帮困补助申请已受理，受理编号{reference}。可在{site}用受理编号和手机号查询进度。",
            ("reference", "site"),
        ),
        SmsTemplate(
            Event.NEEDS_MORE,
            "您的申请{reference}需要补充材料：{documents}。请在{site}查询进度页面上传，或联系居委会。",
            ("reference", "documents", "site"),
        ),
        SmsTemplate(
            Event.APPROVED,
            "您的申请{reference}已审核通过，补助将按规定发放。可在{site}查询进度。",
            ("reference", "site"),
        ),
        SmsTemplate(
            Event.REJECTED,
            "您的申请{reference}未通过审核（原因：{reason}）。如有疑问请联系居委会。",
            ("reference", "reason"),
        ),
        SmsTemplate(
            Event.PAID,
            "您的申请{reference}的补助已发放，请留意到账情况。可在{site}查询详情。",
            ("reference", "site"),
        ),
        SmsTemplate(
            Event.WITHDRAWN,
            "您的申请{reference}已撤回。如需再次申请，请联系居委会。",
            ("reference",),
        ),
        # Asked for by the resident on the status page; the code is masked in the row once the
        # message is sent, failed or expired (services.access_code_notice_mask).
        SmsTemplate(
            Event.ACCESS_CODE,
            "验证码{code}，用于查看申请{reference}的办理详情或补交材料，10分钟内有效。请勿告诉他人，工作人员不会向您索要。",
            ("code", "reference"),
        ),
        # Queued when the ID number of an open case is typed into a new application: the reference
        # is sent here, to the phones registered on the case, and never shown on the page
        # (intake.sms.reference_reminder_queue, at most one a day per case).
        SmsTemplate(
            Event.REFERENCE_REMINDER,
            "您的帮困补助申请正在办理，受理编号{reference}，无需重复申请。可在{site}用受理编号和手机号查询进度。如不是您或家人在申请，请联系居委会。",
            ("reference", "site"),
        ),
    )
}

# What replaces the plain code in an access-code notice that no longer needs it.
MASKED_CODE = "******"
# The error of an access-code notice not sent within the code's validity (shown to staff).
ACCESS_CODE_EXPIRED = "验证码已过期，未发送"



def sms_template_register(template: SmsTemplate) -> SmsTemplate:
    """A service's own text (``intake.service_types``: which status sends which event is the
    service type's ``sms_events``). Registered once, from the service's ``AppConfig.ready``."""
    existing = TEMPLATES.get(template.event)
    if existing is not None and existing != template:
        raise ValueError(f"an SMS template for {template.event!r} is already registered")
    if len(template.event) > 16:
        raise ValueError(f"SMS event names are at most 16 characters: {template.event!r}")
    TEMPLATES[template.event] = template
    return template


def event_label(event: str) -> str:
    if event in Event.values:
        return str(Event(event).label)
    template = TEMPLATES.get(event)
    return str(template.label or event) if template else event


def _joins_previous(char: str, previous: str) -> bool:
    """Whether ``char`` belongs to the same user-perceived character as the one before it."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")  # marks, incl. enclosing keycap U+20E3
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sub-regions)
        or char == "\u200d"  # zero width joiner ...
        or previous == "\u200d"  # ... and what it joins
    )


def graphemes(text: str) -> list[str]:
    """Split into user-perceived characters, close enough for SMS parameters: a base character
    with its combining marks, variation selectors, emoji modifiers and ZWJ sequences, and
    regional-indicator pairs (flags)."""
    clusters: list[str] = []
    for char in text:
        if clusters and _joins_previous(char, clusters[-1][-1]):
            clusters[-1] += char
        elif (
            clusters
            and 0x1F1E6 <= ord(char) <= 0x1F1FF
            and len(clusters[-1]) == 1
            and 0x1F1E6 <= ord(clusters[-1]) <= 0x1F1FF
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def cut(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` characters (code points, as providers count them),
    on a grapheme boundary, with "…" marking the cut."""
    value = " ".join(str(value).split())  # no line breaks or runs of spaces inside a parameter
    if len(value) <= limit:
        return value
    kept, size = [], len(ELLIPSIS)
    for cluster in graphemes(value):
        if size + len(cluster) > limit:
            break
        kept.append(cluster)
        size += len(cluster)
    return "".join(kept) + ELLIPSIS


def build_params(template: SmsTemplate, values: dict[str, str]) -> dict[str, str]:
    limit = settings.JIEDAO_SMS_PARAM_LIMIT
    return {name: cut(values.get(name, ""), limit) for name in template.params}
