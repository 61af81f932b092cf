"""Enterprise outreach pages: the back office (enterprises, visits, needs, the supplies ledger,
the leadership's dashboard and Excel) and the contact's report page (no account, no JavaScript
needed). Thin: the rules are ``services``' and ``ledger``'s, the figures ``selectors``'."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction, Neighbourhood, Role
from jiedao.core.staff import in_scope, neighbourhood_ids, staff_context, staff_required
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.excel import write_workbook
from jiedao.lib.http import no_store
from jiedao.lib.photos import PhotoRejected, process_photo
from jiedao.lib.ratelimit import Limit, Rate, rate_limit_hit

from . import ledger, selectors, services
from .forms import (
    AssignForm,
    CorrectionForm,
    EnterpriseForm,
    HandoutForm,
    ImportForm,
    ItemForm,
    NeedFormSet,
    ReceiptForm,
    ReportForm,
    TransitionForm,
    VisitForm,
)
from .models import OPEN_NEED, Enterprise, LedgerEntry, Need, NeedStatus, VisitPhoto

WRITERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})
# A link is one enterprise's: twenty needs an hour from it is plenty, and a leaked link cannot flood
# the needs list.
REPORT_RATES = (Rate(count=20, seconds=3600),)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _add_errors(form, failed: ValidationFailed) -> None:
    for field, errors in failed.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _may_write(request) -> bool:
    return staff.staff_role(request.user) in WRITERS


def _writer_only(request) -> None:
    if not _may_write(request):
        raise Http404


def _enterprises(user):
    return in_scope(Enterprise.objects.all(), user)


def _enterprise_for_staff(user, pk) -> Enterprise:
    enterprise = _enterprises(user).select_related("neighbourhood").filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


def _needs(user):
    return in_scope(Need.objects.all(), user, "enterprise__neighbourhood")


def _neighbourhoods(user):
    scope = neighbourhood_ids(user)
    hoods = Neighbourhood.objects.filter(active=True)
    return hoods if scope is None else hoods.filter(id__in=scope)


def _page(request, template, context, status=200):
    return no_store(render(request, template, {**context, "may_write": _may_write(request), **staff_context(request)}, status=status))


# --- enterprises ---------------------------------------------------------------------------------


@staff_required
def staff_list(request):
    rows = selectors.enterprise_rows(_enterprises(request.user), search=request.GET.get("q", ""), union=request.GET.get("union", ""))
    return _page(request, "enterprises/staff_list.html", {"rows": rows, "q": request.GET.get("q", ""), "union": request.GET.get("union", "")})


@staff_required
def staff_new(request):
    _writer_only(request)
    form = EnterpriseForm(request.POST or None, neighbourhoods=_neighbourhoods(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        contact = {key: data.pop(key) for key in ("contact_name", "contact_phone", "contact_title")}
        if neighbourhood_ids(request.user) is not None and data["neighbourhood"] is None:
            form.add_error("neighbourhood", _("请选择您负责的居民区。"))
        else:
            try:
                enterprise = services.enterprise_create(actor=request.user, fields=data, ip=client_ip(request), **contact)
            except ValidationFailed as failed:
                _add_errors(form, failed)
            else:
                messages.success(request, _("企业已登记。"))
                return redirect("enterprises_staff:detail", pk=enterprise.pk)
    return _page(request, "enterprises/staff_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
def staff_import(request):
    _writer_only(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            created = services.enterprises_import(fileobj=form.cleaned_data["file"], actor=request.user, ip=client_ip(request))
        except services.ImportRejected as rejected:
            messages.error(request, rejected.message)
            errors = rejected.errors
        else:
            messages.success(request, _("已导入 %(count)d 家企业。") % {"count": len(created)})
            return redirect("enterprises_staff:list")
    return _page(request, "enterprises/staff_import.html", {"form": form, "errors": errors}, status=400 if errors else 200)


@staff_required
def staff_import_template(request):
    example = ["上海力德国际贸易有限公司", "91310106MA1FY3XK24", "芷江新村", "中兴路1021弄7号", "商贸", "小型", "是", "王经理", "13800138000"]
    workbook = write_workbook([(_("企业名单"), services.import_headers(), [example])])
    return FileResponse(workbook, as_attachment=True, filename="jiedao-enterprises-template.xlsx", content_type=XLSX)


@staff_required
def staff_detail(request, pk):
    enterprise = _enterprise_for_staff(request.user, pk)
    audit_record(actor=request.user, action=services.AUDIT_VIEW, reference=enterprise.uscc, ip=client_ip(request))
    report_link = None
    if enterprise.report_token and enterprise.report_expires_at and enterprise.report_expires_at > timezone.now():
        report_link = request.build_absolute_uri(f"/enterprises/report/{enterprise.report_token}/")
    return _page(
        request,
        "enterprises/staff_detail.html",
        {
            "enterprise": enterprise,
            "contacts": enterprise.contacts.all(),
            "history": selectors.enterprise_history(enterprise),
            "needs": selectors.needs_rows(enterprise.needs.all()),
            "report_link": report_link,
        },
    )


@staff_required
@require_POST
def staff_report_link(request, pk):
    _writer_only(request)
    enterprise = _enterprise_for_staff(request.user, pk)
    services.report_link_issue(enterprise=enterprise, actor=request.user, send_sms=request.POST.get("sms") == "1", ip=client_ip(request))
    messages.success(request, _("已生成新的反映诉求链接，旧链接不再有效。"))
    return redirect("enterprises_staff:detail", pk=pk)


def _need_inputs(formset) -> list[services.NeedIn]:
    needs = []
    for form in formset:
        data = form.cleaned_data
        if not data.get("detail") and not data.get("kind"):
            continue
        needs.append(
            services.NeedIn(
                kind=data.get("kind") or "", detail=data.get("detail") or "", quantity=data.get("quantity"),
                due_on=data.get("due_on"), owner_id=data["owner"].pk if data.get("owner") else None,
                owner_office=data.get("owner_office") or "", owner_phone=data.get("owner_phone") or "",
            )  # fmt: skip
        )
    return needs


@staff_required
def staff_visit(request, pk):
    _writer_only(request)
    enterprise = _enterprise_for_staff(request.user, pk)
    form = VisitForm(request.POST or None, initial={"visited_on": timezone.localdate(), "staff": [request.user.pk]})
    needs = NeedFormSet(request.POST or None, prefix="needs")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and needs.is_valid():
            photos, photo_errors = [], []
            for upload in request.FILES.getlist("photos")[:10]:
                try:
                    photos.append(process_photo(upload))
                except PhotoRejected as rejected:
                    photo_errors.append(rejected.message)
            if photo_errors:
                form.add_error(None, photo_errors[0])
            else:
                data = form.cleaned_data
                try:
                    services.visit_record(
                        enterprise=enterprise, actor=request.user, visited_on=data["visited_on"],
                        staff_ids=[u.pk for u in data["staff"]], visitors=data["visitors"], notes=data["notes"],
                        needs=_need_inputs(needs), photos=photos, ip=client_ip(request),
                    )  # fmt: skip
                except ValidationFailed as failed:
                    for field, errors in failed.errors.items():
                        if field.startswith("needs-"):
                            index, name = field.split("-")[1:]
                            for error in errors:
                                needs.forms[int(index)].add_error(name, error)
                        else:
                            _add_errors(form, failed)
                            break
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, _("走访已登记。"))
                    return redirect("enterprises_staff:detail", pk=pk)
    return _page(request, "enterprises/staff_visit.html", {"enterprise": enterprise, "form": form, "needs": needs}, status=status)


@staff_required
def staff_visit_photo(request, photo_id):
    photo = get_object_or_404(VisitPhoto.objects.select_related("visit__enterprise"), pk=photo_id)
    _enterprise_for_staff(request.user, photo.visit.enterprise_id)
    audit_record(actor=request.user, action=AuditAction.VIEW_DOCUMENT, reference=photo.visit.enterprise.uscc, ip=client_ip(request), photo=photo.pk)
    return no_store(FileResponse(default_storage.open(photo.file), content_type="image/jpeg"))


# --- needs ---------------------------------------------------------------------------------------


@staff_required
def staff_needs(request):
    rows = selectors.needs_rows(
        _needs(request.user), status=request.GET.get("status", "unfinished"), kind=request.GET.get("kind", ""),
        overdue=request.GET.get("overdue") == "1",
    )  # fmt: skip
    return _page(
        request,
        "enterprises/staff_needs.html",
        {"rows": rows, "status": request.GET.get("status", "unfinished"), "kind": request.GET.get("kind", ""),
         "overdue": request.GET.get("overdue") == "1", "statuses": NeedStatus.choices,
         "kinds": Need._meta.get_field("kind").choices},
    )  # fmt: skip


@staff_required
def staff_need(request, pk):
    need = _needs(request.user).select_related("enterprise", "owner", "contact").filter(pk=pk).first()
    if need is None:
        raise Http404
    transition = TransitionForm(request.POST if request.POST.get("form") == "transition" else None)
    assign = AssignForm(
        request.POST if request.POST.get("form") == "assign" else None,
        initial={"owner": need.owner_id, "owner_office": need.owner_office, "owner_phone": need.owner_phone, "due_on": need.due_on},
    )
    status = 200
    if request.method == "POST":
        _writer_only(request)
        status = 400
        try:
            if request.POST.get("form") == "transition" and transition.is_valid():
                services.need_transition(need=need, to=transition.cleaned_data["to"], reason=transition.cleaned_data["reason"],
                                         actor=request.user, ip=client_ip(request))  # fmt: skip
                messages.success(request, _("诉求状态已更新。"))
                return redirect("enterprises_staff:need", pk=pk)
            if request.POST.get("form") == "assign" and assign.is_valid():
                data = assign.cleaned_data
                services.need_assign(need=need, actor=request.user, owner_id=data["owner"].pk if data["owner"] else None,
                                     owner_office=data["owner_office"], owner_phone=data["owner_phone"], due_on=data["due_on"],
                                     ip=client_ip(request))  # fmt: skip
                messages.success(request, _("负责人和期限已更新。"))
                return redirect("enterprises_staff:need", pk=pk)
        except ValidationFailed as failed:
            _add_errors(transition if request.POST.get("form") == "transition" else assign, failed)
        except DomainError as error:
            transition.add_error(None, error.message)
    moves = [(to, NeedStatus(to).label) for to in services.NEED_TRANSITIONS.get(need.status, ())]
    return _page(
        request,
        "enterprises/staff_need.html",
        {"need": need, "overdue": need.is_overdue(), "events": need.events.select_related("actor"), "transition": transition,
         "assign": assign, "moves": moves, "handouts": need.handouts.select_related("item")},
        status=status,
    )  # fmt: skip


# --- supplies ------------------------------------------------------------------------------------


@staff_required
def staff_supplies(request):
    item_form = ItemForm(request.POST if request.POST.get("form") == "item" else None, prefix="item")
    receipt = ReceiptForm(request.POST if request.POST.get("form") == "receipt" else None, prefix="receipt")
    status = 200
    if request.method == "POST":
        _writer_only(request)
        status = 400
        try:
            if request.POST.get("form") == "item" and item_form.is_valid():
                ledger.item_create(**item_form.cleaned_data)
                messages.success(request, _("物资已添加。"))
                return redirect("enterprises_staff:supplies")
            if request.POST.get("form") == "receipt" and receipt.is_valid():
                data = receipt.cleaned_data
                ledger.receipt_record(item=data["item"], quantity=data["quantity"], source=data["source"], note=data["note"], actor=request.user)
                messages.success(request, _("已入库。"))
                return redirect("enterprises_staff:supplies")
        except ValidationFailed as failed:
            _add_errors(item_form if request.POST.get("form") == "item" else receipt, failed)
    return _page(
        request,
        "enterprises/staff_supplies.html",
        {"items": selectors.balances(), "entries": selectors.ledger_rows(limit=100), "item_form": item_form, "receipt": receipt},
        status=status,
    )


@staff_required
def staff_handout(request):
    _writer_only(request)
    enterprises = _enterprises(request.user).order_by("name")
    needs = _needs(request.user).filter(status__in=OPEN_NEED).select_related("enterprise")
    initial = {"enterprise": request.GET.get("enterprise"), "need": request.GET.get("need")}
    form = HandoutForm(request.POST or None, enterprises=enterprises, needs=needs, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            signed_list = None
            upload = request.FILES.get("signed_list")
            try:
                if upload:
                    signed_list = process_photo(upload)
                entry = ledger.handout_record(
                    item=data["item"], quantity=data["quantity"], enterprise=data["enterprise"], need=data["need"],
                    received_by=data["received_by"], note=data["note"], actor=request.user,
                    signature_png=ledger.signature_from_data_url(data["signature"]), signed_list=signed_list,
                )  # fmt: skip
            except PhotoRejected as rejected:
                form.add_error(None, rejected.message)
            except ValidationFailed as failed:
                _add_errors(form, failed)
            except DomainError as error:  # OutOfStock: 库存不足
                form.add_error("quantity", error.message)
                status = 409
            else:
                messages.success(request, _("已发放，台账编号 %(ref)s。") % {"ref": entry.reference})
                return redirect("enterprises_staff:supplies")
    return _page(request, "enterprises/staff_handout.html", {"form": form, "items": selectors.balances()}, status=status)


def _entry_for_staff(user, pk) -> LedgerEntry:
    entry = get_object_or_404(LedgerEntry.objects.select_related("item", "enterprise", "need", "actor", "corrects"), pk=pk)
    if entry.enterprise_id and not _enterprises(user).filter(pk=entry.enterprise_id).exists():
        raise Http404
    return entry


@staff_required
def staff_entry(request, pk):
    entry = _entry_for_staff(request.user, pk)
    form = CorrectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _writer_only(request)
        status = 400
        if form.is_valid():
            try:
                correction = ledger.correction_record(entry=entry, quantity=form.cleaned_data["quantity"],
                                                      reason=form.cleaned_data["note"], actor=request.user)  # fmt: skip
            except ValidationFailed as failed:
                _add_errors(form, failed)
            except DomainError as error:
                form.add_error("quantity", error.message)
                status = 409
            else:
                messages.success(request, _("已记下更正 %(ref)s，原记录保留。") % {"ref": correction.reference})
                return redirect("enterprises_staff:entry", pk=pk)
    return _page(request, "enterprises/staff_entry.html", {"entry": entry, "form": form, "corrections": entry.corrections.all()}, status=status)


@staff_required
def staff_entry_file(request, pk, which):
    entry = _entry_for_staff(request.user, pk)
    name = {"signature": entry.signature, "signed-list": entry.signed_list}.get(which)
    if not name:
        raise Http404
    audit_record(actor=request.user, action=AuditAction.VIEW_DOCUMENT, reference=entry.reference, ip=client_ip(request), file=which)
    return no_store(FileResponse(default_storage.open(name), content_type="image/png" if which == "signature" else "image/jpeg"))


# --- the leadership ------------------------------------------------------------------------------


@staff_required
def staff_dashboard(request):
    return _page(request, "enterprises/staff_dashboard.html", {"board": selectors.dashboard()})


@staff_required
def staff_dashboard_export(request):
    workbook = selectors.dashboard_workbook(selectors.dashboard())
    audit_record(actor=request.user, action=AuditAction.EXPORT, reference="enterprises", ip=client_ip(request), what="dashboard")
    return no_store(FileResponse(workbook, as_attachment=True, filename="jiedao-enterprises.xlsx", content_type=XLSX))


# --- the contact's report page -------------------------------------------------------------------


def report_short(request, token):
    return redirect("enterprises:report", token=token)


def report_page(request, token):
    try:
        enterprise = services.enterprise_for_report(token)
    except services.ReportLinkExpired as expired:
        return no_store(render(request, "enterprises/report_expired.html", {"message": expired.message}, status=410))
    if enterprise is None:
        raise Http404
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        decision = rate_limit_hit(Limit(f"enterprise-report:{enterprise.pk}", REPORT_RATES)) if form.is_valid() else None
        if decision is not None and not decision.allowed:
            form.add_error(None, _("这个链接提交得太频繁了，请 %(minutes)d 分钟后再试。填写的内容还在。") % {"minutes": decision.retry_minutes})
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                need = services.need_report(token=token, kind=data["kind"], detail=data["detail"], quantity=data["quantity"],
                                            name=data["name"], phone=data["phone"])  # fmt: skip
            except ValidationFailed as failed:
                _add_errors(form, failed)
            except services.ReportLinkExpired as expired:
                return no_store(render(request, "enterprises/report_expired.html", {"message": expired.message}, status=410))
            else:
                return no_store(render(request, "enterprises/report_done.html", {"enterprise": enterprise, "need": need}))
    return no_store(render(request, "enterprises/report.html", {"enterprise": enterprise, "form": form}, status=status))
