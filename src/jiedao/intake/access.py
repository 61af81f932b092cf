"""Which of the subsidy's cases a member of staff may see, and which actions they may take.

The scope is the staff rule (``core.staff.neighbourhood_ids``) applied to cases: anything outside
answers 404, the same as a case that does not exist, so a typed URL reveals nothing. Views, the
API and exports call these helpers; none writes its own filter.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction, Role
from jiedao.core.staff import in_scope, staff_role
from jiedao.lib.http import private_photo_response

from .lifecycle import Action
from .models import Application, Document

# Who may take each action. Workers do the first check with the resident (start review, ask for
# material, withdraw at the resident's request) and send material in for them; decisions and
# payments belong to the renovation office.
ACTION_ROLES: dict[str, frozenset[str]] = {
    Action.START_REVIEW: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
    Action.REQUEST_MORE: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
    Action.RESUBMIT: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
    Action.APPROVE: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.REJECT: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.RECORD_PAYMENT: frozenset({Role.REVIEWER, Role.ADMIN}),
    Action.WITHDRAW: frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN}),
}


def applications_for_staff(user) -> QuerySet[Application]:
    return in_scope(Application.objects.all(), user)


def case_for_staff(user, reference: str) -> Application:
    application = (
        applications_for_staff(user)
        .select_related("programme", "neighbourhood", "block", "filed_by")
        .filter(reference=reference)
        .first()
    )
    if application is None:
        raise Http404
    return application


def document_for_staff(user, document_id: int) -> Document:
    return document_among(applications_for_staff(user), document_id)


def document_among(applications: QuerySet[Application], document_id: int) -> Document:
    """A document photo of one of ``applications`` (already scoped), or 404."""
    document = (
        Document.objects.select_related("application", "document_type")
        .filter(pk=document_id, application__in=applications)
        .first()
    )
    if document is None:
        raise Http404
    return document


def may_take(user, action: str) -> bool:
    return staff_role(user) in ACTION_ROLES.get(action, frozenset())


def document_photo_response(document: Document, *, actor, ip: str | None):
    """A document's photo for someone allowed to see it (``document_for_staff``,
    ``document_among``): the viewing goes into the audit trail, the photo is sent privately."""
    audit_record(
        actor=actor, action=AuditAction.VIEW_DOCUMENT, reference=document.application.reference, ip=ip, document=document.pk
    )
    return private_photo_response(
        document.file.open("rb"), filename=f"{document.application.reference}-{document.pk}.jpg"
    )
