"""Signing staff in and out: password (Django's LoginView, watched by django-axes), then a code
from their authenticator app, or first its enrolment. Thin: the rules are in staff_auth."""

from __future__ import annotations

from urllib.parse import urlencode

from axes.helpers import get_failure_limit
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import staff_auth
from .staff_auth_middleware import sign_in_step


class CodeForm(forms.Form):
    code = forms.CharField(label=_("6 位验证码"), max_length=12, strip=True)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts=allowed, require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class StaffLoginView(auth_views.LoginView):
    """The password step. Django's login() gives the session a new key; we then start the staff
    session's clocks and send the user on to the second factor."""

    template_name = "review/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        staff_auth.staff_session_start(session=self.request.session, user=form.get_user())
        return response

    def get_success_url(self):
        return _with_next("review:otp", self.get_redirect_url() or resolve_url(settings.LOGIN_REDIRECT_URL))


class StaffLogoutView(auth_views.LogoutView):
    """Sign-out ends the session in the store, not only in the browser."""

    next_page = "review:login"

    def post(self, request, *args, **kwargs):
        staff_auth.staff_sign_out(request)
        return super().post(request, *args, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out username and address (AXES_LOCKOUT_CALLABLE), and ours
    when wrong codes reach the limit: a page in the staff frame saying what happened and for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    context = {"failure_limit": get_failure_limit(request, credentials), "cooloff_minutes": minutes}
    return render(request, "review/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def _code_error(check) -> str:
    if check.throttled:
        return _("错误次数较多，请等几秒钟再输入新的验证码。")
    return _("验证码不对，或已经用过。请输入验证器里显示的最新 6 位数字。")


def _code_step(request, device, next_url: str, template: str, *, confirm: bool = False, context=None):
    """Check a typed code against ``device`` (confirming a new one when ``confirm``): on success on
    to ``next_url``, locked out after too many failures, else the page again with the reason."""
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        check = staff_auth.code_verify(request, device=device, code=form.cleaned_data["code"], confirm=confirm)
        if check.ok:
            return redirect(next_url)
        if check.locked_out:
            staff_auth.staff_sign_out(request)
            return lockout_response(request)
        error = _code_error(check)
    return render(request, template, {"form": form, "error": error, "next": next_url, **(context or {})})


@sign_in_step
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def otp_view(request):
    """The second factor: a code from the staff member's confirmed authenticator."""
    if not request.user.is_authenticated:
        return redirect(_with_next("review:login", _next_url(request)))
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    device = staff_auth.confirmed_device(request.user)
    if device is None:
        return redirect(_with_next("review:otp_enrol", next_url))
    return _code_step(request, device, next_url, "review/login_code.html")


@sign_in_step
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def otp_enrol_view(request):
    """First sign-in (or after an administrator reset the device): scan the QR code, type a code."""
    if not request.user.is_authenticated:
        return redirect(_with_next("review:login", _next_url(request)))
    next_url = _next_url(request)
    if request.user.is_verified() or staff_auth.confirmed_device(request.user) is not None:
        return redirect(_with_next("review:otp", next_url))
    device = staff_auth.enrolment_device(request.user)
    context = {"qr_svg": staff_auth.device_qr_svg(device), "key_text": staff_auth.device_key_text(device)}
    return _code_step(request, device, next_url, "review/login_enrol.html", confirm=True, context=context)


login_view = sign_in_step(StaffLoginView.as_view())
logout_view = sign_in_step(StaffLogoutView.as_view())
