"""Writes of the partner API: issuing and revoking tokens, registering a webhook address, and
turning a partner's form into the answers ``intake.services.application_submit`` takes.

No rule of an application lives here: the answers go through ``application_submit`` (which runs
``intake.forms.clean_answers`` and the consent form), transitions through
``intake.transitions.application_transition``. What is here is translation of the partner's shape
(one ``address`` string, one ``consent`` flag) into the web form's fields, and back for errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction, Role, StaffProfile
from jiedao.intake.models import Channel
from jiedao.intake.services import application_submit_uploads
from jiedao.lib import netguard
from jiedao.lib.errors import ValidationFailed

from .models import ApiToken, PartnerSubmission, TokenRole
from .outbox import webhook_queue_for

TOKEN_PREFIX = "jd_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(token: ApiToken, *, created_by=None) -> str:
    """Save an unsaved ``ApiToken`` (name and role set) with a fresh secret; return the secret.

    The secret is returned once and stored only as its hash. The token's service user is made
    here: ``api:<name>``, with the reviewer role for reviewer tokens; it cannot sign in.
    """
    token.webhook_url = (token.webhook_url or "").strip()
    if token.webhook_url and (errors := webhook_url_errors(token.webhook_url)):
        raise ValidationFailed({"webhook_url": errors})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            f"api:{token.name}"[:150],
            first_name=_("接口 %(name)s") % {"name": token.name},
            is_staff=token.role == TokenRole.REVIEWER,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        if token.role == TokenRole.REVIEWER:
            StaffProfile.objects.create(user=user, role=Role.REVIEWER)
        token.user = user
        token.created_by = created_by if getattr(created_by, "is_authenticated", False) else None
        token.prefix = raw[:10]
        token.token_hash = token_hash(raw)
        if token.webhook_url and not token.webhook_secret:
            token.webhook_secret = secrets.token_hex(32)
        token.save()
    return raw


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token with this secret, or None (missing, wrong or revoked look the same)."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=token_hash(raw), revoked_at__isnull=True).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_revoke(token: ApiToken, *, now=None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def webhook_url_errors(url: str) -> list[str]:
    """What is wrong with a webhook address, in the caller's language (empty: acceptable).

    Besides the shape (http or https, at most 500 characters), the address must not lead into the
    office's own network: see ``jiedao.lib.netguard``. A name that does not resolve yet is
    accepted here; every delivery resolves and checks it again before connecting.
    """
    from .webhooks import allowed_networks

    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return [_("请填写以 http:// 或 https:// 开头的完整网址。")]
    if len(url) > 500:
        return [_("网址太长了。")]
    try:
        netguard.url_check(url, allowed=allowed_networks(), unresolvable_ok=True)
    except netguard.AddressRefused as refused:
        if refused.reason in ("scheme", "no_host"):
            return [_("请填写以 http:// 或 https:// 开头的完整网址。")]
        return [
            _("这个网址指向本机或内部网络（%(address)s），不能作为通知地址。请填写可以从互联网访问的地址。")
            % {"address": refused.detail}
        ]
    return []


def webhook_register(token: ApiToken, *, url: str) -> ApiToken:
    """Set (or, with an empty ``url``, remove) the token's webhook address; a new secret each time."""
    url = (url or "").strip()
    if url and (errors := webhook_url_errors(url)):
        raise ValidationFailed({"url": errors})
    token.webhook_url = url
    token.webhook_secret = secrets.token_hex(32) if url else ""
    token.save(update_fields=["webhook_url", "webhook_secret"])
    return token


# The partner's form → the web form's answers.

_ADDRESS = re.compile(
    r"^(?P<road>.*?)\s*(?:(?P<lane>[0-9A-Za-z\-]+)\s*弄)?\s*(?P<number>[0-9A-Za-z\-]+)\s*号\s*(?P<room>.*?)\s*室?$"
)


