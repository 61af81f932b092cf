from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache


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
    """A refused request, said clearly: the API's JSON error, or a page in the public form's look.

    The page links back to the address the form was sent to: the draft (answers and photos
    already uploaded) is kept on the server, so going back loses nothing typed.
    """
    if is_api(request):
        return JsonResponse({"code": code, "message": str(message)}, status=status, json_dumps_params={"ensure_ascii": False})
    back = request.get_full_path() if request.method == "POST" else ""
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
