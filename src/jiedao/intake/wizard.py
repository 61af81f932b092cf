"""The application wizard, one question group per page, for two desks.

The public desk is the resident (or a family member) on their own phone. The staff desk is a
committee worker filing for a resident by phone, at home or at the counter: the same steps and
checks, plus a first question (how they are helping) and neighbourhood choices limited to their
own. The questions, their order and the consent are the programme's service type's
(``service_types``); the photo steps follow from the answers. Every answer and photo lives in a
server-side ``Draft`` whose id sits in the session, so a page rejected for one mistake loses
nothing and "change" on the check page is just a link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from jiedao.core.audit import client_ip
from jiedao.lib.context_processors import remember_text_size
from jiedao.lib.errors import (
    DomainError,
    DuplicateApplication,
    StorageUnavailable,
    ValidationFailed,
)
from jiedao.lib.http import no_store, private_photo_response
from jiedao.lib.ratelimit import client_address, rate_limit_hit

from . import services
from .forms import AddressForm, ChannelForm, answer_rows, with_phone
from .models import Application, Channel, DocumentType, Draft, DraftPhoto, Programme
from .photos import PhotoRejected, process_photo
from .selectors import missing_pages, open_application_for, required_documents
from .sms import reference_reminder_queue

# The desks' own first questions; the rest are the service type's.
DESK_FORMS = {"channel": ChannelForm}


@dataclass(frozen=True)
class Desk:
    namespace: str
    session_key: str
    base_template: str
    first_steps: tuple[str, ...] = ()
    # The neighbourhoods this user may file for (None: all of the programme's).
    neighbourhood_scope: Callable = field(default=lambda request: None)
    # Where a finished application goes: returns a redirect response.
    on_submitted: Callable = field(default=None)
    # Question forms that read differently at this desk (used where the service type asks that step).
    form_overrides: dict = field(default_factory=dict)
    # Whether this desk's user may be told of a person's existing open case: staff within their
    # scope; nobody at the public desk (see ``duplicate_message``).
    may_see_case: Callable = field(default=lambda request, application: False)
    # Whether ID numbers checked for an open case are counted per client address: the public
    # desk's are (the check must not become a way to test whose number has applied); staff are
    # signed in and audited.
    limit_duplicate_checks: bool = True

    def form_class(self, step: str, programme: Programme):
        return self.form_overrides.get(step) or DESK_FORMS.get(step) or programme.kind.question_forms[step]

    def asks(self, step: str, programme: Programme) -> bool:
        return step in DESK_FORMS or step in programme.kind.question_forms

    def url(self, name: str) -> str:
        return f"{self.namespace}:{name}"


def _form(desk: Desk, request, step: str, programme: Programme, data=None, initial=None):
    form_class = desk.form_class(step, programme)
    kwargs = {"programme": programme, "neighbourhood_ids": desk.neighbourhood_scope(request)}
    if issubclass(form_class, AddressForm):  # the wizard may answer "不清楚" from the address
        kwargs["offer_unknown_block"] = True
    return form_class(data, initial=initial, **kwargs)


def steps_of(desk: Desk, draft: Draft) -> list[str]:
    answers = draft.answers
    steps = [*desk.first_steps, *draft.programme.kind.question_steps(answers)]
    steps += [f"doc-{doc.code}" for doc in required_documents(draft.programme, answers.get("categories", []))]
    steps.append("check")
    return steps


def first_unanswered(desk: Desk, request, draft: Draft) -> str:
    """The first step whose answers are missing or no longer valid; "check" when all are done."""
    programme = draft.programme
    have = set(draft.photos.values_list("document_type__code", "page"))
    for step in steps_of(desk, draft):
        if desk.asks(step, programme):
            if not _form(desk, request, step, programme, data=draft.answers).is_valid():
                return step
        elif step.startswith("doc-"):
            doc = programme.document_types.get(code=step.removeprefix("doc-"))
            if missing_pages([doc], {(doc.id, page) for code, page in have if code == doc.code}):
                return step
    return "check"


def session_draft(desk: Desk, request, programme: Programme) -> Draft | None:
    draft_id = request.session.get(desk.session_key, {}).get(programme.code)
    if not draft_id:
        return None
    drafts = Draft.objects.select_related("programme").filter(pk=draft_id, programme=programme)
    if request.user.is_authenticated and desk.first_steps:
        drafts = drafts.filter(filed_by=request.user)
    return drafts.first()


def start(desk: Desk, request, programme: Programme):
    draft = session_draft(desk, request, programme)
    if draft is None or draft.application_id:
        filed_by = request.user if desk.first_steps else None
        try:
            draft = services.draft_start(programme=programme, filed_by=filed_by)
        except DomainError as error:
            messages.error(request, error.message)
            return None
        request.session.setdefault(desk.session_key, {})[programme.code] = str(draft.pk)
        request.session.modified = True
    return redirect(desk.url("step"), code=programme.code, step=first_unanswered(desk, request, draft))


def step(desk: Desk, request, programme: Programme, step: str, *, on_missing_draft):
    draft = session_draft(desk, request, programme)
    if draft is None or draft.application_id:
        return on_missing_draft()
    steps = steps_of(desk, draft)
    if step not in steps:
        raise Http404
    first_open = first_unanswered(desk, request, draft)
    if steps.index(step) > steps.index(first_open):
        return redirect(desk.url("step"), code=programme.code, step=first_open)
    returning = request.GET.get("return") == "check" or request.POST.get("return") == "check"
    move = request.POST.get("move", "") if request.method == "POST" and step != "check" else ""
    if move:
        return _move_keeping_input(desk, request, programme, draft, steps, step, move, returning)
    if step == "check":
        return _check_step(desk, request, programme, draft, steps)
    if step.startswith("doc-"):
        return _photo_step(desk, request, programme, draft, steps, step, returning)

    refused = None
    if request.method == "POST":
        form = _form(desk, request, step, programme, data=request.POST)
        if form.is_valid():
            # A person with an open case is stopped here, before the photos, not at the submit.
            asks_id = bool(form.cleaned_data.get("id_number"))
            refused = _refuse_duplicate(desk, request, programme, draft, form) if asks_id else None
        if form.is_valid() and refused is None:
            services.draft_save_answers(draft=draft, answers=_serialisable(form.cleaned_data))
            return _go_on(desk, request, draft, step, returning)
    else:
        form = _form(desk, request, step, programme, initial=draft.answers)
    # How many photo steps there are depends on the categories: until they are chosen the page
    # says which step this is, not a total that would jump from 7 to 9 later.
    steps_known = bool(draft.answers.get("categories")) or not programme.kind.has_categories
    response = _render(
        desk, request, programme, steps, step, {"form": form, "returning": returning, "steps_known": steps_known}
    )
    if refused:
        response.status_code = refused
    return response


def _keep_uploaded_pages(request, draft, document_type) -> dict[int, str]:
    """Process and keep every page's photo sent with this request; the refusal per page."""
    errors: dict[int, str] = {}
    for page in range(1, document_type.pages + 1):
        upload = request.FILES.get(f"page_{page}")
        if upload is None:
            continue
        try:
            photo = process_photo(upload)
        except PhotoRejected as rejected:
            errors[page] = photo_rejection_message(rejected)
            continue
        try:
            services.draft_put_photo(draft=draft, document_type=document_type, page=page, photo=photo)
        except StorageUnavailable as unavailable:
            errors[page] = str(unavailable.message)
    return errors


