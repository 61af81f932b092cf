"""What happens to a subsidy case, published to whoever subscribed (``case_events``).

Writers (``services.application_submit``, ``transitions.application_transition`` and
``application_add_documents``, ``retention``) publish a ``CaseEvent`` inside the transaction of
the change; subscribers (the tallies here, the resident's SMS in ``intake.sms``, the partner's
webhook in ``api.outbox``) write their own rows in that same transaction. Who subscribes is
listed once, in each app's ``AppConfig.ready``; ``jiedao.lib.events`` says why this is not a
Django signal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from jiedao.lib.events import Topic


class CaseEventKind(StrEnum):
    SUBMITTED = "submitted"  # a new case, status submitted
    TRANSITIONED = "transitioned"  # the status moved (previous → application.status)
    REFERENCE_REMINDER = "reference_reminder"  # someone tried to apply again: remind the case's phones
    ANONYMISED = "anonymised"  # retention removed the person: subscribers forget their copies too


@dataclass(frozen=True)
class CaseEvent:
    kind: CaseEventKind
    application: object  # intake.models.Application (not imported: models import this module's users)
    at: dt.datetime
    previous_status: str = ""
    action: str = ""
    note: str = ""
    actor: object | None = None
    categories: tuple = field(default_factory=tuple)


case_events: Topic[CaseEvent] = Topic("intake.case_events")
