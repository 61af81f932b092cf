"""Small views of the whole site: the health check, and every error page.

Errors answer in the frame of where they happened: a resident's page in the public frame (长辈版
and the language switch work), a staff page (/staff/, /en/staff/, /admin/) in the back office's
frame, the API (/api/…) in JSON. Each says plainly what happened and gives a way back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from jiedao.lib.context_processors import LARGE_TEXT_COOKIE
from jiedao.lib.http import no_store

from .staff import staff_context
from .staff_auth_middleware import is_staff_path

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """Liveness for a load balancer; touches nothing, so it is also the benchmarks' baseline."""
    return HttpResponse("ok", content_type="text/plain")


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _api_language(request) -> str:
    # The API is outside the language prefix: its messages follow Accept-Language (as api.api does).
    return translation.get_language_from_request(request, check_path=False)


def _said(request, *, api, page, **values) -> str:
    """The message for a partner system (in its Accept-Language) or for a person on a page."""
    if is_api(request):
        with translation.override(_api_language(request)):
            return str(api) % values
    return str(page) % values


def request_too_large_message(request, limit: int) -> str:
    return _said(
        request,
        api=gettext_lazy("请求内容超过%(limit)dMB，无法接收。每个文件不能超过20MB；请压缩照片后再发送。"),
        page=gettext_lazy(
            "这次上传的内容超过%(limit)dMB，太大了。每张照片不能超过20MB：请重新拍一张，或者少选几张照片分几次上传。"
        ),
        limit=limit // (1024 * 1024),
    )


def _too_many_files_message(request) -> str:
    return _said(
        request,
        api=gettext_lazy("一次请求里的文件太多了，最多%(count)d个。"),
        page=gettext_lazy("一次选择的文件太多了，最多%(count)d个。请只选需要的照片，分几次上传。"),
        count=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
    )


