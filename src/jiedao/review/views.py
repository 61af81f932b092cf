"""The back office: the queue, the case page and its actions, staff filing, the audit trail.

Every view starts from the scoping helpers in ``access.py`` (a case outside the user's
neighbourhoods is a 404), writes through services, and records what staff saw in the audit trail.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction, AuditEntry, Role
from jiedao.core.staff import staff_context, staff_required
from jiedao.intake import access, wizard
from jiedao.intake.forms import StaffProxyForm, StaffWhoForm, answer_rows
from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Document, Programme, Via
from jiedao.intake.transitions import (
    Payment,
    application_add_documents,
    application_transition,
    outstanding_pages,
    supplement_photos,
)
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.formatting import join_names, parenthesised
from jiedao.lib.http import no_store
from jiedao.notices.selectors import notices_for_case
from jiedao.reports.models import RosterVersion
from jiedao.reports.queue import (
    SEARCHES_SESSION_KEY,
    queue,
    queue_count,
    queue_filters_from_request,
    search_kind,
    search_seal,
)
from jiedao.reports.selectors import roster_match_of

from .forms import AuditFilterForm, TransitionForm

PAGE_SIZE = 30


@staff_required
def queue_view(request):
    if request.method == "POST":
        return _remember_search(request)
    form, filters = queue_filters_from_request(request)
    applications = queue(request.user, filters).prefetch_related("categories")
    paginator = Paginator(applications, PAGE_SIZE)
    paginator.count = queue_count(request.user, filters)  # from the running tallies where it can
    page = paginator.get_page(request.GET.get("page"))
    if filters.q:
        audit_record(
            actor=request.user,
            action=AuditAction.SEARCH,
            ip=client_ip(request),
            kind=search_kind(filters.q),
            results=page.paginator.count,
            references=[a.reference for a in page.object_list],
        )
    query = request.GET.copy()
    query.pop("page", None)
    return no_store(
        render(
            request,
            "review/queue.html",
            {
                "form": form,
                "page": page,
                "query": query.urlencode(),
                "has_roster": RosterVersion.objects.filter(is_current=True).exists(),
                **staff_context(request),
            },
        )
    )


def _remember_search(request):
    """The search text may be an ID number, a phone or a name: it is kept in the session and the
    address carries only a random token, so it never lands in a URL, a log or a Referer."""
    params = request.POST.copy()
    for name in ("csrfmiddlewaretoken", "q", "page", "s"):
        params.pop(name, None)
    text = request.POST.get("q", "").strip()[:50]
    if text:
        token = secrets.token_urlsafe(6)
        searches = request.session.get(SEARCHES_SESSION_KEY, {})
        searches = dict(list(searches.items())[-19:])
        searches[token] = search_seal(text)  # sessions are database rows: no plain ID in them
        request.session[SEARCHES_SESSION_KEY] = searches
        params["s"] = token
    return redirect(f"{reverse('review:queue')}?{params.urlencode()}")


def _case_context(request, application, forms=None):
    lifecycle = application.lifecycle
    actions = [
        a
        for a in lifecycle.allowed_actions(application.status)
        if a != Action.RESUBMIT and access.may_take(request.user, a, application)
    ]
    document_types = application.programme.document_types.all()
    forms = forms or {}
    action_forms = [
        (
            action,
            lifecycle.action_label(action),
            forms.get(action)
            or TransitionForm(
                action=action,
                document_types=document_types,
                initial={"expected_status": application.status, "paid_on": timezone.localdate(), "method": "bank_transfer"},
            ),
        )
        for action in actions
    ]
    documents = list(application.documents.select_related("document_type"))
    return {
        "application": application,
        "kind": application.programme.kind,
        "reviewer_label": application.programme.kind.role_label(Role.REVIEWER, Role.REVIEWER.label),
        "id_number": application.id_number if staff.may_see_full_id_numbers(request.user) else application.masked_id_number,
        "categories": application.categories.all(),
        "other_answers": answer_rows(application.programme, application.extra_answers),
        "documents": documents,
        "events": application.events.select_related("actor"),
        "action_forms": action_forms,
        "outstanding": outstanding_pages(application),
        "may_upload": access.may_take(request.user, Action.RESUBMIT, application),
        "notices": notices_for_case(application),
        "may_resend_notices": staff.may_resend_notices(request.user),
        "roster_match": roster_match_of(application),
        **staff_context(request),
    }


@staff_required
def case_view(request, reference):
    application = access.case_for_staff(request.user, reference)
    audit_record(actor=request.user, action=AuditAction.VIEW_CASE, reference=reference, ip=client_ip(request))
    return no_store(render(request, "review/case.html", _case_context(request, application)))


@staff_required
@require_POST
def case_action(request, reference, action):
    application = access.case_for_staff(request.user, reference)
    if (
        action not in application.lifecycle.transitions
        or not access.may_take(request.user, action, application)
        or action == Action.RESUBMIT
    ):
        raise Http404
    form = TransitionForm(request.POST, action=action, document_types=application.programme.document_types.all())
    if form.is_valid():
        data = form.cleaned_data
        payment = None
        if action == Action.RECORD_PAYMENT:
            payment = Payment(amount=data.get("amount"), paid_on=data.get("paid_on"), method=data.get("method") or "")
        try:
            application_transition(
                application=application,
                action=action,
                actor=request.user,
                note=data.get("note", ""),
                missing_document_codes=data.get("missing_documents", []),
                payment=payment,
                expected_status=data["expected_status"],
                ip=client_ip(request),
            )
        except ValidationFailed as failed:
            for field, errors in failed.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("review:case", reference=reference)
        else:
            messages.success(request, _("已完成：%(action)s。") % {"action": application.lifecycle.action_label(action)})
            return redirect("review:case", reference=reference)
    context = _case_context(request, application, forms={action: form})
    context["open_action"] = action
    return no_store(render(request, "review/case.html", context, status=400))


@staff_required
@require_POST
def case_add_documents(request, reference):
    """A worker sends in the requested documents for a resident (photos taken at their home)."""
    application = access.case_for_staff(request.user, reference)
    if not access.may_take(request.user, Action.RESUBMIT, application):
        raise Http404
    uploads, refused = supplement_photos(application, request.FILES)
    problems = [f"{gap.document_type.display_name}: {wizard.photo_rejection_message(rejected)}" for gap, rejected in refused]
    for problem in problems:
        messages.error(request, problem)
    if uploads:
        try:
            application_add_documents(
                application=application, uploads=uploads, actor=request.user, via=Via.BACK_OFFICE, ip=client_ip(request)
            )
            messages.success(request, _("补充材料已上传。"))
        except DomainError as error:
            messages.error(request, error.message)
    elif not problems:
        messages.error(request, _("请先拍照或选择照片，再点上传。"))
    return redirect("review:case", reference=reference)


@staff_required
def document_view(request, document_id):
    document = access.document_for_staff(request.user, document_id)
    return access.document_photo_response(document, actor=request.user, ip=client_ip(request))


# Filing for a resident: the public wizard at the staff desk.


def _filed_by_staff(request, application):
    messages.success(
        request, _("申请已提交，受理编号 %(reference)s。请把编号告诉申请人。") % {"reference": application.reference}
    )
    return redirect("review:case", reference=application.reference)


STAFF_DESK = wizard.Desk(
    namespace="review",
    session_key="staff_drafts",
    base_template="review/base.html",
    first_steps=("channel",),
    neighbourhood_scope=lambda request: staff.neighbourhood_ids(request.user),
    on_submitted=_filed_by_staff,
    form_overrides={"who": StaffWhoForm, "proxy": StaffProxyForm},
    # The reference of a person's open case, only if it is within this staff member's scope.
    may_see_case=lambda request, application: access.applications_for_staff(request.user)
    .filter(pk=application.pk)
    .exists(),
    limit_duplicate_checks=False,
)


def _filing_programme(request, code) -> Programme:
    if not staff.may_file(request.user):
        raise Http404
    return get_object_or_404(Programme, code=code)


@staff_required
def file_start_page(request, code=None):
    if not staff.may_file(request.user):
        raise Http404
    programmes = [p for p in Programme.objects.all() if p.is_open()]
    return render(request, "review/file_start.html", {"programmes": programmes, **staff_context(request)})


@staff_required
@require_POST
def file_start(request, code):
    programme = _filing_programme(request, code)
    return wizard.start(STAFF_DESK, request, programme) or redirect("review:programme", code=code)


@staff_required
def file_step(request, code, step):
    programme = _filing_programme(request, code)
    return wizard.step(
        STAFF_DESK, request, programme, step, on_missing_draft=lambda: redirect("review:programme", code=code)
    )


@staff_required
def file_draft_photo(request, code, photo_id):
    return wizard.draft_photo(STAFF_DESK, request, _filing_programme(request, code), photo_id)


_AUDIT_DETAIL_LABELS = {
    "document": gettext_lazy("材料"), "transition": gettext_lazy("操作"), "what": gettext_lazy("导出内容"), "rows": gettext_lazy("行数"),
    "full_id_numbers": gettext_lazy("完整身份证号码"), "filters": gettext_lazy("筛选条件"), "search": gettext_lazy("含搜索"),
    "as_of": gettext_lazy("截至日期"), "channel": gettext_lazy("渠道"), "via": gettext_lazy("来源"), "version": gettext_lazy("名单版本"),
    "username": gettext_lazy("用户名"), "sessions_ended": gettext_lazy("结束的会话"), "pages": gettext_lazy("页数"),
    "photos": gettext_lazy("照片"), "filename": gettext_lazy("文件名"), "references": gettext_lazy("受理编号"), "kind": gettext_lazy("类型"),
    "note": gettext_lazy("说明"), "notice": gettext_lazy("短信"), "new_notice": gettext_lazy("重发的短信"), "cases": gettext_lazy("申请数"),
    "results": gettext_lazy("结果数"), "content_type": gettext_lazy("文件类型"), "api_token": gettext_lazy("接口令牌"),
}  # fmt: skip
_EXPORT_NAMES = {"queue": gettext_lazy("申请列表"), "statistics": gettext_lazy("统计表")}


def _readable_value(key, value, documents):
    if key == "document" and value in documents:
        document = documents[value]
        page = document.page_label
        return f"{document.document_type.display_name}{parenthesised(page) if page else ''}"
    if key == "transition" and value in Action.values:
        return Action(value).label
    if key in ("channel", "via") and value in Via.values:
        return Via(value).label
    if key == "what" and value in _EXPORT_NAMES:
        return _EXPORT_NAMES[value]
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (list, tuple)):
        return join_names(str(item) for item in value)
    if isinstance(value, dict):
        return join_names(f"{k}={v}" for k, v in value.items())
    return str(value)


def _attach_readable_details(entries) -> None:
    """Each entry's details as labelled text (材料：身份证正面（第1页）), not the raw JSON; the
    documents named are read in one query for the whole page."""
    ids = {e.detail.get("document") for e in entries if isinstance(e.detail, dict)} - {None}
    documents = {d.pk: d for d in Document.objects.filter(pk__in=ids).select_related("document_type")} if ids else {}
    for entry in entries:
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        entry.readable_details = [
            (_AUDIT_DETAIL_LABELS.get(key, key), _readable_value(key, value, documents)) for key, value in detail.items()
        ]


@staff_required
def audit_view(request):
    if not staff.may_read_audit(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("actor")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor__username=data["actor"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["reference"]:
            entries = entries.filter(reference=data["reference"].strip().upper())
        if data["day_from"]:
            entries = entries.filter(at__date__gte=data["day_from"])
        if data["day_to"]:
            entries = entries.filter(at__date__lte=data["day_to"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    _attach_readable_details(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return no_store(
        render(request, "review/audit.html", {"form": form, "page": page, "query": query.urlencode(), **staff_context(request)})
    )
