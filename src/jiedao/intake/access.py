"""Which cases a member of staff may see, and which actions they may take (the roles per action
are each service type's lifecycle's).

The scope is the staff rule (``core.staff.neighbourhood_ids``) applied to cases: anything outside
answers 404, the same as a case that does not exist, so a typed URL reveals nothing. Views, the
API and exports call these helpers; none writes its own filter.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction
from jiedao.core.staff import in_scope, staff_role
from jiedao.lib.http import private_photo_response

from .models import Application, Document

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


def may_take(user, action: str, application: Application) -> bool:
    """Whether the user's role may take ``action`` on this case (its service type's lifecycle)."""
    return application.lifecycle.may_take(staff_role(user), action)


def document_photo_response(document: Document, *, actor, ip: str | None):
    """A document's photo for someone allowed to see it (``document_for_staff``,
    ``document_among``): the viewing goes into the audit trail, the photo is sent privately."""
    audit_record(
        actor=actor, action=AuditAction.VIEW_DOCUMENT, reference=document.application.reference, ip=ip, document=document.pk
    )
    return private_photo_response(
        document.file.open("rb"), filename=f"{document.application.reference}-{document.pk}.jpg"
    )
