"""The public side: programmes, the application wizard (see ``wizard.py``), the confirmation,
status lookup and sending in requested documents. Views only translate between HTTP and services.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiedao.core.audit import client_ip
from jiedao.lib.context_processors import remember_text_size
from jiedao.lib.errors import DomainError
from jiedao.lib.http import no_store
from jiedao.lib.page_cache import cached_page
from jiedao.lib.ratelimit import (
    Limit,
    Rate,
    address_key,
    client_address,
    rate_limit_count,
    rate_limit_peek,
)
from jiedao.lib.validators import mask_phone, normalize_phone
from jiedao.notices import services as notice_services

from . import wizard
from .lifecycle import Status
from .models import Application, Programme, Via
from .selectors import application_for_resident, programmes_for_public
from .transitions import application_add_documents, outstanding_pages, supplement_photos
from .wizard import PUBLIC_DESK, photo_rejection_message


def home(request):
    return cached_page(
        request, "home", lambda: render(request, "intake/home.html", {"programmes": programmes_for_public()})
    )


def programme_detail(request, code):
    programme = get_object_or_404(Programme, code=code)
    categories = programme.categories.prefetch_related("documents")
    return render(
        request,
        "intake/programme.html",
        {
            "programme": programme,
            "categories": categories,
            "common_documents": programme.common_documents.all(),
            "draft": wizard.session_draft(PUBLIC_DESK, request, programme),
        },
    )


@require_POST
def start(request, code):
    programme = get_object_or_404(Programme, code=code)
    return wizard.start(PUBLIC_DESK, request, programme) or redirect("intake:programme", code=code)


def step(request, code, step):
    programme = get_object_or_404(Programme, code=code)
    return wizard.step(
        PUBLIC_DESK, request, programme, step, on_missing_draft=lambda: redirect("intake:programme", code=code)
    )


def draft_photo(request, code, photo_id):
    return wizard.draft_photo(PUBLIC_DESK, request, get_object_or_404(Programme, code=code), photo_id)


def done(request, reference):
    if reference not in request.session.get("submitted", []):
        raise Http404
    application = get_object_or_404(
        Application.objects.select_related("programme", "neighbourhood", "block"), reference=reference
    )
    documents = application.documents.select_related("document_type")
    return no_store(
        render(
            request,
            "intake/done.html",
            {
                "application": application,
                "document_names": [
                    f"{document.document_type.display_name} {document.page_label}".strip() for document in documents
                ],
                "categories": application.categories.all(),
            },
        )
    )


# Status lookup and residents' access. Reference + phone (by POST, so neither lands in a URL or a
# log) show the state only; the details and the upload of requested documents need the 6-digit
# code sent by SMS to that phone (``notices.services.access_code_*``). The case looked up is
# remembered in a signed cookie (``jiedao_lookup``: the case's id and which of its phones, never the
# number), so that a lookup writes no session row: most visitors only want the state, and a
# session write is the most expensive part of their request. Once a code is verified the session
# holds the case (``resident_lookup``) and that it is open in this browser until
# ``JIEDAO_ACCESS_SESSION_SECONDS`` have passed (``resident_access``).

LOOKUP = "resident_lookup"
ACCESS = "resident_access"
LOOKUP_COOKIE = "jiedao_lookup"
LOOKUP_SALT = "jiedao.intake.resident-lookup"

# The state in plain words where the usual explanation points at details not shown yet.
STATE_ONLY_EXPLANATIONS = {
    Status.NEEDS_MORE: _lazy("还需要补充材料。获取验证码后，可以看到要补哪些材料，并直接拍照上传。"),
    Status.REJECTED: _lazy("很抱歉，审核没有通过。获取验证码后，可以看到原因。如有疑问请联系居委会。"),
}


def _lookup_limit(request) -> Limit:
    """Wrong reference + phone pairs from one address (guessing pairs is slowed down)."""
    return Limit(
        f"status-lookup:address:{address_key(client_address(request))}",
        Rate.parse(settings.JIEDAO_STATUS_LOOKUP_ADDRESS_LIMITS),
    )


def resident_lookup_remember(session, application: Application, phone: str) -> None:
    """This browser proved it knows the case's reference and this phone."""
    session[LOOKUP] = {"application": application.pk, "phone": normalize_phone(phone), "at": int(time.time())}


