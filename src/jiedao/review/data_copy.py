"""A resident's copy of their data (PIPL art. 45): everything held about one application, as a ZIP.

Staff of the renovation office (reviewers, administrators: the roles that see full ID numbers)
download it on the resident's request and hand it over. The ZIP holds ``data.json`` (every field,
the history, the documents and the SMS messages), ``摘要.txt`` (the same, readable, in Chinese)
and the photos as stored. Each download is written to the audit trail.
"""

from __future__ import annotations

import io
import json
import zipfile

from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import audit_record, client_ip
from jiedao.core.models import AuditAction, Role
from jiedao.core.staff import staff_required
from jiedao.intake import access
from jiedao.intake.forms import answer_rows
from jiedao.intake.models import Application
from jiedao.lib.http import no_store

# Full ID numbers are in the copy: the same roles as may see them on the case page.
DATA_COPY_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
SUMMARY_NAME = "摘要.txt"


def may_copy_data(user) -> bool:
    return staff.staff_role(user) in DATA_COPY_ROLES


def _when(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _staff_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def application_data(application: Application) -> dict:
    """Everything held about the application, as plain JSON-ready values."""
    documents = list(application.documents.select_related("document_type"))
    return {
        "reference": application.reference,
        "programme": {"code": application.programme.code, "name": application.programme.name},
        "status": {"code": application.status, "label": str(application.status_label)},
        "applicant": {
            "name": application.applicant_name,
            "id_number": application.id_number,
            "phone": application.phone,
        },
        "address": {
            "neighbourhood": application.neighbourhood.name,
            "block": application.block.name if application.block else "",
            "road": application.address_road,
            "lane": application.address_lane,
            "number": application.address_number,
            "room": application.address_room,
            "full": application.address,
        },
        "categories": [c.name for c in application.categories.all()],
        "household_note": application.household_note,
        "other_answers": [
            {"question": question, "answer": answer}
            for question, answer, _step in answer_rows(application.programme, application.extra_answers)
        ],
        "channel": {"code": application.channel, "label": str(application.get_channel_display())},
        "proxy": {
            "name": application.proxy_name,
            "phone": application.proxy_phone,
            "relationship": application.proxy_relationship,
        },
        "filed_by": _staff_name(application.filed_by),
        "consent": {
            "version": application.consent_version,
            "at": _when(application.consent_at),
            "sensitive_at": _when(application.sensitive_consent_at),
        },
        "submitted_at": _when(application.submitted_at),
        "decided_at": _when(application.decided_at),
        "payment": {
            "amount": str(application.paid_amount) if application.paid_amount is not None else None,
            "paid_on": application.paid_on.isoformat() if application.paid_on else None,
            "method": application.payment_method,
        },
        "missing_documents": [d.name for d in application.missing_documents.all()],
        "history": [
            {
                "at": _when(event.at),
                "from": event.from_status,
                "to": event.to_status,
                "to_label": str(event.to_status_label),
                "channel": event.channel,
                "by": _staff_name(event.actor),
                "note": event.note,
            }
            for event in application.events.select_related("actor")
        ],
        "documents": [
            {
                "type": document.document_type.name,
                "page": document.page,
                "file": _photo_name(document),
                "width": document.width,
                "height": document.height,
                "size": document.size,
                "supplement": document.supplement,
                "at": _when(document.created_at),
            }
            for document in documents
        ],
        "sms": [
            {
                "at": _when(notice.created_at),
                "to": notice.phone,
                "recipient": notice.recipient,
                "text": notice.text,
                "status": notice.status,
                "delivered_at": _when(notice.delivered_at),
            }
            for notice in application.notices.all()
        ],
    }


def _photo_name(document) -> str:
    return f"photos/{document.document_type.code}-{document.page}-{document.pk}.jpg"


def _summary(data: dict) -> str:
    """The readable copy, always in Chinese: the resident's language and the office's."""
    with translation.override("zh-hans"):
        applicant, address = data["applicant"], data["address"]
        lines = [
            _("个人信息副本：受理编号 %(reference)s") % {"reference": data["reference"]},
            _("生成时间：%(at)s") % {"at": _when(timezone.now())},
            "",
            _("项目：%(name)s") % {"name": data["programme"]["name"]},
            _("状态：%(status)s") % {"status": data["status"]["label"]},
            _("申请人：%(name)s") % {"name": applicant["name"]},
            _("身份证号码：%(number)s") % {"number": applicant["id_number"]},
            _("手机号码：%(phone)s") % {"phone": applicant["phone"]},
            _("住址：%(neighbourhood)s %(block)s %(address)s")
            % {"neighbourhood": address["neighbourhood"], "block": address["block"], "address": address["full"]},
            _("特殊对象类别：%(categories)s") % {"categories": "、".join(data["categories"])},
            _("申请渠道：%(channel)s") % {"channel": data["channel"]["label"]},
        ]
        if data["household_note"]:
            lines.append(_("家庭情况说明：%(note)s") % {"note": data["household_note"]})
        lines += [_("%(question)s：%(answer)s") % row for row in data["other_answers"]]
        if data["proxy"]["name"]:
            lines.append(_("代办人：%(name)s %(phone)s") % {"name": data["proxy"]["name"], "phone": data["proxy"]["phone"]})
        lines += ["", _("办理经过：")]
        for event in data["history"]:
            lines.append(f"  {event['at'][:16].replace('T', ' ')}  {event['to_label']}  {event['note']}".rstrip())
        lines += ["", _("材料照片（%(count)d 张，见 photos 文件夹）：") % {"count": len(data["documents"])}]
        for document in data["documents"]:
            lines.append(f"  {document['type']} {document['page']}  {document['file']}")
        lines += ["", _("发给您的短信（%(count)d 条）：") % {"count": len(data["sms"])}]
        for sms in data["sms"]:
            lines.append(f"  {sms['at'][:16].replace('T', ' ')}  {sms['to']}  {sms['text']}")
    return "\n".join(lines) + "\n"


def application_data_copy(application: Application) -> bytes:
    """The ZIP handed to the resident."""
    data = application_data(application)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(SUMMARY_NAME, _summary(data))
        for document in application.documents.select_related("document_type"):
            with document.file.open("rb") as handle:
                # JPEGs are compressed already: stored as they are.
                archive.writestr(_photo_name(document), handle.read(), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


@staff_required
@require_POST
def data_copy_view(request, reference):
    application = access.case_for_staff(request.user, reference)
    if not may_copy_data(request.user):
        raise Http404
    content = application_data_copy(application)
    audit_record(
        actor=request.user,
        action=AuditAction.DATA_COPY,
        reference=application.reference,
        ip=client_ip(request),
        photos=application.documents.count(),
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{application.reference}-data.zip"'
    return no_store(response)
