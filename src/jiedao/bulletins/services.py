"""The writes of public notices: writing and publishing a notice, its attachments, the SMS push,
objections and their written answers.

Rules kept here, whoever calls (the staff pages, a command, the tests):
- a notice's end date is not before its start date;
- a list notice takes its rows from the registered source at publication, and is refused if any
  cell looks like an ID number or names an illness (``lib.public_lists``), saying where, never
  repeating what;
- objections are taken only while the notice is published and in its period; each gets a
  reference, a due date (``JIEDAO_OBJECTION_ANSWER_DAYS``) and an SMS receipt;
- the written answer goes to the objector by SMS, and the objection's end is announced on
  ``lib.case_endings.case_ended`` (for the service rating), in the same transaction;
- while an objection naming a person of a list is open, that person's payment is held
  (``objection_payment_hold``, registered with ``lib.payment_holds``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core.audit import audit_record
from jiedao.lib.case_endings import CaseEnded, case_ended
from jiedao.lib.errors import DomainError, ValidationFailed
from jiedao.lib.formatting import ANONYMISED_NAME
from jiedao.lib.forms import clean_person
from jiedao.lib.links import site_link
from jiedao.lib.page_cache import shared_pages_forget
from jiedao.lib.payment_holds import payment_hold_lock
from jiedao.lib.public_lists import list_source, public_cells_problems
from jiedao.lib.ratelimit import Limit, Rate, address_key, rate_limit_hit
from jiedao.lib.resident_phones import resident_phones
from jiedao.lib.uploads import check_public_file
from jiedao.notices.services import (
    notice_build_to,
    notice_queue_to,
    notices_queue_built,
)

from .models import (
    Attachment,
    Bulletin,
    BulletinKind,
    BulletinStatus,
    Objection,
    ObjectionOutcome,
    ObjectionStatus,
)

AUDIT_SAVE = "bulletin_save"
AUDIT_PUBLISH = "bulletin_publish"
AUDIT_WITHDRAW = "bulletin_withdraw"
AUDIT_ANSWER = "objection_answer"
AUDIT_VIEW_OBJECTION = "objection_view"

SERVICE = "objection"
SERVICE_LABEL = "公示异议处理"

ATTACHMENTS_PER_NOTICE = 10


class BulletinNotEditable(DomainError):
    code = "bulletin_not_editable"


class ObjectionClosed(DomainError):
    code = "objection_closed"


class ObjectionAlreadyAnswered(DomainError):
    code = "objection_answered"


class ObjectionRateLimited(DomainError):
    code = "objection_rate_limited"


def _check_fields(fields: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    starts, ends = fields.get("starts_on"), fields.get("ends_on")
    if starts and ends and ends < starts:
        errors["ends_on"] = [_("公示结束日期不能早于开始日期。")]
    if fields.get("kind") == BulletinKind.LIST:
        source = list_source(fields.get("list_source") or "")
        if source is None:
            errors["list_source"] = [_("请选择名单来源。")]
        if not (fields.get("list_period") or "").strip():
            errors["list_period"] = [_("请填写名单期间，例如 2026-03。")]
        else:
            try:
                dt.date.fromisoformat(f"{fields['list_period'].strip()}-01")
            except ValueError:
                errors["list_period"] = [_("名单期间请写成 2026-03。")]
    elif not (fields.get("body") or "").strip():
        errors["body"] = [_("请填写公示正文。")]
    return errors


BULLETIN_FIELDS = (
    "title", "body", "kind", "list_source", "list_period", "starts_on", "ends_on", "office", "office_phone", "sms_push",
)  # fmt: skip


def bulletin_save(
    *, actor, fields: dict, neighbourhoods=(), blocks=(), bulletin: Bulletin | None = None, ip: str | None = None
) -> Bulletin:
    """A new notice, or a draft's changes. A published notice is not edited (what the public saw stays)."""
    errors = _check_fields(fields)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if bulletin is None:
            bulletin = Bulletin(created_by=actor)
        else:
            bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
            if bulletin.status != BulletinStatus.DRAFT:
                raise BulletinNotEditable(_("已发布的公示不能再修改。如有错误，请撤下后重新发一份。"))
        for name in BULLETIN_FIELDS:
            if name in fields:
                setattr(bulletin, name, fields[name])
        bulletin.save()
        bulletin.neighbourhoods.set(neighbourhoods)
        bulletin.blocks.set(blocks)
        audit_record(actor=actor, action=AUDIT_SAVE, reference=f"GS-{bulletin.pk}", ip=ip)
    return bulletin


