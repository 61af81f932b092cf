"""A case's life after it is submitted: moving it through its lifecycle, and adding requested documents.

Every transition goes through ``application_transition``, whoever asks (the back office, the
partner API, a resident's supplement, a command): it locks the case, checks the one table of
allowed transitions (the case's service type's ``Lifecycle``; the subsidy's is
``lifecycle.TRANSITIONS``) against the status *now* — not the status the
reviewer saw — and writes the new status, a history entry and an audit entry together, then
publishes a ``CaseEvent`` to ``events.case_events`` inside the same transaction, so that the
subscribers' rows (the tallies, the resident's SMS, the partner's webhook) commit or roll back
with it. Two reviewers approving at the same moment: the first wins, the second is told the case
has already changed and nothing else happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.payment_holds import payment_hold_lock, payment_hold_reason

from .events import CaseEvent, CaseEventKind, case_events
from .lifecycle import Action, Status
from .models import Application, ApplicationEvent, Document, PaymentMethod, Via
from .photos import PhotoRejected, ProcessedPhoto, process_photo
from .selectors import missing_pages
from .services import photos_stored


@dataclass(frozen=True)
class Payment:
    amount: Decimal
    paid_on: dt.date
    method: str = PaymentMethod.BANK_TRANSFER


class IllegalTransition(DomainError):
    code = "illegal_transition"


def application_transition(
    *,
    application: Application,
    action: str,
    actor,
    via: str = Via.BACK_OFFICE,
    note: str = "",
    missing_document_codes: Iterable[str] = (),
    payment: Payment | None = None,
    expected_status: str | None = None,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Application:
    """Take ``action`` on the case, or raise ``IllegalTransition`` / ``ValidationFailed``."""
    lifecycle = application.lifecycle
    if action not in lifecycle.transitions:
        raise IllegalTransition(_("没有这种操作。"))
    note = (note or "").strip()
    missing_document_codes = [code for code in missing_document_codes if code]
    errors: dict[str, list[str]] = {}
    if action == Action.REQUEST_MORE:
        if not missing_document_codes:
            errors["missing_documents"] = [_("请勾选需要补充的材料。")]
        if not note:
            errors["note"] = [_("请写一句给申请人的说明，告诉他要补什么、怎么补。")]
    if action == Action.REJECT and not note:
        errors["note"] = [_("请写明不通过的原因，申请人会看到这段说明。")]
    if action == Action.RECORD_PAYMENT:
        if payment is None or payment.amount is None or payment.amount <= 0:
            errors["amount"] = [_("请填写发放金额（大于0）。")]
        if payment is None or payment.paid_on is None:
            errors["paid_on"] = [_("请填写发放日期。")]
        elif payment.paid_on > timezone.localdate():
            errors["paid_on"] = [_("发放日期不能晚于今天。")]
        if payment is not None and payment.method not in PaymentMethod.values:
            errors["method"] = [_("请选择发放方式。")]
    if errors:
        raise ValidationFailed(errors)

    now = now or timezone.now()
    with transaction.atomic():
        case = Application.objects.select_for_update().get(pk=application.pk)
        if expected_status and case.status != expected_status:
            raise IllegalTransition(
                _("这份申请刚刚已被别人处理，现在的状态是“%(status)s”。请刷新页面后再看。")
                % {"status": case.status_label}
            )
        if action == Action.RECORD_PAYMENT:
            payment_hold_lock([case.reference, case.id_number_hash])
        if action == Action.RECORD_PAYMENT and (held := payment_hold_reason([case.reference, case.id_number_hash])):
            # An open objection to a public notice naming this person, for example (lib.payment_holds).
            raise IllegalTransition(_("这笔补助暂缓发放：%(reason)s 处理完毕后才能登记发放。") % {"reason": held})
        if action == Action.REQUEST_MORE:
            documents = list(case.programme.document_types.filter(code__in=missing_document_codes))
            if len(documents) != len(set(missing_document_codes)):
                raise ValidationFailed({"missing_documents": [_("请从列表中选择材料。")]})
        previous = _move(case, action, actor=actor, via=via, note=note, now=now)
        if action == Action.REQUEST_MORE:
            case.missing_documents.set(documents)
        elif action == Action.RECORD_PAYMENT:
            case.paid_amount, case.paid_on, case.payment_method = payment.amount, payment.paid_on, payment.method
            case.save(update_fields=["paid_amount", "paid_on", "payment_method"])
        # Published once the case's data is final (the requested documents are set): the SMS names them.
        _publish(case, previous, action=action, actor=actor, note=note, now=now)
        audit_record(actor=actor, action=AuditAction.TRANSITION, reference=case.reference, ip=ip, transition=action)
    return case


def _publish(case: Application, previous: str, *, action: str, actor, note: str, now: dt.datetime) -> None:
    case_events.publish(
        CaseEvent(
            kind=CaseEventKind.TRANSITIONED,
            application=case,
            at=now,
            previous_status=previous,
            action=action,
            note=note,
            actor=actor,
        )
    )


def _move(case: Application, action: str, *, actor, via: str, note: str, now: dt.datetime) -> str:
    """Write the new status and its history entry; returns the status the case had."""
    lifecycle = case.lifecycle
    sources, target = lifecycle.transitions[action]
    if case.status not in sources:
        raise IllegalTransition(
            _("这份申请现在是“%(status)s”，不能“%(action)s”。")
            % {"status": case.status_label, "action": lifecycle.action_label(action)}
        )
    previous = case.status
    case.status = target
    fields = ["status", "updated_at"]
    if target in lifecycle.decisions:
        case.decided_at = now
        fields.append("decided_at")
    case.save(update_fields=fields)
    if action == Action.RESUBMIT:
        case.missing_documents.clear()
    ApplicationEvent.objects.create(
        application=case,
        at=now,
        from_status=previous,
        to_status=target,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        channel=via,
        note=note,
    )
    return previous


def _last_request_at(case: Application) -> dt.datetime | None:
    event = case.events.filter(to_status=Status.NEEDS_MORE).order_by("-at", "-id").first()
    return event.at if event else None


def outstanding_pages(case: Application):
    """Pages of the requested documents not yet sent in since the request; none unless the case
    is waiting for documents."""
    if case.status != Status.NEEDS_MORE:
        return []
    requested = list(case.missing_documents.all())
    since = _last_request_at(case)
    sent = Document.objects.filter(application=case, supplement=True)
    if since:
        sent = sent.filter(created_at__gte=since)
    return missing_pages(requested, set(sent.values_list("document_type_id", "page")))


def supplement_photos(case: Application, files) -> tuple[list[tuple[str, int, ProcessedPhoto]], list[tuple]]:
    """The photos sent (``files``: a request's FILES, one per outstanding page, under the page's
    ``field_name``) for the pages the case still needs, processed for ``application_add_documents``;
    and (page, PhotoRejected) for each refused one. A page sent nothing for is left out."""
    uploads, refused = [], []
    for gap in outstanding_pages(case):
        upload = files.get(gap.field_name)
        if upload is None:
            continue
        try:
            uploads.append((gap.document_type.code, gap.page, process_photo(upload)))
        except PhotoRejected as rejected:
            refused.append((gap, rejected))
    return uploads, refused


def application_add_documents(
    *,
    application: Application,
    uploads: Sequence[tuple[str, int, ProcessedPhoto]],
    actor=None,
    via: str = Via.ONLINE,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Application:
    """Store requested documents; once every requested page is in, the case returns to review.

    Pages can come one at a time (a resident may have only one document at hand); each stored
    page is kept. Photos of a failed call are deleted again.
    """
    if not uploads:
        raise ValidationFailed({"documents": [_("请至少上传一张照片。")]})
    now = now or timezone.now()
    with photos_stored() as store:
        stored = [(code, page, store(photo), photo) for code, page, photo in uploads]
        with transaction.atomic():
            case = Application.objects.select_for_update().get(pk=application.pk)
            if case.status != Status.NEEDS_MORE:
                raise IllegalTransition(_("这份申请现在不需要补充材料。"))
            requested = {doc.code: doc for doc in case.missing_documents.all()}
            for code, page, name, photo in stored:
                doc = requested.get(code)
                if doc is None or not 1 <= page <= doc.pages:
                    raise ValidationFailed({f"doc_{code}": [_("这份材料不在需要补充的清单里。")]})
                Document.objects.create(
                    application=case,
                    document_type=doc,
                    page=page,
                    file=name,
                    width=photo.width,
                    height=photo.height,
                    size=len(photo.content),
                    created_at=now,
                    supplement=True,
                    uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
            audit_record(
                actor=actor, action=AuditAction.ADD_DOCUMENTS, reference=case.reference, ip=ip, pages=len(stored)
            )
            if not outstanding_pages(case):
                previous = _move(case, Action.RESUBMIT, actor=actor, via=via, note="", now=now)
                _publish(case, previous, action=Action.RESUBMIT, actor=actor, note="", now=now)
    return case
