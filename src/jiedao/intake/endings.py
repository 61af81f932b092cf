"""A subsidy case has ended for the person: published to ``lib.case_endings.case_ended``, which
the ratings (好差评) subscribe to — this app never imports them.

``case_ended_on_case_event`` subscribes to this app's own ``case_events`` (``apps.py``), so it runs
inside the transition's transaction: a case reaching a decision of its service type (the
subsidy: approved, rejected) or another closed status than withdrawn (the subsidy: paid) has
ended. A case approved and then paid publishes twice; the ratings keep one invitation per case.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from jiedao.core.models import Role
from jiedao.lib.case_endings import CaseEnded, case_ended

from .events import CaseEvent, CaseEventKind
from .service_types import service_type_of

# The office each service type's cases are owned by, as the rating platforms name it.
OFFICES = {"hardship": "旧改分指挥部"}
NOT_AN_ENDING = frozenset({"withdrawn"})


def case_ended_on_case_event(event: CaseEvent) -> None:
    if event.kind != CaseEventKind.TRANSITIONED:
        return
    application = event.application
    service_type = service_type_of(application.programme)
    lifecycle = service_type.lifecycle
    status = application.status
    if status not in lifecycle.decisions and (status in lifecycle.open_statuses or status in NOT_AN_ENDING):
        return
    with translation.override(settings.LANGUAGE_CODE):
        outcome = lifecycle.status_label(status)
        service_label = str(application.programme.name) or str(service_type.name)
        office = OFFICES.get(service_type.code) or service_type.role_label(Role.REVIEWER, "") or "街道办事处"
    actor = event.actor
    case_ended.publish(
        CaseEnded(
            service=service_type.code,
            service_label=service_label,
            case_key=application.reference,
            outcome=outcome,
            phone=application.phone or "",
            person_name=application.applicant_name,
            handler_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
            office=office,
            ended_at=event.at,
            neighbourhood_id=application.neighbourhood_id,
        )
    )
