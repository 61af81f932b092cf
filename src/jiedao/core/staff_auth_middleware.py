"""The one gate in front of every staff page (/staff/, /en/staff/, /admin/): a staff session within
its idle and absolute limits, and verified with a second factor.

A gate in middleware rather than in each view's decorator, so that a page added later (or the
admin, which has its own login) cannot forget it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _

from .staff_auth import staff_session_check, staff_sign_out

STAFF_PREFIXES = ("/staff/", "/admin/")


def is_staff_path(path: str) -> bool:
    language = get_language_from_path(path)
    if language and path.startswith(f"/{language}/"):
        path = path[len(language) + 1 :]
    return path.startswith(STAFF_PREFIXES)


def sign_in_step(view):
    """Marks the views that make up signing in (and out), which the gate must let through."""
    view.staff_sign_in_step = True
    return view


def _to(url_name: str, next_url: str):
    return redirect(f"{reverse(url_name)}?{urlencode({'next': next_url})}")


class StaffSignInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Residents have no account: a session without a signed-in user (a draft application) is
        # never touched here and keeps its own three-day life.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and SESSION_KEY in request.session:
            check = staff_session_check(session=request.session)
            if check.ended:
                staff_sign_out(request)
                if is_staff_path(request.path_info):
                    if check.reason == "idle":
                        text = _("您已超过 %(minutes)d 分钟没有操作，为了安全已自动退出，请重新登录。") % {
                            "minutes": settings.JIEDAO_STAFF_IDLE_SECONDS // 60
                        }
                    elif check.reason == "absolute":
                        text = _("您已连续登录超过 %(hours)d 小时，为了安全已自动退出，请重新登录。") % {
                            "hours": settings.JIEDAO_STAFF_ABSOLUTE_SECONDS // 3600
                        }
                    else:
                        text = _("请重新登录。")
                    messages.info(request, text)
                    return _to("review:login", request.get_full_path())
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_staff_path(request.path_info):
            return None
        match = request.resolver_match
        if match is not None and match.view_name == "admin:login":
            # One sign-in page for the back office and the admin, with the lockout and both factors.
            return _to("review:login", request.GET.get("next") or reverse("admin:index"))
        if getattr(view_func, "staff_sign_in_step", False) or (match is not None and match.view_name == "admin:logout"):
            return None
        user = request.user
        if user.is_authenticated and not user.is_verified():
            return _to("review:otp", request.get_full_path())
        return None
