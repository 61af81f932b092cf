"""Dashboard, Excel exports and the roster page. Thin: figures come from selectors, the roster
import from services, and every export is written to the audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction, Role
from jiedao.core.staff import staff_context, staff_required
from jiedao.intake.models import Application, Category, Channel, Programme
from jiedao.intake.service_types import all_statuses
from jiedao.lib.excel import write_workbook
from jiedao.lib.formatting import join_names, parenthesised
from jiedao.lib.forms import LanguageColonForm
from jiedao.lib.http import no_store
from jiedao.lib.validators import mask_phone

from . import charts
from .excel import roster_template
from .models import RosterVersion
from .queue import queue, queue_filters_from_request
from .selectors import export_id_number, programme_stats
from .services import RosterRejected, roster_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_IMPORTERS = frozenset({Role.REVIEWER, Role.ADMIN})
ROSTER_READERS = frozenset({Role.REVIEWER, Role.ADMIN, Role.LEADER})


class DashboardForm(LanguageColonForm):
    programme = forms.ChoiceField(label=gettext_lazy("项目"), required=False)
    as_of = forms.DateField(label=gettext_lazy("截至日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.code, p.display_name) for p in programmes]


def _dashboard_params(request):
    programmes = list(Programme.objects.all())
    if not programmes:
        raise Http404
    form = DashboardForm(request.GET or None, programmes=programmes)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    programme = next((p for p in programmes if p.code == data.get("programme")), programmes[0])
    as_of = data.get("as_of") or timezone.localdate()
    return form, programme, as_of


@staff_required
def dashboard(request):
    form, programme, as_of = _dashboard_params(request)
    stats = programme_stats(request.user, programme, as_of)
    titles = {
        "neighbourhood": _("按居民区"),
        "block": _("按旧改地块"),
        "category": _("按特殊对象类别（一份申请可有多个类别）"),
        "channel": _("按申请渠道（电话指导、上门协助、窗口受理是居委会的工作；家属代办是家人代为申请）"),
        "status": _("按办理状态"),
    }
    breakdowns = [(titles[table.key], table) for table in stats.breakdowns()]
    return no_store(
        render(
            request,
            "reports/dashboard.html",
            {
                "form": form,
                "stats": stats,
                "headline": programme.kind.headline(stats.total, date_format(stats.as_of, "DATE_FORMAT")),
                "daily_chart": charts.daily_chart(stats.by_day),
                "breakdowns": [(title, table, charts.bar_chart(table.rows)) for title, table in breakdowns],
                "query": request.GET.urlencode(),
                **staff_context(request),
            },
        )
    )


@staff_required
def dashboard_workbook(request):
    _form, programme, as_of = _dashboard_params(request)
    stats = programme_stats(request.user, programme, as_of)
    heading = _("截至 %(date)s") % {"date": as_of.isoformat()}
    count = _("件数")
    sheets = [
        (
            _("总数"),
            [_("项目"), _("截至日期"), _("受理申请（件）"), _("已作决定（件）"), _("受理到决定的天数（中位数）")],
            [[programme.display_name, as_of.isoformat(), stats.total, stats.decided, stats.median_days_to_decision]],
        ),
        (_("每日受理"), [_("日期"), _("当日受理"), _("累计受理")], [[d.day.isoformat(), d.count, d.cumulative] for d in stats.by_day]),
    ]
    titles = {
        "neighbourhood": _("居民区"),
        "block": _("旧改地块"),
        "category": _("特殊对象类别"),
        "channel": _("申请渠道"),
        "status": _("办理状态"),
    }
    for table in stats.breakdowns():
        title = titles[table.key]
        sheets.append((title, [title, count + parenthesised(heading)], [list(row) for row in table.rows]))
    audit_record(actor=request.user, action=AuditAction.EXPORT, ip=client_ip(request), what="statistics", as_of=as_of.isoformat())
    return no_store(
        FileResponse(
            write_workbook(sheets), as_attachment=True, filename=f"jiedao-stats-{programme.code}-{as_of.isoformat()}.xlsx", content_type=XLSX
        )
    )


def _queue_rows(applications, *, full_ids: bool):
    """Rows for the queue export, read in chunks so 100,000 cases never sit in memory at once.
    A role that sees ID numbers masked sees phone numbers masked too: a workbook is copied and
    mailed on far more easily than a screen, so it never holds more than that role may see."""
    category_names = {}
    through = Application.categories.through
    chunk: list[dict] = []

    def flush():
        ids = [row["id"] for row in chunk]
        names: dict[int, list[str]] = {}
        for application_id, category_id in through.objects.filter(application_id__in=ids).values_list(
            "application_id", "category_id"
        ):
            names.setdefault(application_id, []).append(category_names[category_id])
        for row in chunk:
            yield [
                row["reference"],
                row["applicant_name"],
                export_id_number(row["id_number_encrypted"], full=full_ids),
                row["phone"] if full_ids else mask_phone(row["phone"]),
                row["neighbourhood__name"],
                row["block__name"],
                join_names(names.get(row["id"], [])),
                row["channel_label"],
                row["status_label"],
                timezone.localtime(row["submitted_at"]).strftime("%Y-%m-%d %H:%M"),
            ]

    category_names.update({c.id: c.display_name for c in Category.objects.all()})
    # Labels translated once per export, not once per row.
    channels = {value: str(label) for value, label in Channel.choices}
    statuses = {value: str(label) for value, label in all_statuses().items()}
    for row in applications.values(
        "id", "reference", "applicant_name", "id_number_encrypted", "phone", "neighbourhood__name", "block__name", "channel", "status", "submitted_at"
    ).iterator(chunk_size=2000):
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["status_label"] = statuses.get(row["status"], row["status"])
        chunk.append(row)
        if len(chunk) == 2000:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


@staff_required
def queue_export(request):
    _form, filters = queue_filters_from_request(request)
    applications = queue(request.user, filters)
    full_ids = staff.may_see_full_id_numbers(request.user)
    headers = [_("受理编号"), _("申请人"), _("身份证号码"), _("手机号码"), _("居民区"), _("旧改地块"), _("特殊对象类别"), _("申请渠道"), _("状态"), _("受理时间")]
    workbook = write_workbook([(_("申请"), headers, _queue_rows(applications, full_ids=full_ids))])
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        ip=client_ip(request),
        what="queue",
        rows=applications.count(),
        full_id_numbers=full_ids,
        filters={k: str(v) for k, v in filters.__dict__.items() if v and k != "q"},
        search=bool(filters.q),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return no_store(FileResponse(workbook, as_attachment=True, filename=f"jiedao-applications-{stamp}.xlsx", content_type=XLSX))


class RosterUploadForm(LanguageColonForm):
    programme = forms.ChoiceField(label=gettext_lazy("项目"))
    file = forms.FileField(label=gettext_lazy("名单文件（.xlsx）"))

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.code, p.display_name) for p in programmes]


@staff_required
def roster(request):
    role = staff.staff_role(request.user)
    if role not in ROSTER_READERS:
        raise Http404
    programmes = list(Programme.objects.all())
    form = RosterUploadForm(programmes=programmes)
    problems = None
    if request.method == "POST":
        if role not in ROSTER_IMPORTERS:
            raise Http404
        form = RosterUploadForm(request.POST, request.FILES, programmes=programmes)
        if form.is_valid():
            programme = next(p for p in programmes if p.code == form.cleaned_data["programme"])
            upload = form.cleaned_data["file"]
            try:
                version = roster_import(
                    programme=programme, fileobj=upload, file_name=upload.name, actor=request.user, ip=client_ip(request)
                )
            except RosterRejected as rejected:
                problems = rejected
            else:
                messages.success(
                    request,
                    _("名单已导入：第 %(number)d 版，%(rows)d 人。") % {"number": version.number, "rows": version.row_count},
                )
                return redirect("reports:roster")
    versions = RosterVersion.objects.select_related("programme", "imported_by")[:50]
    return no_store(
        render(
            request,
            "reports/roster.html",
            {
                "form": form,
                "problems": problems,
                "versions": versions,
                "may_import": role in ROSTER_IMPORTERS,
                **staff_context(request),
            },
            status=400 if problems else 200,
        )
    )


@staff_required
def roster_template_download(request):
    return no_store(FileResponse(roster_template(), as_attachment=True, filename="jiedao-roster-template.xlsx", content_type=XLSX))

