"""Public notice pages (current with the countdown, archive, a notice with its objection form,
the printable A4 sheet with its QR code, an objector's own page) and the staff pages (write,
attach, publish, see and answer objections). Thin: the rules are ``services``', the reads
``selectors``'."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import Neighbourhood, Role
from jiedao.core.staff import neighbourhood_ids, staff_context, staff_required
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.http import no_store
from jiedao.lib.page_cache import cached_page
from jiedao.lib.links import qr_svg
from jiedao.lib.ratelimit import client_address

from . import selectors, services
from .forms import AnswerForm, AttachmentForm, BulletinForm, ObjectionForm
from .models import Attachment, BulletinKind, BulletinStatus, Objection

WRITERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})


def _add_errors(form, failed: ValidationFailed) -> None:
    for field, errors in failed.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- public --------------------------------------------------------------------------------------


def public_list(request):
    def page():
        today = timezone.localdate()
        current = selectors.current_bulletins(today)
        for bulletin in current:
            bulletin.left = bulletin.days_left(today)
        return render(
            request,
            "bulletins/list.html",
            {
                "current": current,
                "upcoming": selectors.upcoming_bulletins(today),
                "archived": selectors.archived_bulletins(today),
            },
        )

    return cached_page(request, "notices", page)


def _detail_context(bulletin, today):
    return {
        "bulletin": bulletin,
        "open": bulletin.period_open(today),
        "ended": today > bulletin.ends_on,
        "not_yet": today < bulletin.starts_on,
        "left": bulletin.days_left(today),
        "outcomes": selectors.objection_outcomes(bulletin) if today > bulletin.ends_on else None,
    }


def public_detail(request, pk):
    today = timezone.localdate()
    bulletin = selectors.public_bulletin(pk, today)
    if bulletin is None:
        raise Http404
    form = ObjectionForm(request.POST or None, request.FILES or None, bulletin=bulletin)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                objection = services.objection_create(
                    bulletin=bulletin,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    what=form.cleaned_data["what"],
                    why=form.cleaned_data["why"],
                    person_key=form.person_key(),
                    photo=form.cleaned_data.get("photo"),
                    address=client_address(request),
                )
            except services.ObjectionClosed as closed:
                form.add_error(None, closed.message)
                status = 409
            except services.ObjectionRateLimited as limited:
                form.add_error(None, limited.message)
                status = 429
            except ValidationFailed as failed:
                _add_errors(form, failed)
            except DomainError as refused:  # a photo that is not one
                form.add_error("photo", refused.message)
            else:
                return redirect("bulletins:objection", token=objection.token)
    context = {**_detail_context(bulletin, today), "form": form}
    if request.method == "POST":
        context["open"] = True  # what was typed stays on the page, with the message on top
    return render(request, "bulletins/detail.html", context, status=status)


def print_sheet(request, pk):
    """The notice on one A4 sheet, to post in the compound, with the QR code of its page."""
    bulletin = selectors.public_bulletin(pk)
    if bulletin is None:
        raise Http404
    url = request.build_absolute_uri(reverse("bulletins:detail", args=[bulletin.pk]))
    return render(request, "bulletins/print.html", {"bulletin": bulletin, "url": url, "qr": mark_safe(qr_svg(url))})


def attachment_file(request, pk, attachment_id):
    attachment = get_object_or_404(Attachment, pk=attachment_id, bulletin_id=pk)
    if attachment.bulletin.status != BulletinStatus.PUBLISHED and staff.staff_role(request.user) is None:
        raise Http404
    response = FileResponse(default_storage.open(attachment.file.name), content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline" if attachment.is_photo else f'attachment; filename="notice-{pk}-{attachment.pk}.pdf"'
    return response


def objection_page(request, token):
    """The objector's own page, from the link in their SMS: received, due date, the written answer."""
    objection = get_object_or_404(Objection.objects.select_related("bulletin"), token=token)
    return no_store(render(request, "bulletins/objection.html", {"objection": objection, "bulletin": objection.bulletin}))


# --- staff ---------------------------------------------------------------------------------------


def _may_write(user) -> bool:
    return staff.staff_role(user) in WRITERS


def _neighbourhoods(user):
    scope = neighbourhood_ids(user)
    neighbourhoods = Neighbourhood.objects.filter(active=True)
    return neighbourhoods if scope is None else neighbourhoods.filter(id__in=scope)


def _bulletin(user, pk):
    bulletin = selectors.bulletin_for_staff(user, pk)
    if bulletin is None:
        raise Http404
    return bulletin


@staff_required
def staff_list(request):
    return no_store(
        render(
            request,
            "bulletins/staff_list.html",
            {
                "bulletins": selectors.bulletins_for_staff(request.user).order_by("-created_at")[:200],
                "objections": selectors.open_objections(request.user),
                "may_write": _may_write(request.user),
                "today": timezone.localdate(),
                **staff_context(request),
            },
        )
    )


