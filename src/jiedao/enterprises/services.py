"""The writes of enterprise outreach: enterprises (one by one or from Excel), visits with their
photos and needs, a need's life to its end, the report link, and the overdue round.

Rules kept here, for the pages, the API, the commands and the tests alike:
- the credit code is checked with python-stdnum (``stdnum.cn.uscc``) and is unique;
- a need moves only along ``models.NEED_TRANSITIONS``; ending it unmet needs a reason; every move
  writes a ``NeedEvent``;
- a need met queues an SMS to the enterprise's contact and publishes ``lib.case_endings.case_ended``
  (service ``enterprise_need``) in the transaction that ends it, so the rating link and the SMS
  exist exactly when the need is met;
- an overdue need's owner gets one SMS (``needs_overdue_notify``, a worker round: marked in the
  transaction that queues it, never twice even with two workers).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from jiedao.core.audit import audit_record
from jiedao.core.models import Neighbourhood
from jiedao.lib.case_endings import CaseEnded, case_ended
from jiedao.lib.errors import DomainError, StorageUnavailable, ValidationFailed
from jiedao.lib.forms import clean_person
from jiedao.lib.links import short_token, site_link
from jiedao.lib.validators import validate_mobile
from jiedao.lib.photos import ProcessedPhoto
from jiedao.notices.services import notice_build_to, notice_queue_to, notices_queue_built

from .models import (
    NEED_TRANSITIONS,
    OPEN_NEED,
    REASON_REQUIRED,
    Contact,
    Enterprise,
    Need,
    NeedEvent,
    NeedKind,
    NeedStatus,
    Size,
    Visit,
    VisitPhoto,
)

logger = logging.getLogger(__name__)

AUDIT_ENTERPRISE = "enterprise_create"
AUDIT_VISIT = "enterprise_visit"
AUDIT_NEED = "enterprise_need"
AUDIT_IMPORT = "enterprise_import"
AUDIT_VIEW = "enterprise_view"

SERVICE_KEY = "enterprise_need"
SERVICE_LABEL = "企业诉求办理"
FILE_ROOT = "enterprises"  # not intake's "photos/": its orphan sweep knows only its own documents


class NeedTransitionRefused(DomainError):
    code = "need_transition_refused"


class ReportLinkExpired(DomainError):
    code = "report_link_expired"


# --- enterprises ---------------------------------------------------------------------------------


def uscc_clean(value: str) -> str:
    """The code as stored (18 characters, upper case) or ``ValidationFailed`` saying what is wrong."""
    value = (value or "").strip().upper().replace(" ", "").replace("-", "")
    if not value:
        raise ValidationFailed({"uscc": [_("请填写统一社会信用代码。")]})
    try:
        return stdnum_uscc.validate(value)
    except StdnumError:
        raise ValidationFailed(
            {"uscc": [_("统一社会信用代码“%(value)s”不正确：应为18位，最后一位是校验码，请对照营业执照核对。") % {"value": value}]}
        ) from None


def _enterprise_errors(fields: dict) -> tuple[dict, dict]:
    errors: dict[str, list] = {}
    cleaned = dict(fields)
    cleaned["name"] = (fields.get("name") or "").strip()
    if not cleaned["name"]:
        errors["name"] = [_("请填写企业名称。")]
    try:
        cleaned["uscc"] = uscc_clean(fields.get("uscc", ""))
    except ValidationFailed as failed:
        errors.update(failed.errors)
    else:
        if Enterprise.objects.filter(uscc=cleaned["uscc"]).exists():
            errors["uscc"] = [_("这个统一社会信用代码的企业已经登记过了，不能重复登记。")]
    if cleaned.get("size") and cleaned["size"] not in Size.values:
        errors["size"] = [_("请从列表中选择规模。")]
    return cleaned, errors


def _contact_errors(name: str, phone: str) -> tuple[str, str, dict]:
    if not (name or "").strip() and not (phone or "").strip():
        return "", "", {}
    name, phone, errors = clean_person(name, phone)
    return name, phone, {f"contact_{k}": v for k, v in errors.items()}


def enterprise_create(
    *, actor, fields: dict, contact_name: str = "", contact_phone: str = "", contact_title: str = "", ip: str | None = None
) -> Enterprise:
    """A new enterprise (``fields``: name, uscc, neighbourhood, address, sector, size,
    union_separate) and its first contact. ``ValidationFailed`` for a wrong or duplicate code."""
    cleaned, errors = _enterprise_errors(fields)
    contact_name, contact_phone, contact_errors = _contact_errors(contact_name, contact_phone)
    errors.update(contact_errors)
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            enterprise = Enterprise.objects.create(**cleaned)
            if contact_phone:
                Contact.objects.create(enterprise=enterprise, name=contact_name, phone=contact_phone, title=contact_title.strip())
            audit_record(actor=actor, action=AUDIT_ENTERPRISE, reference=enterprise.uscc, ip=ip)
    except IntegrityError:  # the same code, twice at once
        raise ValidationFailed({"uscc": [_("这个统一社会信用代码的企业已经登记过了，不能重复登记。")]}) from None
    return enterprise


def contact_add(*, enterprise: Enterprise, name: str, phone: str, title: str = "", primary: bool = False) -> Contact:
    name, phone, errors = clean_person(name, phone)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if primary:
            enterprise.contacts.update(primary=False)
        return Contact.objects.create(enterprise=enterprise, name=name, phone=phone, title=(title or "").strip(), primary=primary)


# Excel in: the columns of the template, in order (the household roster's approach: every row is
# checked, one bad row and nothing is imported, each problem named by row and column).
IMPORT_COLUMNS = ("name", "uscc", "neighbourhood", "address", "sector", "size", "union", "contact_name", "contact_phone")


def import_headers() -> list[str]:
    return [
        _("企业名称"), _("统一社会信用代码"), _("所在居民区"), _("地址"), _("行业"),
        _("规模（微型/小型/中型/大型）"), _("单独建会（是/否）"), _("联系人"), _("联系人手机"),
    ]  # fmt: skip


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class ImportRejected(DomainError):
    code = "enterprise_import_rejected"

    def __init__(self, errors: list[RowError]):
        super().__init__(_("名单有 %(count)d 处问题，没有导入任何企业。请改好后重新上传。") % {"count": len(errors)})
        self.errors = errors


MAX_IMPORT_ROWS = 5000
_YES = {"是", "y", "yes", "1", "true", "单独建会"}
_NO = {"否", "n", "no", "0", "false", "", "联合建会", "未建会"}


def _read_rows(fileobj):
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    try:
        for number, values in enumerate(workbook.worksheets[0].iter_rows(min_row=2, values_only=True), start=2):
            cells = ["" if value is None else str(value).strip() for value in values[: len(IMPORT_COLUMNS)]]
            cells += [""] * (len(IMPORT_COLUMNS) - len(cells))
            if any(cells):
                yield number, dict(zip(IMPORT_COLUMNS, cells, strict=True))
    finally:
        workbook.close()


def enterprises_import(*, fileobj, actor, ip: str | None = None) -> list[Enterprise]:
    """All rows or none: ``ImportRejected`` lists every problem by row and column."""
    headers = dict(zip(IMPORT_COLUMNS, import_headers(), strict=True))
    neighbourhoods = {}
    for n in Neighbourhood.objects.all():
        neighbourhoods[n.name] = neighbourhoods[n.code] = neighbourhoods[n.name_en.lower()] = n
    sizes = {str(label): value for value, label in Size.choices} | {value: value for value in Size.values}
    errors: list[RowError] = []
    rows = []
    seen: dict[str, int] = {}
    try:
        for number, cells in _read_rows(fileobj):
            if len(rows) + len(errors) >= MAX_IMPORT_ROWS:
                errors.append(RowError(number, "", _("一次最多导入 %(max)d 家企业。") % {"max": MAX_IMPORT_ROWS}))
                break
            row_errors = []
            fields = {
                "name": cells["name"], "uscc": cells["uscc"], "address": cells["address"], "sector": cells["sector"],
            }  # fmt: skip
            if cells["neighbourhood"]:
                hood = neighbourhoods.get(cells["neighbourhood"]) or neighbourhoods.get(cells["neighbourhood"].lower())
                if hood is None:
                    row_errors.append(RowError(number, headers["neighbourhood"], _("没有叫“%(value)s”的居民区。") % {"value": cells["neighbourhood"]}))
                fields["neighbourhood"] = hood
            size = cells["size"] or "小型"
            if size not in sizes:
                row_errors.append(RowError(number, headers["size"], _("规模请填微型、小型、中型或大型。")))
            fields["size"] = sizes.get(size, Size.SMALL)
            union = cells["union"].lower()
            if union not in _YES | _NO:
                row_errors.append(RowError(number, headers["union"], _("请填“是”或“否”。")))
            fields["union_separate"] = union in _YES
            cleaned, field_errors = _enterprise_errors(fields)
            for field, messages in field_errors.items():
                row_errors.extend(RowError(number, headers.get(field, field), str(m)) for m in messages)
            if "uscc" not in field_errors and cleaned["uscc"] in seen:
                row_errors.append(RowError(number, headers["uscc"], _("和第 %(row)d 行的统一社会信用代码重复。") % {"row": seen[cleaned["uscc"]]}))
            name, phone, contact_errors = _contact_errors(cells["contact_name"], cells["contact_phone"])
            for field, messages in contact_errors.items():
                column = headers["contact_phone"] if field.endswith("phone") else headers["contact_name"]
                row_errors.extend(RowError(number, column, str(m)) for m in messages)
            if row_errors:
                errors.extend(row_errors)
                continue
            seen[cleaned["uscc"]] = number
            rows.append((cleaned, name, phone))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportRejected([RowError(0, "", _("这个文件不是Excel（.xlsx）文件，请用下载的模板填写。"))]) from None
    if not rows and not errors:
        errors.append(RowError(0, "", _("名单是空的。")))
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        created = [Enterprise.objects.create(**cleaned) for cleaned, _name, _phone in rows]
        Contact.objects.bulk_create(
            Contact(enterprise=enterprise, name=name, phone=phone)
            for enterprise, (_c, name, phone) in zip(created, rows, strict=True)
            if phone
        )
        audit_record(actor=actor, action=AUDIT_IMPORT, ip=ip, count=len(created))
    return created


# --- files: visit photos, signatures, signed lists ----------------------------------------------


def file_store(content: bytes, suffix: str) -> str:
    """Save under a random, server-made name outside any public URL (served by a staff view)."""
    today = timezone.localdate()
    name = f"{FILE_ROOT}/{today:%Y/%m}/{uuid.uuid4().hex}.{suffix}"
    try:
        return default_storage.save(name, ContentFile(content))
    except Exception as error:  # noqa: BLE001  (disk full, object store unreachable)
        logger.error("could not store an enterprise file: %s", type(error).__name__)
        raise StorageUnavailable(_("照片暂时无法保存，请稍后再试。已填写的内容都还在。")) from error


def files_delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001
            logger.warning("could not delete %s", name)


# --- visits and needs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedIn:
    kind: str
    detail: str
    quantity: int | None = None
    due_on: dt.date | None = None
    owner_id: int | None = None
    owner_office: str = ""
    owner_phone: str = ""


def _default_due(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date() + dt.timedelta(days=settings.JIEDAO_ENTERPRISE_NEED_DAYS)


def _need_errors(need: NeedIn, prefix: str = "") -> dict:
    errors = {}
    if need.kind not in NeedKind.values:
        errors[f"{prefix}kind"] = [_("请从列表中选择诉求类别。")]
    if not (need.detail or "").strip():
        errors[f"{prefix}detail"] = [_("请写明具体诉求。")]
    if need.quantity is not None and need.quantity < 1:
        errors[f"{prefix}quantity"] = [_("数量至少为1。")]
    if need.owner_phone:
        try:
            validate_mobile(need.owner_phone)
        except DjangoValidationError as error:
            errors[f"{prefix}owner_phone"] = list(error.messages)
    return errors


def _phone_or_blank(phone: str) -> str:
    try:
        return validate_mobile(phone) if (phone or "").strip() else ""
    except DjangoValidationError:
        return ""


SOURCES = {
    "visit": gettext_lazy("走访时提出"),
    "staff": gettext_lazy("工作人员登记"),
    "report": gettext_lazy("企业通过链接反映"),
    "partner": gettext_lazy("区企业服务平台转来"),
}


def _need_create(*, enterprise, need: NeedIn, visit=None, actor=None, source: str, now: dt.datetime, contact=None) -> Need:
    row = Need.objects.create(
        enterprise=enterprise,
        visit=visit,
        kind=need.kind,
        detail=need.detail.strip(),
        quantity=need.quantity,
        owner_id=need.owner_id,
        owner_office=(need.owner_office or "").strip(),
        owner_phone=_phone_or_blank(need.owner_phone),
        due_on=need.due_on or _default_due(now),
        contact=contact or enterprise.primary_contact,
        source=source,
        created_at=now,
    )
    NeedEvent.objects.create(need=row, to_status=NeedStatus.OPEN, actor=actor, note=str(SOURCES.get(source, "")), at=now)
    return row


def visit_record(
    *,
    enterprise: Enterprise,
    actor,
    visited_on: dt.date,
    staff_ids: list[int],
    visitors: str = "",
    notes: str = "",
    needs: list[NeedIn] = (),
    photos: list[ProcessedPhoto] = (),
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Visit:
    """A visit, who went, what was learnt, its photos (already through ``lib.photos``) and the
    needs raised, in one transaction; photos are stored first and deleted again on failure."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    if visited_on > timezone.localtime(now).date():
        errors["visited_on"] = [_("走访日期不能是将来的日子。")]
    if not staff_ids and not visitors.strip():
        errors["staff"] = [_("请选择走访人员。")]
    for index, need in enumerate(needs):
        errors.update(_need_errors(need, prefix=f"needs-{index}-"))
    if errors:
        raise ValidationFailed(errors)
    stored: list[tuple[str, ProcessedPhoto]] = []
    try:
        for photo in photos:
            stored.append((file_store(photo.content, "jpg"), photo))
        with transaction.atomic():
            visit = Visit.objects.create(
                enterprise=enterprise, visited_on=visited_on, visitors=visitors.strip(), notes=notes.strip(),
                created_by=actor, created_at=now,
            )  # fmt: skip
            visit.staff.set(staff_ids)
            VisitPhoto.objects.bulk_create(VisitPhoto(visit=visit, file=name, width=p.width, height=p.height) for name, p in stored)
            for need in needs:
                _need_create(enterprise=enterprise, need=need, visit=visit, actor=actor, source="visit", now=now)
            audit_record(actor=actor, action=AUDIT_VISIT, reference=enterprise.uscc, ip=ip, visit=visit.pk)
    except BaseException:
        files_delete(name for name, _p in stored)
        raise
    return visit