def resident_access_grant(session, application: Application, phone: str) -> None:
    """A code sent to ``phone`` was typed back: the case is open in this browser for a while."""
    resident_lookup_remember(session, application, phone)
    now = time.time()
    granted = {key: until for key, until in session.get(ACCESS, {}).items() if until > now}
    granted[str(application.pk)] = int(now + settings.JIEDAO_ACCESS_SESSION_SECONDS)
    session[ACCESS] = granted


def _remember_lookup(response, application: Application, phone: str):
    """The signed cookie of a lookup (see above); the answer it is set on is returned."""
    which = "proxy" if phone != application.phone and phone == application.proxy_phone else "applicant"
    response.set_signed_cookie(
        LOOKUP_COOKIE, f"{application.pk}:{which}", salt=LOOKUP_SALT, max_age=settings.JIEDAO_ACCESS_SESSION_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )  # fmt: skip
    return response


def _looked_up_in_cookie(request) -> tuple[int, str] | None:
    value = request.get_signed_cookie(
        LOOKUP_COOKIE, default=None, salt=LOOKUP_SALT, max_age=settings.JIEDAO_ACCESS_SESSION_SECONDS
    )
    pk, _sep, which = (value or "").partition(":")
    return (int(pk), which) if pk.isdigit() and which in ("applicant", "proxy") else None


def _looked_up(request) -> tuple[Application, str] | None:
    """The case this browser looked up (within the access period), and the phone it gave."""
    cookie = _looked_up_in_cookie(request)
    lookup = None if cookie else request.session.get(LOOKUP)
    if cookie is None and (not lookup or time.time() - lookup.get("at", 0) > settings.JIEDAO_ACCESS_SESSION_SECONDS):
        return None
    pk = cookie[0] if cookie else lookup["application"]
    application = Application.objects.select_related("programme", "neighbourhood", "block").filter(pk=pk).first()
    if application is None:
        return None
    phone = (application.phone if cookie[1] == "applicant" else application.proxy_phone) if cookie else lookup["phone"]
    if not phone or phone not in {application.phone, application.proxy_phone}:
        return None
    return application, phone


def _has_access(request, application: Application) -> bool:
    return request.session.get(ACCESS, {}).get(str(application.pk), 0) > time.time()


def status(request):
    """Reference + phone → the case's state, or its details if this browser holds a valid code."""
    context = {"reference": request.POST.get("reference", ""), "phone": request.POST.get("phone", "")}
    if request.method == "POST":
        limit = _lookup_limit(request)
        decision = rate_limit_peek(limit)
        if not decision.allowed:
            context["error"] = _("查询太频繁，请 %(minutes)s 分钟后再试。") % {"minutes": decision.retry_minutes}
            return no_store(render(request, "intake/status.html", context, status=429))
        application = application_for_resident(context["reference"], context["phone"])
        if application is None:
            # A wrong pair and an unknown reference look the same, and both count.
            rate_limit_count(limit)
            context["not_found"] = True
        else:
            phone = normalize_phone(context["phone"])
            return _remember_lookup(_case_page(request, application, phone), application, phone)
    return no_store(render(request, "intake/status.html", context))


def status_case(request):
    """The case looked up in this browser: its state, or everything once a code was typed."""
    found = _looked_up(request)
    if found is None:
        return redirect("intake:status")
    return _case_page(request, *found)


def _case_page(request, application: Application, phone: str, *, error: str = "", status: int = 200):
    context = {"application": application, "masked_phone": mask_phone(phone), "error": error}
    if _has_access(request, application):
        context.update(_status_context(application), authorised=True)
    else:
        context["explanation"] = STATE_ONLY_EXPLANATIONS.get(application.status) or application.lifecycle.explanation(application.status)
    return no_store(render(request, "intake/status_case.html", context, status=status))


@require_POST
def access_code_send(request):
    found = _looked_up(request)
    if found is None:
        return redirect("intake:status")
    application, phone = found
    try:
        notice_services.access_code_send(application=application, phone=phone, address=client_address(request))
    except notice_services.AccessCodeRateLimited as limited:
        if notice_services.access_code_latest(application=application, phone=phone):
            return _code_page(request, application, phone, error=str(limited.message), status=429)
        return _case_page(request, application, phone, error=str(limited.message), status=429)
    return redirect("intake:access_code")


