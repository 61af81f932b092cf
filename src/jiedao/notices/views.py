"""HTTP side of the SMS notices: the providers' delivery reports, and the staff pages.

- ``POST /notices/receipts/<provider>/`` takes a provider's delivery report. It is authenticated
  with a shared secret from the environment (``JIEDAO_SMS_RECEIPT_TOKEN``), sent as
  ``Authorization: Bearer …`` or, for gateways that can only call a URL (Aliyun's report push),
  as ``?token=…``; compared in constant time. No token configured → everything is refused.
  Formats: Aliyun's SmsReport (a JSON list of {out_id, biz_id, success, err_code, report_time…})
  and the HTTP JSON gateway's ({id, status, error}, or a list of them).
- ``/staff/notices/failed/``: failed messages of the cases the member of staff may see, each with
  a resend button; resending is a POST, audited, and queues a new message.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jiedao.core import staff
from jiedao.core.audit import client_ip
from jiedao.core.staff import in_scope, staff_context, staff_required
from jiedao.lib.errors import DomainError
from jiedao.lib.http import no_store

from .models import Notice
from .selectors import failed_notices
from .services import Receipt, notice_resend, receipt_apply

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")


# Delivery reports.


def _authorised(request) -> bool:
    expected = settings.JIEDAO_SMS_RECEIPT_TOKEN
    if not expected:
        return False
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header.startswith("Bearer ") else request.GET.get("token", "")
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _report_time(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")  # Aliyun: Beijing time
    except ValueError:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=SHANGHAI)


def _aliyun_receipts(data) -> list[Receipt]:
    items = data if isinstance(data, list) else [data]
    receipts = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("report items must be objects")
        success = item.get("success")
        delivered = success is True or str(success).lower() == "true"
        error = "" if delivered else f"运营商回执：{item.get('err_code') or ''} {item.get('err_msg') or ''}".strip()
        receipts.append(
            Receipt(
                delivered=delivered,
                notice_id=str(item.get("out_id") or ""),
                provider_message_id=str(item.get("biz_id") or ""),
                error=error,
                at=_report_time(item.get("report_time")),
            )
        )
    return receipts


def _http_json_receipts(data) -> list[Receipt]:
    items = data if isinstance(data, list) else [data]
    receipts = []
    for item in items:
        if not isinstance(item, dict) or str(item.get("status", "")).lower() not in ("delivered", "failed"):
            raise ValueError("each report needs an id and a status of delivered or failed")
        delivered = str(item["status"]).lower() == "delivered"
        receipts.append(
            Receipt(
                delivered=delivered,
                notice_id=str(item.get("id") or ""),
                provider_message_id=str(item.get("message_id") or ""),
                error="" if delivered else f"运营商回执：{item.get('error') or '未送达'}",
                at=_report_time(item.get("at")),
            )
        )
    return receipts


RECEIPT_FORMATS = {"aliyun": _aliyun_receipts, "http_json": _http_json_receipts}


@csrf_exempt
@require_POST
def receipt(request, provider):
    parse = RECEIPT_FORMATS.get(provider)
    if parse is None:
        raise Http404
    if not _authorised(request):
        logger.warning("delivery report refused: missing or wrong token (from %s)", client_ip(request))
        return HttpResponseForbidden("forbidden")
    try:
        receipts = parse(json.loads(request.body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, TypeError, KeyError):
        return JsonResponse({"error": "bad report"}, status=400)
    counts = receipt_apply(receipts=receipts)
    if provider == "aliyun":
        return JsonResponse({"code": 0, "msg": "成功", **counts}, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(counts)


# Staff pages.


@staff_required
def failed_list(request):
    notices = failed_notices(request.user)
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": "",
        "may_resend_notices": staff.may_resend_notices(request.user),
        **staff_context(request),
    }
    return no_store(render(request, "notices/failed.html", context))


@staff_required
@require_POST
def resend(request, notice_id):
    if not staff.may_resend_notices(request.user):
        raise Http404
    notice = (
        in_scope(Notice.objects.select_related("application"), request.user)
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        raise Http404
    try:
        notice_resend(notice=notice, actor=request.user, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("短信已重新排队发送（%(phone)s）。") % {"phone": notice.masked_phone})
    if request.POST.get("return_to") == "case" and notice.application_id:
        return redirect("review:case", reference=notice.application.reference)
    return redirect("notices:failed")