def _move_keeping_input(desk, request, programme, draft, steps, step, move, returning):
    """‹ 上一步 and the 长辈版 switch, pressed on a step: they submit the step's form, so what was
    typed or chosen there is kept in the draft, unchecked (checking comes with 下一步), and shown
    again; then the resident goes back a step, or sees the same step in the other text size."""
    if step.startswith("doc-"):
        document_type = get_object_or_404(DocumentType, programme=programme, code=step.removeprefix("doc-"))
        # A photo that cannot be kept is asked for again when the step is answered.
        _keep_uploaded_pages(request, draft, document_type)
    else:
        form = _form(desk, request, step, programme, data=request.POST)
        unsent = {}
        for name, field_ in form.fields.items():
            key = form.add_prefix(name)
            if isinstance(field_, forms.MultipleChoiceField):
                unsent[name] = request.POST.getlist(key)
            elif key in request.POST:
                unsent[name] = request.POST.get(key, "")
        services.draft_save_answers(draft=draft, answers=unsent)
    code = programme.code
    if move == "back":
        index = steps.index(step)
        return redirect(desk.url("step"), code=code, step=steps[index - 1]) if index > 0 else redirect(desk.url("programme"), code=code)
    response = redirect(desk.url("step"), code=code, step=step)
    if returning:
        response["Location"] += "?return=check"
    if move in ("text_size:1", "text_size:0"):
        remember_text_size(response, large=move.endswith("1"))
    return response