def attachment_add(*, bulletin: Bulletin, upload, actor=None) -> Attachment:
    """A PDF or a photo (checked and re-encoded by ``lib.uploads``); raises ``UploadRefused``."""
    if bulletin.status != BulletinStatus.DRAFT:
        raise BulletinNotEditable(_("已发布的公示不能再添加附件。"))
    if bulletin.attachments.count() >= ATTACHMENTS_PER_NOTICE:
        raise BulletinNotEditable(_("一份公示最多%(count)d个附件。") % {"count": ATTACHMENTS_PER_NOTICE})
    checked = check_public_file(upload)
    path = default_storage.save(f"bulletins/{uuid.uuid4().hex}.{checked.extension}", ContentFile(checked.content))
    try:
        return Attachment.objects.create(
            bulletin=bulletin, file=path, name=checked.name, content_type=checked.content_type, size=len(checked.content)
        )
    except Exception:
        default_storage.delete(path)
        raise


def attachment_remove(*, attachment: Attachment) -> None:
    if attachment.bulletin.status != BulletinStatus.DRAFT:
        raise BulletinNotEditable(_("已发布的公示不能再修改。如有错误，请撤下后重新发一份。"))
    path = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: default_storage.delete(path))


def list_preview(bulletin: Bulletin) -> tuple[list, list[dict], list[str]]:
    """(columns, rows, problems in words) of a list notice as it would be published now."""
    source = list_source(bulletin.list_source)
    if source is None:
        return [], [], [_("名单来源“%(name)s”不存在。") % {"name": bulletin.list_source}]
    neighbourhood_ids = list(bulletin.neighbourhoods.values_list("pk", flat=True)) or None
    rows = source.rows(bulletin.list_period, neighbourhood_ids)
    columns = [str(c) for c in source.columns]
    problems = []
    for problem in public_cells_problems([row.cells for row in rows], health_terms=source.health_terms()):
        column = columns[problem.column - 1] if problem.column <= len(columns) else str(problem.column)
        if problem.kind == "id_number":
            problems.append(_("第%(row)d行“%(column)s”一栏像是身份证号码，不能公示。") % {"row": problem.row, "column": column})
        else:
            problems.append(_("第%(row)d行“%(column)s”一栏写有疾病信息，不能公示。") % {"row": problem.row, "column": column})
    return columns, [{"key": row.key, "cells": list(row.cells)} for row in rows], problems


def bulletin_publish(*, bulletin: Bulletin, actor, ip: str | None = None, now: dt.datetime | None = None) -> Bulletin:
    """Publish a draft: a list notice takes its rows now, checked (refused with every problem
    named); with ``sms_push``, the residents concerned get one SMS each through the outbox."""
    now = now or timezone.now()
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if bulletin.status != BulletinStatus.DRAFT:
            raise BulletinNotEditable(_("这份公示已经发布过了。"))
        errors = _check_fields({name: getattr(bulletin, name) for name in BULLETIN_FIELDS})
        if errors:
            raise ValidationFailed(errors)
        if bulletin.kind == BulletinKind.LIST:
            columns, rows, problems = list_preview(bulletin)
            if problems:
                raise ValidationFailed({"list_source": [_("名单不能发布，请先在业务数据中核对：")] + problems})
            if not rows:
                raise ValidationFailed({"list_period": [_("这个期间没有可以公示的名单。")]})
            bulletin.list_columns, bulletin.list_rows = columns, rows
        bulletin.status, bulletin.published_at, bulletin.published_by = BulletinStatus.PUBLISHED, now, actor
        bulletin.save()
        if bulletin.sms_push:
            _push(bulletin, now)
        audit_record(actor=actor, action=AUDIT_PUBLISH, reference=f"GS-{bulletin.pk}", ip=ip)
        shared_pages_forget(["notices"])
    return bulletin


