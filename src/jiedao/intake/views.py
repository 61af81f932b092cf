"""The public side: programmes, the application wizard (see ``wizard.py``), the confirmation,
status lookup and sending in requested documents. Views only translate between HTTP and services.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core.context_processors import LARGE_TEXT_COOKIE
from jiedao.core.audit import client_ip
from jiedao.core.errors import DomainError
from jiedao.core.http import no_store
from jiedao.review.services import application_add_documents, outstanding_pages

from . import wizard
from .lifecycle import RESIDENT_EXPLANATIONS, Status
from .models import Application, Programme, Via
from .photos import PhotoRejected, process_photo
from .selectors import application_for_resident, programmes_for_public
from .wizard import PUBLIC_DESK, photo_rejection_message

def home(request):
    return render(request, "intake/home.html", {"programmes": programmes_for_public()})


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


def status(request):
    """Reference + phone → the case's status. Asked by POST so neither lands in a URL or log."""
    application = None
    not_found = False
    if request.method == "POST":
        application = application_for_resident(request.POST.get("reference", ""), request.POST.get("phone", ""))
        not_found = application is None
        if application is not None:
            # This browser proved it knows the pair: it may send in the documents asked for.
            cases = request.session.setdefault("resident_cases", [])
            if application.reference not in cases:
                cases.append(application.reference)
                request.session.modified = True
    context = {"application": application, "not_found": not_found, "reference": request.POST.get("reference", "")}
    if application is not None:
        context.update(_status_context(application))
    return no_store(render(request, "intake/status.html", context))


def _status_context(application: Application) -> dict:
    request = application.events.filter(to_status=Status.NEEDS_MORE).order_by("-at", "-id").first()
    return {
        "request_note": request.note if request and application.status == Status.NEEDS_MORE else "",
        "explanation": RESIDENT_EXPLANATIONS[application.status],
        "events": application.events.all(),
        "missing_documents": application.missing_documents.all(),
        "outstanding": outstanding_pages(application) if application.status == Status.NEEDS_MORE else [],
    }


def add_documents(request, reference):
    """The resident (or someone helping them) sends in the documents staff asked for."""
    if reference not in request.session.get("resident_cases", []):
        return redirect("intake:status")
    application = get_object_or_404(Application.objects.select_related("programme"), reference=reference)
    outstanding = outstanding_pages(application) if application.status == Status.NEEDS_MORE else []
    errors: dict[str, str] = {}
    if request.method == "POST" and outstanding:
        uploads = []
        for gap in outstanding:
            key = gap.field_name
            upload = request.FILES.get(key)
            if upload is None:
                continue
            try:
                uploads.append((gap.document_type.code, gap.page, process_photo(upload)))
            except PhotoRejected as rejected:
                errors[key] = photo_rejection_message(rejected)
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
            return redirect("intake:add_documents", reference=reference)
        outstanding = outstanding_pages(application) if application.status == Status.NEEDS_MORE else []
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


@require_POST
def large_text(request):
    """Switch the 长辈版 large-text mode; a cookie, so it works without JavaScript."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.POST.get("on") == "1":
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE)
    return response