def need_add(*, enterprise: Enterprise, need: NeedIn, actor=None, source: str = "staff", contact=None, now=None) -> Need:
    """One need outside a visit: from the back office, the contact's report link or the partner API."""
    now = now or timezone.now()
    errors = _need_errors(need)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        return _need_create(enterprise=enterprise, need=need, actor=actor, source=source, now=now, contact=contact)


def need_assign(*, need: Need, actor, owner_id: int | None, owner_office: str, owner_phone: str, due_on: dt.date, ip=None) -> Need:
    """Who owns the need and by when; a new due date may make it overdue again (one more SMS)."""
    if not owner_id and not owner_office.strip():
        raise ValidationFailed({"owner": [_("请选择负责人或填写负责部门。")]})
    errors = _need_errors(NeedIn(kind=need.kind, detail=need.detail, owner_phone=owner_phone))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        moved = due_on != need.due_on
        need.owner_id, need.owner_office, need.owner_phone, need.due_on = owner_id, owner_office.strip(), _phone_or_blank(owner_phone), due_on
        if moved:
            need.overdue_notified_at = None
        need.save(update_fields=["owner", "owner_office", "owner_phone", "due_on", "overdue_notified_at"])
        NeedEvent.objects.create(
            need=need, from_status=need.status, to_status=need.status, actor=actor,
            note=_("负责人：%(owner)s，期限 %(due)s") % {"owner": need.owner_label, "due": due_on.isoformat()},
        )  # fmt: skip
        audit_record(actor=actor, action=AUDIT_NEED, reference=need.reference, ip=ip, assigned=True)
    return need