def request_refused(request, *, status: int, code: str, message: str):
    """A refused request, said clearly: the API's JSON error, or a page in the public form's look
    (the back office's, for a staff page).

    The page links back to the address the form was sent to: the draft (answers and photos
    already uploaded) is kept on the server, so going back loses nothing typed.
    """
    if is_api(request):
        return JsonResponse({"code": code, "message": str(message)}, status=status, json_dumps_params={"ensure_ascii": False})
    back = request.get_full_path() if request.method == "POST" else ""
    if is_staff_path(request.path_info):
        return error_page(request, REFUSED, message=message, back_url=back, status=status)
    response = render(request, "request_refused.html", {"message": message, "back_url": back}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    """handler400: Django's own limits (files, fields, field size) get the message they deserve.

    Django raises these while parsing the body, after reading only part of it; the rest is read
    and thrown away (bounded by JIEDAO_MAX_REQUEST_BYTES, which the middleware enforced), so the
    browser receives this answer instead of a reset connection.
    """
    from .middleware import discard_body

    discard_body(request, limit=int(settings.JIEDAO_MAX_REQUEST_BYTES))
    if isinstance(exception, TooManyFilesSent):
        return request_refused(request, status=413, code="too_many_files", message=_too_many_files_message(request))
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
        message = _said(
            request,
            api=gettext_lazy("请求里的表单内容太多或太长，无法接收。"),
            page=gettext_lazy("填写的内容太长了，无法提交。请删减一些文字后再试。"),
        )
        return request_refused(request, status=413, code="too_large", message=message)
    message = _said(
        request,
        api=gettext_lazy("请求内容无法读取。"),
        page=gettext_lazy("这个请求无法处理。请返回上一页，再试一次。"),
    )
    return request_refused(request, status=400, code="bad_request", message=message)


# Error pages.


@dataclass(frozen=True)
class ErrorKind:
    status: int
    code: str
    title: Promise
    message: Promise  # for a resident
    staff_message: Promise  # for staff, on a back-office page
    api_message: Promise  # for a partner system, in its Accept-Language


NOT_FOUND = ErrorKind(
    404,
    "not_found",
    gettext_lazy("没有找到这个页面"),
    gettext_lazy("这个网址不存在，或者页面已经移走了。请看看网址有没有输错，或者从首页重新进入。"),
    gettext_lazy("这个网址不存在，或者不在您的工作范围内。请从申请队列重新进入。"),
    gettext_lazy("没有找到。"),
)
FORBIDDEN = ErrorKind(
    403,
    "forbidden",
    gettext_lazy("不能打开这个页面"),
    gettext_lazy("这个页面不对外开放。请从首页重新进入；需要帮助的话，请联系居委会。"),
    gettext_lazy("您的账号没有打开这个页面的权限。需要开通的话，请联系系统管理员。"),
    gettext_lazy("没有权限。"),
)
CSRF_FAILED = ErrorKind(
    403,
    "csrf_failed",
    gettext_lazy("页面已过期，没能提交"),
    gettext_lazy("这一页打开的时间太长了，或者浏览器没有保存本网站的 Cookie。请点下面的按钮重新打开这一页，再提交一次。"),
    gettext_lazy("这一页打开的时间太长了，或者浏览器没有保存本网站的 Cookie。请点下面的按钮重新打开这一页，再提交一次。"),
    gettext_lazy("请求被拒绝：缺少表单令牌。"),
)
TOO_MANY_REQUESTS = ErrorKind(
    429,
    "too_many_requests",
    gettext_lazy("操作太频繁了"),
    gettext_lazy("短时间里试了太多次。为了保护大家的信息，请过一会儿再试。"),
    gettext_lazy("短时间里试了太多次。为了保护大家的信息，请过一会儿再试。"),
    gettext_lazy("请求太频繁，请稍后再试。"),
)
SERVER_ERROR = ErrorKind(
    500,
    "server_error",
    gettext_lazy("系统出了点问题"),
    gettext_lazy("这不是您的错。请过几分钟再试一次；如果一直打不开，请联系居委会。"),
    gettext_lazy("系统出了点问题，已经记录下来。请过几分钟再试；如果一直这样，请联系系统管理员。"),
    gettext_lazy("服务器内部错误，请稍后再试。"),
)
# A request refused by a size or count limit on a staff page (request_refused): the message is given.
REFUSED = ErrorKind(
    400, "bad_request", gettext_lazy("没能提交"), gettext_lazy("没能提交"), gettext_lazy("没能提交"), gettext_lazy("没能提交")
)


def error_page(request, kind: ErrorKind, *, message=None, back_url: str = "", status: int | None = None):
    """An error in the frame of where it happened: JSON for the API, the back office's frame for
    staff pages, the public frame for everything else."""
    status = status or kind.status
    if is_api(request):
        with translation.override(_api_language(request)):
            body = {"code": kind.code, "message": str(message or kind.api_message)}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    staff = is_staff_path(request.path_info)
    context = {
        "title": kind.title,
        "message": message or (kind.staff_message if staff else kind.message),
        "back_url": back_url,
        "status": status,
    }
    if staff:
        context.update(staff_context(request))
    return no_store(render(request, "errors/staff.html" if staff else "errors/public.html", context, status=status))


def page_not_found(request, exception=None):
    """handler404."""
    return error_page(request, NOT_FOUND)


def permission_denied(request, exception=None):
    """handler403."""
    return error_page(request, FORBIDDEN)


def _page_the_form_was_on(request) -> str:
    """Where a refused form came from: its ``next`` field (the 长辈版 button, the staff sign-in),
    else the page that sent it (Referer, same site only), else the address it was sent to."""
    for candidate in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(candidate)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a form sent from a page kept open too long, or with cookies off.

    The way back is the page the form was on, by GET: it gives a fresh form (and this answer has
    set the cookie again).
    """
    return error_page(request, CSRF_FAILED, back_url=_page_the_form_was_on(request))


def too_many_requests(request, *, message=None, retry_after_seconds: int | None = None):
    """A rate limit's answer, for a view that has no page of its own to show it on."""
    response = error_page(request, TOO_MANY_REQUESTS, message=message)
    if retry_after_seconds:
        response["Retry-After"] = str(int(retry_after_seconds))
    return response


# The last resort, should even the template fail (a broken static manifest, say): both languages.
_BARE_500 = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>系统出了点问题 · Something went wrong</title></head>
<body style="font: 18px/1.6 sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<h1>系统出了点问题</h1><p>这不是您的错。请过几分钟再试一次；如果一直打不开，请联系居委会。</p>
<p><a href="/">回到首页</a></p>
<h1 lang="en">Something went wrong</h1><p lang="en">It is not your fault. Please try again in a few minutes.</p>
<p lang="en"><a href="/en/">Home page</a></p>
</body></html>
"""


def server_error(request):
    """handler500: no context processors, no database, nothing that could fail in its turn.

    The page is rendered from a template that needs only what is passed here (the language is
    already active, the text size is read from its cookie); if even that fails, a fixed page.
    """
    if is_api(request):
        with translation.override(_api_language(request)):
            body = {"code": SERVER_ERROR.code, "message": str(SERVER_ERROR.api_message)}
        return JsonResponse(body, status=500, json_dumps_params={"ensure_ascii": False})
    staff = is_staff_path(request.path_info)
    try:
        html = loader.render_to_string(
            "errors/500.html",
            {
                "staff": staff,
                "large_text": not staff and request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
                "title": SERVER_ERROR.title,
                "message": SERVER_ERROR.staff_message if staff else SERVER_ERROR.message,
            },
        )
    except Exception:  # the error page must never be the second error
        logger.exception("the 500 page could not be rendered")
        html = _BARE_500
    response = HttpResponseServerError(html)
    response["Cache-Control"] = "no-store, private"
    return response