def _refuse_duplicate(desk: Desk, request, programme: Programme, draft: Draft, form) -> int | None:
    """Check the applicant's ID number for an open case; if refused, put the reason on the form
    and return the page's HTTP status (429 when this address checked too many numbers)."""
    if desk.limit_duplicate_checks:
        decision = rate_limit_hit(services.duplicate_check_limit(client_address(request)))
        if not decision.allowed:
            form.add_error(
                "id_number",
                _("核对身份证号码的次数太多了，请 %(minutes)s 分钟后再试。已填写的内容还在。")
                % {"minutes": decision.retry_minutes},
            )
            return 429
    existing = open_application_for(programme, form.cleaned_data["id_number"])
    if existing is None:
        return None
    form.add_error("id_number", duplicate_message(desk, request, programme, draft, existing))
    return 200


def duplicate_message(desk: Desk, request, programme: Programme, draft: Draft, existing: Application) -> str:
    """What this desk's user is told about a person who already has an open case.

    Staff who may see the case are given its reference. Everyone else learns only that the ID
    number cannot be used now: the reference is sent by SMS to the phones registered on the case
    (its owner, not whoever typed the number), and the phone to ask is the committee of the
    neighbourhood *this* application named, never the existing case's (that would tell where the
    person lives), or the subdistrict's own number."""
    if existing is not None and desk.may_see_case(request, existing):
        return _("这位申请人已有一份正在办理的申请，受理编号 %(reference)s，不需要重复申请。") % {
            "reference": existing.reference
        }
    if existing is not None:
        reference_reminder_queue(application=existing)
    neighbourhood = programme.neighbourhoods.filter(code=draft.answers.get("neighbourhood") or "").first()
    phone = (neighbourhood.committee_phone if neighbourhood else "") or programme.subdistrict.office_phone
    if phone:
        return with_phone(
            _(
                "这个身份证号码现在不能用于新的申请。相关申请的受理编号已经用短信发到登记的手机号码上，请留意查收。"
                "如有疑问，请打电话问居委会：%(phone)s。"
            ),
            phone,
        )
    return _(
        "这个身份证号码现在不能用于新的申请。相关申请的受理编号已经用短信发到登记的手机号码上，请留意查收。"
        "如有疑问，请问居委会。"
    )