def need_transition(*, need: Need, to: str, actor, reason: str = "", ip: str | None = None, now: dt.datetime | None = None) -> Need:
    """Move a need along ``NEED_TRANSITIONS``; referred / cannot be met need a reason. Met: an SMS
    to the enterprise's contact and ``case_ended``, in this transaction."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if to in REASON_REQUIRED and not reason:
        raise ValidationFailed({"reason": [_("转办或无法解决时，请写明原因（转给哪个部门、为什么）。")]})
    with transaction.atomic():
        need = Need.objects.select_for_update(of=("self",)).select_related("enterprise", "contact").get(pk=need.pk)
        if to not in NEED_TRANSITIONS.get(need.status, ()):
            raise NeedTransitionRefused(
                _("这条诉求现在是“%(status)s”，不能改为“%(to)s”（可能有同事刚刚办理过，请刷新页面）。")
                % {"status": need.get_status_display(), "to": NeedStatus(to).label if to in NeedStatus.values else to}
            )
        before = need.status
        need.status = to
        if to not in OPEN_NEED:
            need.closed_at = now
        if reason:
            need.reason = reason
        need.save(update_fields=["status", "closed_at", "reason"])
        NeedEvent.objects.create(need=need, from_status=before, to_status=to, actor=actor, note=reason, at=now)
        if to == NeedStatus.MET:
            _need_met(need, actor, now)
        audit_record(actor=actor, action=AUDIT_NEED, reference=need.reference, ip=ip, to=to)
    return need


def _need_met(need: Need, actor, now: dt.datetime) -> None:
    enterprise = need.enterprise
    contact = need.contact or enterprise.primary_contact
    if contact is not None:
        notice_queue_to(
            phone=contact.phone,
            event="ent_need_met",
            subject=need.reference,
            neighbourhood_id=enterprise.neighbourhood_id,
            values={"enterprise": enterprise.name, "detail": need.detail, "reference": need.reference},
            now=now,
        )
    case_ended.publish(
        CaseEnded(
            service=SERVICE_KEY,
            service_label=SERVICE_LABEL,
            case_key=f"{SERVICE_KEY}-{need.pk}",
            outcome="已解决",
            phone=contact.phone if contact else "",
            person_name=contact.name if contact else "",
            handler_id=need.owner_id or getattr(actor, "pk", None),
            office=need.owner_office or "街道办事处",
            ended_at=now,
            neighbourhood_id=enterprise.neighbourhood_id,
        )
    )


def needs_overdue_notify(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """Each open need past its due date: its owner gets one SMS (a worker round,
    ``JIEDAO_WORKER_EXTRA_ROUNDS``). Marked in the transaction that queues the SMS: never twice,
    never lost; rows are locked with SKIP LOCKED on PostgreSQL, SQLite's write lock elsewhere."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    queued = 0
    while True:
        with transaction.atomic():
            due = Need.objects.filter(status__in=OPEN_NEED, due_on__lt=today, overdue_notified_at__isnull=True).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            needs = list(due.select_related("enterprise", "owner")[:200])
            if not needs:
                break
            Need.objects.filter(pk__in=[n.pk for n in needs]).update(overdue_notified_at=now)
            notices_queue_built(
                [
                    notice_build_to(
                        phone=need.owner_phone,
                        event="ent_need_overdue",
                        subject=need.reference,
                        neighbourhood_id=need.enterprise.neighbourhood_id,
                        values={
                            "reference": need.reference,
                            "enterprise": need.enterprise.name,
                            "detail": need.detail,
                            "due": f"{need.due_on.month}月{need.due_on.day}日",
                        },
                        now=now,
                    )
                    for need in needs
                    if need.owner_phone
                ]
            )
            queued += len(needs)
    return {"enterprise_needs_overdue": queued} if queued else {}


