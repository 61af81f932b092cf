"""The text messages to residents: which event of a case sends which notice, with what.

``sms_on_case_event`` subscribes to ``case_events`` (``intake.apps``): a new case, and each status
that matters to the resident, sends the notice its service type names (``ServiceType.sms_events``;
the subsidy's 已受理, 需补充材料, …); an anonymised case has its texts forgotten. The outbox itself
(rows, provider, retries, delivery reports, access codes) is ``notices``'; what it may say about a
case is decided here.

The one free-text parameter, a reviewer's reason for rejecting, goes through ``redact`` first
(names, long numbers, category and sensitive document names), as a safety net behind the form's
warning.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from jiedao.notices.models import Event, Notice
from jiedao.notices.services import notice_queue, notices_forget, notices_recent
from jiedao.notices.templates import TEMPLATES

from .events import CaseEvent, CaseEventKind
from .models import Application, Category, DocumentType
from .service_types import service_type_of


def sms_on_case_event(event: CaseEvent) -> None:
    if event.kind in (CaseEventKind.SUBMITTED, CaseEventKind.TRANSITIONED):
        notice_queue_for_status(application=event.application, note=event.note, now=event.at)
    elif event.kind == CaseEventKind.ANONYMISED:
        notices_forget(application=event.application)


def missing_documents_text(application) -> str:
    names: list[str] = []
    for document in application.missing_documents.all():
        name = document.sms_name or document.name
        if name not in names:  # two sensitive documents both read 证明材料: say it once
            names.append(name)
    return "、".join(names)


_ID_OR_PHONE = re.compile(r"\d{6,}[\dXx]?")


def redact(text: str, application) -> str:
    """A reviewer's free text made safe for an SMS, in case it names what a notice never may:
    the applicant's or proxy's name and any long number (ID, phone) become ***, a category name
    becomes 特殊对象, a sensitive document's name becomes its SMS name (e.g. 证明材料). The form's
    help text asks reviewers not to write such things; this is the safety net, not the rule."""
    replacements = {name: "***" for name in (application.applicant_name, application.proxy_name) if name}
    for category in Category.objects.filter(programme_id=application.programme_id):
        for name in (category.name, category.name_en):
            if name:
                replacements[name] = "特殊对象"
    for document in DocumentType.objects.filter(programme_id=application.programme_id).exclude(sms_name=""):
        replacements[document.name] = document.sms_name
    for name in sorted(replacements, key=len, reverse=True):  # longest first: 残疾人 before 残疾
        text = text.replace(name, replacements[name])
    return _ID_OR_PHONE.sub("***", text)


def notice_queue_for_status(*, application, note: str = "", now: dt.datetime | None = None) -> list[Notice]:
    """The notice for the status the case has just reached, if its service type sends one there."""
    event = service_type_of(application.programme).sms_events.get(application.status)
    if event is None:
        return []
    wanted = TEMPLATES[event].params
    values = {}
    if "reason" in wanted:
        values["reason"] = redact(note, application)
    if "documents" in wanted:
        values["documents"] = missing_documents_text(application)
    return notice_queue(application=application, event=event, values=values, now=now)


REFERENCE_REMINDER_EVERY = dt.timedelta(days=1)


def reference_reminder_queue(*, application, now: dt.datetime | None = None) -> list[Notice]:
    """Send the case's reference to its own phones (applicant and proxy), because someone tried
    to apply again with its ID number: they are told only that the reference went by SMS.

    At most one reminder per case in ``REFERENCE_REMINDER_EVERY``: whoever keeps typing the number
    cannot turn the check into a stream of texts to the resident. The notices go through the
    outbox like any other, so the worker's per-number limits apply too. Returns the notices
    queued (none when one was queued within the day)."""
    now = now or timezone.now()
    with transaction.atomic():
        # The case's row lock (PostgreSQL; SQLite's write lock) serialises two checks at once.
        Application.objects.select_for_update().filter(pk=application.pk).values_list("pk", flat=True).first()
        if notices_recent(application=application, event=Event.REFERENCE_REMINDER, since=now - REFERENCE_REMINDER_EVERY):
            return []
        return notice_queue(application=application, event=Event.REFERENCE_REMINDER, now=now)