def _push(bulletin: Bulletin, now: dt.datetime) -> None:
    """One SMS per resident concerned, through the outbox (its per-number limits apply there)."""
    phones = resident_phones(
        neighbourhood_ids=list(bulletin.neighbourhoods.values_list("pk", flat=True)),
        block_ids=list(bulletin.blocks.values_list("pk", flat=True)),
    )[: settings.JIEDAO_NOTICE_PUSH_LIMIT]
    link = site_link(f"notices/{bulletin.pk}/")
    notices_queue_built(
        [
            notice_build_to(
                phone=phone, event="bulletin_posted", subject=f"GS-{bulletin.pk}", neighbourhood_id=None,
                values={"title": bulletin.title, "until": f"{bulletin.ends_on:%m月%d日}", "link": link}, now=now,
            )  # fmt: skip
            for phone in phones
        ]
    )
    bulletin.pushed_at, bulletin.pushed_count = now, len(phones)
    bulletin.save(update_fields=["pushed_at", "pushed_count"])


def bulletin_withdraw(*, bulletin: Bulletin, actor, ip: str | None = None) -> Bulletin:
    with transaction.atomic():
        Bulletin.objects.filter(pk=bulletin.pk).update(status=BulletinStatus.WITHDRAWN)
        audit_record(actor=actor, action=AUDIT_WITHDRAW, reference=f"GS-{bulletin.pk}", ip=ip)
        shared_pages_forget(["notices"])
    bulletin.status = BulletinStatus.WITHDRAWN
    return bulletin


# --- objections ----------------------------------------------------------------------------------


