"""Staff sign-in: the second factor (TOTP), the lockout's view of the client address, the limits
on a staff session's life, and disabling an account.

Views (staff_auth_views), the middleware (staff_auth_middleware), the admin and the management
commands call these functions; the rules live here once.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from base64 import b32encode
from dataclasses import dataclass
from importlib import import_module

import django_otp
import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiedao.lib.addresses import client_ip_address  # noqa: F401  (part of this module's API)

from .audit import audit_record
from .models import AuditAction, StaffSession

# Session keys: when this staff session began and when it was last used, in Unix seconds.
SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN = "staff_last_seen"
# Touching the session on every request would write it on every request; a minute's slack on a
# 30-minute idle limit is enough.
LAST_SEEN_RESOLUTION = 60


# --- the client's address ---------------------------------------------------------------------


# --- sessions -----------------------------------------------------------------------------------


def staff_session_start(*, session, user, now: float | None = None) -> None:
    """Called right after ``django.contrib.auth.login`` (which has already given the session a new
    key): starts the idle and absolute clocks and records the key against the user."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    # The cookie and the stored session expire with the idle limit; each use renews both.
    session.set_expiry(settings.JIEDAO_STAFF_IDLE_SECONDS)
    if session.session_key is None:
        session.save()
    # Rows older than the absolute limit belong to sessions that can no longer be used.
    StaffSession.objects.filter(
        user=user, signed_in_at__lt=timezone.now() - dt.timedelta(seconds=settings.JIEDAO_STAFF_ABSOLUTE_SECONDS)
    ).delete()
    StaffSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})


@dataclass(frozen=True)
class SessionCheck:
    ended: bool
    reason: str = ""  # "idle", "absolute" or "unrecorded"


def staff_session_check(*, session, now: float | None = None) -> SessionCheck:
    """Whether a signed-in session is still within its limits; refreshes the idle clock if so."""
    now = time.time() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if signed_in_at is None or last_seen is None:
        # Every sign-in goes through staff_session_start; a session without its clocks predates it.
        return SessionCheck(True, "unrecorded")
    if now - signed_in_at > settings.JIEDAO_STAFF_ABSOLUTE_SECONDS:
        return SessionCheck(True, "absolute")
    if now - last_seen > settings.JIEDAO_STAFF_IDLE_SECONDS:
        return SessionCheck(True, "idle")
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN] = now
    return SessionCheck(False)


def staff_sign_out(request) -> None:
    """Ends the request's session server-side (Django's logout deletes it from the store)."""
    if request.session.session_key:
        StaffSession.objects.filter(session_key=request.session.session_key).delete()
    logout(request)


def staff_sessions_end(*, user) -> int:
    """Deletes every recorded session of the user from the session store; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(StaffSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    StaffSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def staff_disable(*, user, by, ip: str | None = None) -> int:
    """Deactivates a staff account and ends all its sessions at once; returns how many ended.

    Django already refuses inactive users on each request, but deleting the sessions means that
    re-enabling the account later does not bring an old, perhaps stolen, session back to life."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    ended = staff_sessions_end(user=user)
    audit_record(actor=by, action=AuditAction.DISABLE_STAFF, ip=ip, username=user.get_username(), sessions_ended=ended)
    return ended


# --- the second factor ----------------------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def enrolment_device(user) -> TOTPDevice:
    """The unconfirmed device a member of staff is enrolling; one, kept across page reloads so the
    QR code they scanned stays valid until they confirm it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def device_key_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(re.findall(".{1,4}", key))


def device_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code, drawn here so that no image service sees the key."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # Millimetres in the library's output; a fixed pixel size scans well from a screen.
    return re.sub(r'width="[^"]+" height="[^"]+"', 'width="240" height="240" role="img"', svg, count=1)


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    throttled: bool = False  # the device is making the user wait after earlier wrong codes
    locked_out: bool = False  # the username and address are now locked out by django-axes


def code_verify(request, *, device: TOTPDevice, code: str, confirm: bool = False) -> CodeCheck:
    """Checks a code typed at sign-in (or, with ``confirm``, the first code from a new device).

    A code is accepted once only: the device remembers the last time step used (``last_t``) and
    django_otp.verify_token locks its row while checking, so two requests cannot both use a code.
    A wrong code counts as a failed sign-in for django-axes, so passwords and codes share one limit."""
    user = request.user
    credentials = get_credentials(user.get_username())
    if AxesProxyHandler.is_locked(request, credentials):
        return CodeCheck(False, locked_out=True)
    code = re.sub(r"\s", "", code or "")
    throttled = not device.verify_is_allowed()[0]
    verified = django_otp.verify_token(user, device.persistent_id, code) if code.isdigit() else None
    if verified is None:
        AxesProxyHandler.user_login_failed(sender=code_verify, credentials=credentials, request=request)
        return CodeCheck(False, throttled=throttled, locked_out=AxesProxyHandler.is_locked(request, credentials))
    if confirm and not verified.confirmed:
        verified.confirmed = True
        verified.save(update_fields=["confirmed"])
        # A confirmed device replaces any other the user had.
        TOTPDevice.objects.filter(user=user).exclude(pk=verified.pk).delete()
    django_otp.login(request, verified)
    # Both factors passed: earlier mistakes from this address no longer count.
    if request.axes_ip_address:
        AxesProxyHandler.reset_attempts(ip_address=request.axes_ip_address, username=user.get_username())
    return CodeCheck(True)


@transaction.atomic
def staff_device_reset(*, user, by, ip: str | None = None) -> int:
    """Removes a colleague's authenticator (lost or replaced phone) and signs them out everywhere:
    at their next sign-in they enrol a new one. Returns how many devices were removed."""
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    ended = staff_sessions_end(user=user)
    audit_record(
        actor=by, action=AuditAction.RESET_OTP_DEVICE, ip=ip, username=user.get_username(), sessions_ended=ended
    )
    return removed


# --- passwords ---------------------------------------------------------------------------------------


class CharacterClassesValidator:
    """For offices whose MLPS assessor requires composition: at least ``classes`` of lower case,
    upper case, digits and other characters. Off by default (see docs/security.md)."""

    PATTERNS = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")

    def __init__(self, classes: int = 3):
        self.classes = classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in self.PATTERNS if re.search(pattern, password))
        if found < self.classes:
            raise ValidationError(self.get_help_text(), code="password_too_few_character_classes")

    def get_help_text(self):
        return _("密码至少要包含小写字母、大写字母、数字和其他符号中的 %(classes)d 类。") % {"classes": self.classes}