def parse_address(text: str) -> dict[str, str] | None:
    """中兴路1021弄7号201室 → road 中兴路, lane 1021, number 7, room 201; None without a 号."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    match = _ADDRESS.match(text)
    if match is None:
        return None
    return {
        "address_road": match["road"].strip(),
        "address_lane": match["lane"] or "",
        "address_number": match["number"],
        "address_room": match["room"].strip(),
    }


_TRUE = {"true", "1", "on", "yes"}
PROXY_FIELDS = ("proxy_name", "proxy_phone", "proxy_relationship")
ADDRESS_FIELDS = ("address_road", "address_lane", "address_number", "address_room")
PARTNER_CHANNELS = tuple(Channel.values)


def partner_answers(data, programme) -> tuple[dict, dict[str, list[str]], dict[str, str]]:
    """(answers, errors found here, field renames for the service's errors) from the posted form.

    The subsidy's fields are read as the API documents them (an address in one line, a consent
    for both consents); a question of another service type is read under its own name."""
    answers: dict = {
        key: (data.get(key) or "").strip()
        for key in ("name", "id_number", "phone", "neighbourhood", "block", "household_note", *PROXY_FIELDS)
    }
    answers["categories"] = [code.strip() for code in data.getlist("categories") if code.strip()]
    errors: dict[str, list[str]] = {}
    renames = {"sensitive_consent": "consent", "who": "proxy_name"}
    address = (data.get("address") or "").strip()
    if address:
        parts = parse_address(address)
        if parts is None:
            errors["address"] = [_("地址里要有门牌号，例如：中兴路1021弄7号201室。")]
            parts = {field: "" for field in ADDRESS_FIELDS}
        answers.update(parts)
        renames.update({field: "address" for field in ADDRESS_FIELDS})
    else:
        answers.update({field: (data.get(field) or "").strip() for field in ADDRESS_FIELDS})
        if not any(answers[field] for field in ADDRESS_FIELDS):
            renames.update({field: "address" for field in ADDRESS_FIELDS})
    channel = (data.get("channel") or Channel.PARTNER).strip()
    is_proxy = channel == Channel.PROXY or any(answers[field] for field in PROXY_FIELDS)
    answers["who"] = "proxy" if is_proxy else "self"
    consent = (data.get("consent") or "").strip().lower() in _TRUE
    answers["consent"] = answers["sensitive_consent"] = consent
    for form_class in programme.kind.question_forms.values():
        for name, field in form_class.base_fields.items():
            if name not in answers:
                many = isinstance(field, forms.MultipleChoiceField)
                answers[name] = data.getlist(name) if many else (data.get(name) or "").strip()
    return answers, errors, renames


def renamed(errors: dict[str, list], renames: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, messages in errors.items():
        target = out.setdefault(renames.get(field, field), [])
        for message in messages:
            if str(message) not in target:
                target.append(str(message))
    return out


def partner_submit(
    *, token: ApiToken, programme, answers: dict, uploads, channel: str, idempotency_key: str = "", ip: str | None = None
):
    """A partner platform's application: the subsidy's own submit, linked to the token that sent it,
    with the first webhook and the audit entry in the submission's transaction.

    The same ``Idempotency-Key`` from the same token returns the first application (and writes
    nothing more); keys are per token, so another partner's key can never reach this one's case.
    """
    def linked(application) -> None:
        PartnerSubmission.objects.create(application=application, token=token)
        webhook_queue_for(application, now=application.submitted_at)
        audit_record(
            actor=token.user,
            action=AuditAction.FILE_APPLICATION,
            reference=application.reference,
            ip=ip,
            channel=application.channel,
            api_token=token.name,
        )

    application = application_submit_uploads(
        programme=programme,
        answers=answers,
        uploads=uploads,
        channel=channel,
        filed_by=token.user if token.is_reviewer else None,
        idempotency_key=f"api:{token.pk}:{idempotency_key}" if idempotency_key else None,
        on_created=linked,
    )
    return application