def objection_create(
    *,
    bulletin: Bulletin,
    name: str,
    phone: str,
    what: str,
    why: str,
    person_key: str = "",
    photo=None,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> Objection:
    """Take an objection during the period (``ObjectionClosed`` after it, before it, or when the
    notice is not published); ``ValidationFailed`` for missing or wrong answers. With the client's
    ``address``, objections from it are limited (``JIEDAO_OBJECTION_ADDRESS_LIMITS``): each sends
    an SMS to the phone typed, which must not become a way to text strangers in bulk."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    name, phone, errors = clean_person(name, phone)
    what, why = (what or "").strip(), (why or "").strip()
    if not what:
        errors["what"] = [_("请写明对公示的哪一项内容有异议。")]
    if not why:
        errors["why"] = [_("请写明异议的理由。")]
    person_label = ""
    if person_key:
        row = next((r for r in bulletin.list_rows if r.get("key") == person_key), None)
        if row is None:
            errors["person"] = [_("请从名单中选择。")]
        else:
            person_label = " ".join(row["cells"][:2])
    if errors:
        raise ValidationFailed(errors)
    if not bulletin.period_open(today):
        if bulletin.is_published and today > bulletin.ends_on:
            raise ObjectionClosed(
                _("这份公示的公示期已于%(date)s结束，网上不能再提出异议。您写的内容还在下面；如仍有意见，请致电%(office)s %(phone)s。")
                % {"date": f"{bulletin.ends_on:%Y-%m-%d}", "office": bulletin.office, "phone": bulletin.office_phone}
            )
        raise ObjectionClosed(_("这份公示现在不接受异议。"))
    if address is not None:
        decision = rate_limit_hit(
            Limit(f"objection:address:{address_key(address)}", Rate.parse(settings.JIEDAO_OBJECTION_ADDRESS_LIMITS))
        )
        if not decision.allowed:
            raise ObjectionRateLimited(
                _("这个网络提交的异议太多了，请 %(minutes)d 分钟后再试，或致电%(office)s %(phone)s。")
                % {"minutes": decision.retry_minutes, "office": bulletin.office, "phone": bulletin.office_phone}
            )
    stored = ""
    if photo is not None:
        checked = check_public_file(photo, allow_pdf=False)
        stored = default_storage.save(f"objections/{uuid.uuid4().hex}.jpg", ContentFile(checked.content))
    try:
        with transaction.atomic():
            if person_key:  # a payment to this person at this instant is decided before or after, never beside
                payment_hold_lock([person_key])
            objection = Objection.objects.create(
                bulletin=bulletin, reference=f"tmp-{uuid.uuid4().hex[:16]}", name=name, phone=phone,
                person_key=person_key or "", person_label=person_label, what=what[:200], why=why,
                photo=stored, created_at=now,
                due_on=today + dt.timedelta(days=settings.JIEDAO_OBJECTION_ANSWER_DAYS),
            )  # fmt: skip
            # The number comes from the row's id: unique however many objections arrive at once.
            objection.reference = f"YY{today.year}{objection.pk:05d}"
            Objection.objects.filter(pk=objection.pk).update(reference=objection.reference)
            notice_queue_to(
                phone=phone, event="objection_got", subject=objection.reference, neighbourhood_id=None,
                values={"reference": objection.reference, "title": bulletin.title, "due": f"{objection.due_on:%m月%d日}",
                        "link": site_link(f"y/{objection.token}/")},
                now=now,
            )  # fmt: skip
            shared_pages_forget(["notices"])
        return objection
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise


def objection_answer(
    *, objection: Objection, actor, outcome: str, answer: str, ip: str | None = None, now: dt.datetime | None = None
) -> Objection:
    """The office's written answer: SMS to the objector, and the case's end announced (rating)."""
    now = now or timezone.now()
    answer = (answer or "").strip()
    errors = {}
    if outcome not in ObjectionOutcome.values:
        errors["outcome"] = [_("请选择处理结果。")]
    if not answer:
        errors["answer"] = [_("请写书面答复，异议人会收到这段答复。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        objection = Objection.objects.select_for_update().select_related("bulletin").get(pk=objection.pk)
        if objection.status == ObjectionStatus.ANSWERED:
            raise ObjectionAlreadyAnswered(_("这条异议已经答复过了。"))
        objection.status, objection.outcome, objection.answer = ObjectionStatus.ANSWERED, outcome, answer
        objection.answered_at, objection.answered_by = now, actor
        objection.save(update_fields=["status", "outcome", "answer", "answered_at", "answered_by"])
        notice_queue_to(
            phone=objection.phone, event="objection_reply", subject=objection.reference, neighbourhood_id=None,
            values={"reference": objection.reference, "title": objection.bulletin.title,
                    "outcome": str(ObjectionOutcome(outcome).label), "link": site_link(f"y/{objection.token}/")},
            now=now,
        )  # fmt: skip
        bulletin = objection.bulletin
        case_ended.publish(
            CaseEnded(
                service=SERVICE,
                service_label=SERVICE_LABEL,
                case_key=objection.reference,
                outcome="已答复：" + str(ObjectionOutcome(outcome).label),
                phone=objection.phone,
                person_name=objection.name,
                handler_id=actor.pk if actor else None,
                office=bulletin.office,
                ended_at=now,
                neighbourhood_id=bulletin.neighbourhoods.values_list("pk", flat=True).first(),
            )
        )
        audit_record(actor=actor, action=AUDIT_ANSWER, reference=objection.reference, ip=ip, outcome=outcome)
        shared_pages_forget(["notices"])
    return objection


def objection_payment_hold(keys) -> str | None:
    """Registered with ``lib.payment_holds``: an open objection naming this person holds the payment."""
    keys = [key for key in keys if key]
    if not keys:
        return None
    reference = (
        Objection.objects.filter(status=ObjectionStatus.OPEN, person_key__in=keys).values_list("reference", flat=True).first()
    )
    if reference is None:
        return None
    return _("公示期间有人对此提出异议（异议编号%(reference)s），尚未处理完毕。") % {"reference": reference}


def objections_anonymise(*, worker: str | None = None, stop=None, now: dt.datetime | None = None) -> dict[str, int]:
    """Answered objections keep the objector only ``JIEDAO_OBJECTION_RETENTION_DAYS``: then the
    name, phone and photo go; what was objected to, the outcome and the answer stay (the notice's
    record). Run by the worker's loop (``JIEDAO_WORKER_EXTRA_ROUNDS``)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.JIEDAO_OBJECTION_RETENTION_DAYS)
    stale = list(
        Objection.objects.filter(status=ObjectionStatus.ANSWERED, answered_at__lt=cutoff).exclude(name=ANONYMISED_NAME)[:2000]
    )
    for objection in stale:
        photo = objection.photo.name
        Objection.objects.filter(pk=objection.pk).update(name=ANONYMISED_NAME, phone="", photo="")
        if photo:
            transaction.on_commit(lambda photo=photo: default_storage.delete(photo))
    return {"objections_anonymised": len(stale)} if stale else {}