def _photo_step(desk, request, programme, draft, steps, step, returning):
    document_type = get_object_or_404(DocumentType, programme=programme, code=step.removeprefix("doc-"))
    errors: dict[int, str] = {}
    if request.method == "POST":
        errors = _keep_uploaded_pages(request, draft, document_type)
    have = {p.page: p for p in draft.photos.filter(document_type=document_type)}
    if request.method == "POST" and not errors:
        missing = [page for page in range(1, document_type.pages + 1) if page not in have]
        if not missing:
            return _go_on(desk, request, draft, step, returning)
        for page in missing:
            errors[page] = _("请拍摄或选择“%(page)s”的照片。") % {
                "page": document_type.page_label(page) or document_type.display_name
            }
    pages = [
        {
            "number": page,
            "field_name": f"page_{page}",
            "label": document_type.page_label(page),
            "photo": have.get(page),
            "error": errors.get(page),
        }
        for page in range(1, document_type.pages + 1)
    ]
    return _render(
        desk,
        request,
        programme,
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


def _check_step(desk, request, programme, draft, steps):
    answers = draft.answers
    documents = required_documents(programme, answers.get("categories", []))
    photos = list(draft.photos.select_related("document_type"))
    error_list: list[str] = []
    consent_form = programme.kind.consent_form
    form = consent_form(programme=programme)
    if request.method == "POST":
        form = consent_form(request.POST, programme=programme)
        if form.is_valid():
            try:
                application = services.draft_submit(
                    draft=draft,
                    answers=_serialisable(form.cleaned_data),
                    channel=answers.get("channel", Channel.ONLINE),
                    filed_by=draft.filed_by,
                    ip=client_ip(request),
                )
            except DuplicateApplication as duplicate:  # a race: the same person submitted meanwhile
                error_list.append(duplicate_message(desk, request, programme, draft, duplicate.application))
            except ValidationFailed as failed:
                error_list.extend(message for messages_ in failed.errors.values() for message in messages_)
            except DomainError as error:
                error_list.append(error.message)
            else:
                request.session.get(desk.session_key, {}).pop(programme.code, None)
                request.session.modified = True
                return desk.on_submitted(request, application)
    categories = programme.categories.filter(code__in=answers.get("categories", []))
    return _render(
        desk,
        request,
        programme,
        steps,
        "check",
        {
            "form": form,
            "answers": answers,
            "channel_label": dict(ChannelForm.base_fields["channel"].choices).get(answers.get("channel")),
            "who_label": _choice_label(desk, programme, "who", "who", answers),
            "categories": categories,
            "neighbourhood": programme.neighbourhoods.filter(code=answers.get("neighbourhood")).first(),
            # Not "block": inside {% block %} that name is Django's own (the block being rendered).
            "renovation_block": programme.blocks.filter(code=answers.get("block")).first(),
            "relationship": _choice_label(desk, programme, "proxy", "proxy_relationship", answers),
            # The answers of question groups the check page does not lay out itself (another
            # service type's own questions), as (label, answer) in the order asked.
            "other_answers": answer_rows(programme, answers),
            "step_of": _step_of_field(desk, programme, answers),
            "documents": [
                {"type": doc, "photos": [p for p in photos if p.document_type_id == doc.id]} for doc in documents
            ],
            "submit_errors": error_list,
        },
    )


def _choice_label(desk: Desk, programme: Programme, step: str, name: str, answers: dict):
    if not desk.asks(step, programme):
        return None
    choices = desk.form_class(step, programme).base_fields[name].choices
    return dict(choices).get(answers.get(name))


def _step_of_field(desk: Desk, programme: Programme, answers: dict) -> dict[str, str]:
    """Which step asks each field: where the check page's "change" links go."""
    return {
        name: step
        for step in programme.kind.question_steps(answers)
        for name in desk.form_class(step, programme).base_fields
    }


def _step_title(programme: Programme, step: str) -> str:
    if step == "channel":
        return _("办理方式")
    if step == "check":
        return _("核对并提交")
    return str(programme.kind.step_titles.get(step, ""))


def _render(desk, request, programme, steps, step, context):
    if step == "check":
        template = "intake/check.html"
        title = _step_title(programme, "check")
    elif step.startswith("doc-"):
        template = "intake/photo_step.html"
        title = _("拍照上传：%(document)s") % {"document": context["document_type"].display_name}
    else:
        template = "intake/question_step.html"
        title = _step_title(programme, step)
    index = steps.index(step)
    steps_known = context.pop("steps_known", True)
    response = render(
        request,
        template,
        {
            "desk": desk,
            "base_template": desk.base_template,
            "step_url": desk.url("step"),
            "photo_url": desk.url("draft_photo"),
            "programme": programme,
            "step": step,
            "step_number": index + 1,
            "step_count": len(steps) if steps_known else None,
            "step_percent": round(100 * (index + 1) / len(steps)),
            "previous_step": steps[index - 1] if index > 0 else None,
            "exit_url": desk.url("programme"),
            "step_title": title,
            **context,
        },
    )
    return no_store(response)


def _go_on(desk, request, draft, step, returning):
    steps = steps_of(desk, draft)
    if returning:
        return redirect(desk.url("step"), code=draft.programme.code, step=first_unanswered(desk, request, draft))
    index = steps.index(step) if step in steps else 0
    return redirect(desk.url("step"), code=draft.programme.code, step=steps[min(index + 1, len(steps) - 1)])


def _serialisable(cleaned: dict) -> dict:
    return {key: (list(value) if isinstance(value, (list, tuple)) else value) for key, value in cleaned.items()}


def draft_photo(desk: Desk, request, programme: Programme, photo_id: int):
    """The filer's own preview of a photo in their unfinished application."""
    draft = session_draft(desk, request, programme)
    if draft is None:
        raise Http404
    photo = get_object_or_404(DraftPhoto, pk=photo_id, draft=draft)
    return private_photo_response(photo.file.open("rb"), filename=f"photo-{photo.pk}.jpg")


def submitted_to_public(request, application: Application):
    submitted = request.session.setdefault("submitted", [])
    if application.reference not in submitted:
        submitted.append(application.reference)
        request.session.modified = True
    return redirect("intake:done", reference=application.reference)


PUBLIC_DESK = Desk(
    namespace="intake", session_key="drafts", base_template="base.html", on_submitted=submitted_to_public
)