@staff_required
def staff_edit(request, pk=None):
    if not _may_write(request.user):
        raise Http404
    bulletin = _bulletin(request.user, pk) if pk else None
    neighbourhoods = _neighbourhoods(request.user)
    initial = None
    if bulletin is not None:
        initial = {name: getattr(bulletin, name) for name in services.BULLETIN_FIELDS}
        initial.update(neighbourhoods=list(bulletin.neighbourhoods.all()), blocks=list(bulletin.blocks.all()))
    form = BulletinForm(request.POST or None, initial=initial, neighbourhoods=neighbourhoods)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        chosen, blocks = data.pop("neighbourhoods"), data.pop("blocks")
        if neighbourhood_ids(request.user) is not None and not chosen:
            form.add_error("neighbourhoods", _("请选择涉及的居民区。"))
        else:
            try:
                bulletin = services.bulletin_save(
                    actor=request.user, fields=data, neighbourhoods=chosen, blocks=blocks, bulletin=bulletin, ip=client_ip(request)
                )
            except ValidationFailed as failed:
                _add_errors(form, failed)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("公示已保存为草稿。确认内容和附件后再发布。"))
                return redirect("bulletins_staff:detail", pk=bulletin.pk)
    return no_store(render(request, "bulletins/staff_edit.html", {"form": form, "bulletin": bulletin, **staff_context(request)}))


@staff_required
def staff_detail(request, pk):
    bulletin = _bulletin(request.user, pk)
    today = timezone.localdate()
    preview = None
    if bulletin.kind == BulletinKind.LIST and bulletin.status == BulletinStatus.DRAFT:
        columns, rows, problems = services.list_preview(bulletin)
        preview = {"columns": columns, "rows": rows, "problems": problems}
    objections = list(bulletin.objections.all())
    for objection in objections:
        objection.is_overdue = objection.overdue(today)
    return no_store(
        render(
            request,
            "bulletins/staff_detail.html",
            {
                "bulletin": bulletin,
                "preview": preview,
                "objections": objections,
                "outcomes": selectors.objection_outcomes(bulletin),
                "attachment_form": AttachmentForm(),
                "may_write": _may_write(request.user),
                "left": bulletin.days_left(today),
                **staff_context(request),
            },
        )
    )


@staff_required
@require_POST
def staff_attach(request, pk):
    bulletin = _bulletin(request.user, pk)
    if not _may_write(request.user):
        raise Http404
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
    else:
        try:
            services.attachment_add(bulletin=bulletin, upload=form.cleaned_data["file"], actor=request.user)
            messages.success(request, _("附件已添加。"))
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("bulletins_staff:detail", pk=pk)


@staff_required
@require_POST
def staff_detach(request, pk, attachment_id):
    bulletin = _bulletin(request.user, pk)
    if not _may_write(request.user):
        raise Http404
    try:
        services.attachment_remove(attachment=get_object_or_404(bulletin.attachments, pk=attachment_id))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("bulletins_staff:detail", pk=pk)


@staff_required
@require_POST
def staff_publish(request, pk):
    bulletin = _bulletin(request.user, pk)
    if not _may_write(request.user):
        raise Http404
    try:
        services.bulletin_publish(bulletin=bulletin, actor=request.user, ip=client_ip(request))
    except ValidationFailed as failed:
        for errors in failed.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("公示已发布。"))
    return redirect("bulletins_staff:detail", pk=pk)


@staff_required
@require_POST
def staff_withdraw(request, pk):
    bulletin = _bulletin(request.user, pk)
    if not _may_write(request.user):
        raise Http404
    services.bulletin_withdraw(bulletin=bulletin, actor=request.user, ip=client_ip(request))
    messages.success(request, _("公示已撤下，公众页面不再显示。"))
    return redirect("bulletins_staff:detail", pk=pk)


@staff_required
def staff_objection(request, pk, objection_id):
    bulletin = _bulletin(request.user, pk)
    objection = get_object_or_404(bulletin.objections, pk=objection_id)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if not _may_write(request.user):
            raise Http404
        if form.is_valid():
            try:
                services.objection_answer(
                    objection=objection, actor=request.user, outcome=form.cleaned_data["outcome"],
                    answer=form.cleaned_data["answer"], ip=client_ip(request),
                )  # fmt: skip
            except ValidationFailed as failed:
                _add_errors(form, failed)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("已答复，异议人会收到短信。"))
                return redirect("bulletins_staff:objection", pk=pk, objection_id=objection.pk)
    else:
        audit_record(actor=request.user, action=services.AUDIT_VIEW_OBJECTION, reference=objection.reference, ip=client_ip(request))
    return no_store(
        render(
            request,
            "bulletins/staff_objection.html",
            {"bulletin": bulletin, "objection": objection, "form": form, "may_write": _may_write(request.user),
             "overdue": objection.overdue(timezone.localdate()), **staff_context(request)},
        )  # fmt: skip
    )


@staff_required
def staff_objection_photo(request, pk, objection_id):
    bulletin = _bulletin(request.user, pk)
    objection = get_object_or_404(bulletin.objections, pk=objection_id)
    if not objection.photo:
        raise Http404
    audit_record(actor=request.user, action=services.AUDIT_VIEW_OBJECTION, reference=objection.reference, ip=client_ip(request), what="photo")
    response = FileResponse(default_storage.open(objection.photo.name), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)
