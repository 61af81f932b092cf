"""Who may see and do what. Scoping is written once, here; views only call these helpers.

A committee worker sees the cases of their own neighbourhoods and nothing else: anything outside
answers 404, the same as a case that does not exist, so a typed URL reveals nothing. Reviewers
(the renovation office) see the whole programme; the leadership reads everything and changes
nothing; administrators configure.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Application, Document

from jiedao.core.models import Role, StaffProfile

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
FILING_ROLES = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})
AUDIT_READERS = frozenset({Role.LEADER, Role.ADMIN})
ID_NUMBER_READERS = frozenset({Role.REVIEWER, Role.ADMIN})
# Who may resend a failed SMS notice (the leadership sees the failed list, read-only).
NOTICE_RESENDERS = frozenset({Role.WORKER, Role.REVIEWER, Role.ADMIN})


def staff_role(user) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = _profile(user)
    return profile.role if profile else None


def _profile(user) -> StaffProfile | None:
    if not hasattr(user, "_jiedao_profile"):
        user._jiedao_profile = StaffProfile.objects.filter(user=user).prefetch_related("neighbourhoods").first()
    return user._jiedao_profile


def neighbourhood_ids(user) -> list[int] | None:
    """The neighbourhoods a user is limited to, or None for the whole programme."""
    role = staff_role(user)
    if role is None:
        return []
    if role == Role.WORKER:
        return [n.id for n in _profile(user).neighbourhoods.all()]
    return None


def applications_for_staff(user) -> QuerySet[Application]:
    queryset = Application.objects.all()
    scope = neighbourhood_ids(user)
    if scope is None:
        return queryset
    return queryset.filter(neighbourhood_id__in=scope)


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
    document = (
        Document.objects.select_related("application", "document_type")
        .filter(pk=document_id, application__in=applications_for_staff(user))
        .first()
    )
    if document is None:
        raise Http404
    return document


def may_take(user, action: str) -> bool:
    return staff_role(user) in ACTION_ROLES.get(action, frozenset())


def may_file(user) -> bool:
    return staff_role(user) in FILING_ROLES


def may_read_audit(user) -> bool:
    return staff_role(user) in AUDIT_READERS


def may_see_full_id_numbers(user) -> bool:
    return staff_role(user) in ID_NUMBER_READERS


def may_resend_notices(user) -> bool:
    return staff_role(user) in NOTICE_RESENDERS
