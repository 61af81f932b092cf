"""Retention: personal data of closed cases is kept for ``JIEDAO_RETENTION_DAYS``, then removed.

A case is closed when it is rejected, paid or withdrawn (``lifecycle.CLOSED_STATUSES``); its
closing date is the time of the history entry that moved it into that status. Past the retention
period the case keeps what the office must still be able to count and account for: its
reference, programme, status, neighbourhood, block, categories, channel, dates, payment and every
line of its history (who, when, from which status to which). What identifies the person goes:
the document photos (files and rows), name, ID number (token and hashes), phone, proxy, address
below the block, the household note, and the free text written to the resident (history notes,
SMS texts and parameters, partner webhook notes: each app forgets its own, on the ``ANONYMISED``
case event). The dashboard reads running tallies keyed by
programme, day, neighbourhood, block, channel, category and status; none of these change, so
neither do the figures, and ``tallies_rebuild`` gives the same numbers after a run.

The audit trail is not touched by the case clean-up. Its own pruning (``audit_prune``) only runs
when ``JIEDAO_AUDIT_KEEP_DAYS`` is set, and never keeps less than 180 days.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction, AuditEntry
from jiedao.lib.formatting import ANONYMISED_NAME

from .events import CaseEvent, CaseEventKind, case_events
from .service_types import statuses_q
from .models import Application, ApplicationEvent, Document, Draft, DraftPhoto
from .services import photo_delete

logger = logging.getLogger(__name__)

# Audit actions of this module (kept as plain values: AuditAction is owned by core).
AUDIT_RETENTION = AuditAction.RETENTION_RUN
AUDIT_PRUNE = AuditAction.AUDIT_PRUNE
AUDIT_MIN_KEEP_DAYS = 180


@dataclass
class RetentionResult:
    cutoff: dt.datetime
    references: list[str] = field(default_factory=list)
    files_deleted: int = 0
    dry_run: bool = False


def closed_before(cutoff: dt.datetime):
    """Closed cases whose closing entry is older than ``cutoff`` and not yet anonymised."""
    return (
        Application.objects.filter(statuses_q("closed"))
        .exclude(applicant_name=ANONYMISED_NAME)
        .annotate(closed_at=Max("events__at", filter=statuses_q("closed", status_field="events__to_status")))
        .filter(closed_at__lt=cutoff)
        .order_by("closed_at", "pk")
    )


def application_anonymise(*, application: Application) -> list[str]:
    """Remove the personal data of one case in one transaction; returns the photo files to delete.

    The caller deletes the files after the commit: a crash in between leaves only orphan files,
    which ``jiedao documents sweep`` removes, never a row pointing at a deleted photo.
    """

    with transaction.atomic():
        case = Application.objects.select_for_update().get(pk=application.pk)
        files = list(Document.objects.filter(application=case).values_list("file", flat=True))
        drafts = Draft.objects.filter(application=case)
        files += list(DraftPhoto.objects.filter(draft__in=drafts).values_list("file", flat=True))
        Document.objects.filter(application=case).delete()
        drafts.delete()

        case.applicant_name = ANONYMISED_NAME
        case.name_pinyin = case.name_initials = ""
        case.clear_id_number()
        case.phone = ""
        case.address_road = case.address_lane = case.address_number = case.address_room = ""
        case.household_note = ""
        case.extra_answers = {}
        case.proxy_name = case.proxy_phone = case.proxy_relationship = ""
        # update_fields: updated_at is left alone on purpose (auto_now only runs with save()).
        Application.objects.filter(pk=case.pk).update(
            **{
                name: getattr(case, name)
                for name in (
                    "applicant_name",
                    "name_pinyin",
                    "name_initials",
                    *Application.ID_NUMBER_FIELDS,
                    "phone",
                    "address_road",
                    "address_lane",
                    "address_number",
                    "address_room",
                    "household_note",
                    "extra_answers",
                    "proxy_name",
                    "proxy_phone",
                    "proxy_relationship",
                )
            }
        )
        # History stays (status, who, when, channel); what was written to the resident goes.
        ApplicationEvent.objects.filter(application=case).update(note="")
        # The SMS outbox and the partner's webhooks forget their copies (their subscribers, in their apps).
        case_events.publish(CaseEvent(kind=CaseEventKind.ANONYMISED, application=case, at=timezone.now()))
    # Document rows may share a file (a demo or a copy): only files nothing else uses are deleted.
    return [name for name in dict.fromkeys(files) if name]


def _unused(name: str) -> bool:
    return not Document.objects.filter(file=name).exists() and not DraftPhoto.objects.filter(file=name).exists()


def retention_run(
    *, now: dt.datetime | None = None, days: int | None = None, dry_run: bool = False, actor=None
) -> RetentionResult:
    """Anonymise every closed case past the retention period, delete its photos, and audit the run."""
    now = now or timezone.now()
    days = settings.JIEDAO_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    result = RetentionResult(cutoff=now - dt.timedelta(days=days), dry_run=dry_run)
    for application in closed_before(result.cutoff).iterator(chunk_size=200):
        result.references.append(application.reference)
        if dry_run:
            continue
        for name in application_anonymise(application=application):
            if _unused(name):
                photo_delete(name)
                result.files_deleted += 1
    logger.info(
        "retention%s: %d closed cases, %d photo files deleted",
        " (dry run)" if dry_run else "",
        len(result.references),
        result.files_deleted,
    )
    audit_record(
        actor=actor,
        action=AUDIT_RETENTION,
        dry_run=dry_run,
        retention_days=days,
        cutoff=result.cutoff.isoformat(),
        cases=len(result.references),
        files_deleted=result.files_deleted,
        references=result.references,
    )
    return result


def audit_prune(*, now: dt.datetime | None = None, keep_days: int | None = None, dry_run: bool = False) -> int:
    """Delete audit entries older than ``keep_days`` (at least 180); returns how many.

    The audit trail is append-only for every other code path; this is the one place that removes
    entries, by age only, and it records that it did.
    """
    keep_days = settings.JIEDAO_AUDIT_KEEP_DAYS if keep_days is None else keep_days
    if keep_days is None:
        return 0  # not configured: the audit trail is kept for good
    if keep_days < AUDIT_MIN_KEEP_DAYS:
        raise ValueError(f"the audit trail is kept at least {AUDIT_MIN_KEEP_DAYS} days")
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    # The model's own manager refuses deletes; a plain queryset does it, here and nowhere else.
    old = models.QuerySet(model=AuditEntry).filter(at__lt=cutoff)
    count = old.count()
    if not dry_run and count:
        old.delete()
    audit_record(actor=None, action=AUDIT_PRUNE, dry_run=dry_run, keep_days=keep_days, cutoff=cutoff.isoformat(), deleted=count)
    return count
