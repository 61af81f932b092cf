"""The public side: programme list, the application wizard, confirmation and status lookup.

The wizard keeps every answer and photo in a server-side ``Draft`` whose id sits in the session,
so a page rejected for one mistake loses nothing, and going back to change an answer is a link.
Views only translate between HTTP and the services in ``services.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core.context_processors import LARGE_TEXT_COOKIE
from jiedao.core.errors import DomainError, DuplicateApplication, ValidationFailed
from jiedao.core.http import no_store, private_photo_response

from . import services
from .forms import AddressForm, ApplicantForm, CategoriesForm, ConsentForm, ProxyForm, WhoForm
from .lifecycle import RESIDENT_EXPLANATIONS
from .models import Application, Document, DocumentType, Draft, DraftPhoto, Programme
from .photos import PhotoRejected, process_photo
from .selectors import application_for_resident, missing_pages, programmes_for_public, required_documents

QUESTION_STEPS = {
    "who": WhoForm,
    "proxy": ProxyForm,
    "applicant": ApplicantForm,
    "address": AddressForm,
    "categories": CategoriesForm,
}
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
            "draft": _session_draft(request, programme),
        },
    )


@require_POST
def start(request, code):
    programme = get_object_or_404(Programme, code=code)
    draft = _session_draft(request, programme)
    if draft is None or draft.application_id:
        try:
            draft = services.draft_start(programme=programme)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("intake:programme", code=code)
        request.session.setdefault("drafts", {})[programme.code] = str(draft.pk)
        request.session.modified = True
    return redirect("intake:step", code=code, step=_first_unanswered(draft))


def step(request, code, step):
    programme = get_object_or_404(Programme, code=code)
    draft = _session_draft(request, programme)
    if draft is None or draft.application_id:
        return redirect("intake:programme", code=code)
    steps = _steps(draft)
    if step not in steps:
        raise Http404
    first_open = _first_unanswered(draft)
    if steps.index(step) > steps.index(first_open):
        return redirect("intake:step", code=code, step=first_open)
    returning = request.GET.get("return") == "check" or request.POST.get("return") == "check"

    if step == "check":
        return _check_step(request, programme, draft, steps)
    if step.startswith("doc-"):
        return _photo_step(request, programme, draft, steps, step, returning)

    form_class = QUESTION_STEPS[step]
    if request.method == "POST":
        form = form_class(request.POST, programme=programme)
        if form.is_valid():
            services.draft_save_answers(draft=draft, answers=_serialisable(form.cleaned_data))
            return _go_on(draft, step, returning)
    else:
        form = form_class(initial=draft.answers, programme=programme)
    return _render_step(request, programme, draft, steps, step, {"form": form, "returning": returning})


def _photo_step(request, programme, draft, steps, step, returning):
    document_type = get_object_or_404(DocumentType, programme=programme, code=step.removeprefix("doc-"))
    errors: dict[int, str] = {}
    if request.method == "POST":
        for page in range(1, document_type.pages + 1):
            upload = request.FILES.get(f"page_{page}")
            if upload is None:
                continue
            try:
                photo = process_photo(upload)
            except PhotoRejected as rejected:
                errors[page] = photo_rejection_message(rejected)
                continue
            services.draft_put_photo(draft=draft, document_type=document_type, page=page, photo=photo)
    have = {p.page: p for p in draft.photos.filter(document_type=document_type)}
    if request.method == "POST" and not errors:
        missing = [page for page in range(1, document_type.pages + 1) if page not in have]
        if not missing:
            return _go_on(draft, step, returning)
        for page in missing:
            errors[page] = _("请拍摄或选择“%(page)s”的照片。") % {
                "page": document_type.page_label(page) or document_type.display_name
            }
    pages = [
        {
            "number": page,
            "label": document_type.page_label(page),
            "photo": have.get(page),
            "error": errors.get(page),
        }
        for page in range(1, document_type.pages + 1)
    ]
    return _render_step(
        request,
        programme,
        draft,
        steps,
        step,
        {"document_type": document_type, "pages": pages, "errors": errors, "returning": returning},
    )


def photo_rejection_message(rejected: PhotoRejected) -> str:
    return {
        "too_large": _("这张照片超过20MB，太大了。请重新拍一张，或选择较小的照片。"),
        "empty": _("这个文件是空的，请重新拍照或选择照片。"),
        "not_an_image": _("这个文件不是照片。请拍照，或选择JPG、PNG、HEIC、WebP格式的照片。"),
        "unsupported_format": _("不支持这种图片格式。请选择JPG、PNG、HEIC或WebP格式的照片。"),
        "too_many_pixels": _("这张照片的像素太多，无法处理。请用手机相机正常拍摄后再上传。"),
        "corrupt": _("这张照片已损坏或没有上传完整，请重新拍照或选择照片。"),
    }.get(rejected.code, _("这张照片无法使用，请重新拍照或选择照片。"))


def _check_step(request, programme, draft, steps):
    answers = draft.answers
    documents = required_documents(programme, answers.get("categories", []))
    photos = list(draft.photos.select_related("document_type"))
    error_list: list[str] = []
    form = ConsentForm(programme=programme)
    if request.method == "POST":
        form = ConsentForm(request.POST, programme=programme)
        if form.is_valid():
            try:
                application = services.draft_submit(draft=draft, answers=_serialisable(form.cleaned_data))
            except DuplicateApplication as duplicate:
                error_list.append(duplicate.message)
            except ValidationFailed as failed:
                error_list.extend(message for messages_ in failed.errors.values() for message in messages_)
            except DomainError as error:
                error_list.append(error.message)
            else:
                submitted = request.session.setdefault("submitted", [])
                if application.reference not in submitted:
                    submitted.append(application.reference)
                request.session.get("drafts", {}).pop(programme.code, None)
                request.session.modified = True
                return redirect("intake:done", reference=application.reference)
    categories = programme.categories.filter(code__in=answers.get("categories", []))
    return _render_step(
        request,
        programme,
        draft,
        steps,
        "check",
        {
            "form": form,
            "answers": answers,
            "categories": categories,
            "neighbourhood": programme.neighbourhoods.filter(code=answers.get("neighbourhood")).first(),
            "block": programme.blocks.filter(code=answers.get("block")).first(),
            "relationship": dict(ProxyForm.base_fields["proxy_relationship"].choices).get(
                answers.get("proxy_relationship")
            ),
            "documents": [
                {"type": doc, "photos": [p for p in photos if p.document_type_id == doc.id]} for doc in documents
            ],
            "submit_errors": error_list,
        },
    )


def _render_step(request, programme, draft, steps, step, context):
    template = "intake/check.html" if step == "check" else (
        "intake/photo_step.html" if step.startswith("doc-") else "intake/question_step.html"
    )
    response = render(
        request,
        template,
        {
            "programme": programme,
            "draft": draft,
            "step": step,
            "step_number": steps.index(step) + 1,
            "step_count": len(steps),
            "step_percent": round(100 * (steps.index(step) + 1) / len(steps)),
            "previous_step": steps[steps.index(step) - 1] if steps.index(step) > 0 else None,
            "step_title": _step_title(step, context),
            **context,
        },
    )
    return no_store(response)


def _step_title(step, context):
    titles = {
        "who": _("您是为谁申请？"),
        "proxy": _("代办人信息"),
        "applicant": _("申请人信息"),
        "address": _("申请人住址"),
        "categories": _("特殊对象类别"),
        "check": _("核对并提交"),
    }
    if step.startswith("doc-"):
        return _("拍照上传：%(document)s") % {"document": context["document_type"].display_name}
    return titles[step]


def _go_on(draft, step, returning):
    steps = _steps(draft)
    if returning:
        target = _first_unanswered(draft)
        return redirect("intake:step", code=draft.programme.code, step=target)
    index = steps.index(step) if step in steps else 0
    return redirect("intake:step", code=draft.programme.code, step=steps[min(index + 1, len(steps) - 1)])


def _steps(draft: Draft) -> list[str]:
    answers = draft.answers
    steps = ["who"]
    if answers.get("who") == "proxy":
        steps.append("proxy")
    steps += ["applicant", "address", "categories"]
    steps += [f"doc-{doc.code}" for doc in required_documents(draft.programme, answers.get("categories", []))]
    steps.append("check")
    return steps


def _first_unanswered(draft: Draft) -> str:
    """The first step whose answers are missing or no longer valid; "check" when all are done."""
    answers = draft.answers
    programme = draft.programme
    for step in _steps(draft):
        if step in QUESTION_STEPS:
            if not QUESTION_STEPS[step](answers, programme=programme).is_valid():
                return step
        elif step.startswith("doc-"):
            doc = programme.document_types.get(code=step.removeprefix("doc-"))
            present = {(doc.id, page) for page in draft.photos.filter(document_type=doc).values_list("page", flat=True)}
            if missing_pages([doc], present):
                return step
    return "check"


def _serialisable(cleaned: dict) -> dict:
    return {key: (list(value) if isinstance(value, (list, tuple)) else value) for key, value in cleaned.items()}


def _session_draft(request, programme) -> Draft | None:
    draft_id = request.session.get("drafts", {}).get(programme.code)
    if not draft_id:
        return None
    return Draft.objects.select_related("programme").filter(pk=draft_id, programme=programme).first()


def draft_photo(request, code, photo_id):
    """The resident's own preview of a photo in their unfinished application."""
    programme = get_object_or_404(Programme, code=code)
    draft = _session_draft(request, programme)
    if draft is None:
        raise Http404
    photo = get_object_or_404(DraftPhoto, pk=photo_id, draft=draft)
    return private_photo_response(photo.file.open("rb"), filename=f"photo-{photo.pk}.jpg")


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
    context = {"application": application, "not_found": not_found, "reference": request.POST.get("reference", "")}
    if application is not None:
        context.update(
            {
                "explanation": RESIDENT_EXPLANATIONS[application.status],
                "events": application.events.all(),
                "missing_documents": application.missing_documents.all(),
            }
        )
    return no_store(render(request, "intake/status.html", context))


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


@staff_member_required
def document_photo(request, document_id):
    """A stored document photo, for staff only."""
    document = get_object_or_404(Document.objects.select_related("application"), pk=document_id)
    return private_photo_response(document.file.open("rb"), filename=f"{document.application.reference}-{document.pk}.jpg")