# --- the contact's report link -------------------------------------------------------------------


def report_link_issue(*, enterprise: Enterprise, actor, send_sms: bool = True, ip=None, now=None) -> str:
    """A new link for the enterprise's contact (the old one stops working), valid
    ``JIEDAO_ENTERPRISE_REPORT_LINK_DAYS`` days; SMS to the primary contact when asked."""
    now = now or timezone.now()
    days = settings.JIEDAO_ENTERPRISE_REPORT_LINK_DAYS
    with transaction.atomic():
        enterprise.report_token = short_token()
        enterprise.report_expires_at = now + dt.timedelta(days=days)
        enterprise.save(update_fields=["report_token", "report_expires_at"])
        contact = enterprise.primary_contact
        if send_sms and contact is not None:
            notice_queue_to(
                phone=contact.phone, event="ent_report_link", subject=enterprise.uscc,
                neighbourhood_id=enterprise.neighbourhood_id,
                values={"enterprise": enterprise.name, "link": site_link(f"e/{enterprise.report_token}/"), "days": str(days)},
                now=now,
            )  # fmt: skip
        audit_record(actor=actor, action=AUDIT_ENTERPRISE, reference=enterprise.uscc, ip=ip, report_link=True)
    return enterprise.report_token


def enterprise_for_report(token: str, now: dt.datetime | None = None) -> Enterprise | None:
    """The enterprise of a report link; ``ReportLinkExpired`` once its days are over, None if unknown."""
    enterprise = Enterprise.objects.filter(report_token=(token or "").strip() or None).first()
    if enterprise is None:
        return None
    if enterprise.report_expires_at is None or enterprise.report_expires_at <= (now or timezone.now()):
        raise ReportLinkExpired(_("这个链接已经过期了。请联系走访您单位的街道工作人员，重新发一个链接。"))
    return enterprise


def need_report(*, token: str, kind: str, detail: str, quantity: int | None, name: str = "", phone: str = "", now=None) -> Need:
    """The contact reports a need from the link: owned by the office that does outreach, due in
    the usual days; a name and phone given become (or find) the enterprise's contact."""
    now = now or timezone.now()
    enterprise = enterprise_for_report(token, now)
    if enterprise is None:
        raise DomainError(_("这个链接不正确。"), code="report_link_unknown")
    contact = None
    errors = _need_errors(NeedIn(kind=kind, detail=detail, quantity=quantity))
    if (name or "").strip() or (phone or "").strip():
        name, phone, person_errors = clean_person(name, phone)
        errors.update(person_errors)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if phone:
            contact = enterprise.contacts.filter(phone=phone).first() or Contact.objects.create(
                enterprise=enterprise, name=name, phone=phone, primary=not enterprise.contacts.exists()
            )
        need = NeedIn(kind=kind, detail=detail, quantity=quantity, owner_office=settings.JIEDAO_ENTERPRISE_OFFICE)
        return _need_create(enterprise=enterprise, need=need, source="report", now=now, contact=contact)