def access_code(request):
    """Typing back the code sent by SMS."""
    found = _looked_up(request)
    if found is None:
        return redirect("intake:status")
    application, phone = found
    if request.method == "POST":
        typed = request.POST.get("code", "")
        try:
            notice_services.access_code_verify(application=application, phone=phone, code=typed)
        except notice_services.AccessCodeRefused as refused:
            dead = refused.code in ("access_code_expired", "access_code_too_many", "access_code_missing")
            return _code_page(request, application, phone, error=str(refused.message), typed="" if dead else typed)
        resident_access_grant(request.session, application, phone)
        return redirect("intake:status_case")
    return _code_page(request, application, phone)


def _code_page(request, application, phone, *, error: str = "", typed: str = "", status: int = 200):
    context = {
        "application": application,
        "masked_phone": mask_phone(phone),
        "error": error,
        "typed": typed,
        "code_open": notice_services.access_code_latest(application=application, phone=phone) is not None,
        "minutes": max(1, settings.JIEDAO_ACCESS_CODE_TTL_SECONDS // 60),
        # The demo sends no real SMS: say where its texts go.
        "demo_sms_file": settings.JIEDAO_SMS_CONSOLE_FILE
        if settings.JIEDAO_SMS_PROVIDER == "console" and not settings.PRODUCTION
        else None,
    }
    return no_store(render(request, "intake/access_code.html", context, status=status))


def _status_context(application: Application) -> dict:
    request = application.events.filter(to_status=Status.NEEDS_MORE).order_by("-at", "-id").first()
    return {
        "request_note": request.note if request and application.status == Status.NEEDS_MORE else "",
        "explanation": application.lifecycle.explanation(application.status),
        "events": application.events.all(),
        "missing_documents": application.missing_documents.all(),
        "outstanding": outstanding_pages(application),
    }


def add_documents(request):
    """The resident (or someone helping them) sends in the documents staff asked for, once the
    case is open in this browser (a code typed back)."""
    found = _looked_up(request)
    if found is None or not _has_access(request, found[0]):
        return redirect("intake:status_case" if found else "intake:status")
    application = found[0]
    outstanding = outstanding_pages(application)
    errors: dict[str, str] = {}
    if request.method == "POST" and outstanding:
        uploads, refused = supplement_photos(application, request.FILES)
        errors = {gap.field_name: photo_rejection_message(rejected) for gap, rejected in refused}
        if uploads:
            try:
                application = application_add_documents(
                    application=application, uploads=uploads, via=Via.ONLINE, ip=client_ip(request)
                )
            except DomainError as error:
                errors["__all__"] = str(error.message)
        elif not errors:
            errors["__all__"] = _("请先拍照或选择照片，再点上传。")
        if not errors:
            if application.status == Status.RESUBMITTED:
                messages.success(request, _("补充材料已经收到，工作人员会继续审核。"))
            else:
                messages.success(request, _("已收到这几张照片。还有材料没有补齐，请继续上传。"))
            return redirect("intake:add_documents")
        outstanding = outstanding_pages(application)
    fields = [
        {
            "key": gap.field_name,
            "document_type": gap.document_type,
            "label": gap.document_type.page_label(gap.page),
            "error": errors.get(gap.field_name),
        }
        for gap in outstanding
    ]
    return no_store(
        render(
            request,
            "intake/add_documents.html",
            {
                "application": application,
                "fields": fields,
                "form_error": errors.get("__all__"),
                "error_pairs": [(f"field-{f['key']}", f["error"]) for f in fields if f["error"]],
                **_status_context(application),
            },
        )
    )


@require_http_methods(["GET", "POST"])
def large_text(request):
    """Switch the 长辈版 large-text mode; a cookie, so it works without JavaScript. The frame's
    button is a GET form (no token in the frame, so public pages can be cached)."""
    answers = request.POST if request.method == "POST" else request.GET
    target = answers.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    return remember_text_size(HttpResponseRedirect(target), large=answers.get("on") == "1")
