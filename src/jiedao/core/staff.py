"""Staff: who someone is in the office, which neighbourhoods they may see, and the staff frame.

Every service's back-office page starts here: ``staff_required`` lets in signed-in staff with a
role (anyone else signs in, or gets 404 when signed in without a role), ``staff_context`` gives
the frame its menu, and ``neighbourhood_ids`` is the one scoping rule: a committee worker sees
the people of their own neighbourhoods and nothing else, the other roles see the whole
subdistrict. Each service applies the scope to its own rows (``intake.access`` for the subsidy's
cases); nothing here knows any service.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import reverse

from .models import Role, StaffProfile

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
    """The neighbourhoods a user is limited to, or None for the whole subdistrict."""
    role = staff_role(user)
    if role is None:
        return []
    if role == Role.WORKER:
        return [n.id for n in _profile(user).neighbourhoods.all()]
    return None


def in_scope(queryset, user, neighbourhood_field: str = "neighbourhood"):
    """``queryset`` limited to the rows of the user's neighbourhoods (through ``neighbourhood_field``)."""
    scope = neighbourhood_ids(user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{neighbourhood_field}_id__in": scope})


def may_file(user) -> bool:
    return staff_role(user) in FILING_ROLES


def may_read_audit(user) -> bool:
    return staff_role(user) in AUDIT_READERS


def may_see_full_id_numbers(user) -> bool:
    return staff_role(user) in ID_NUMBER_READERS


def may_resend_notices(user) -> bool:
    return staff_role(user) in NOTICE_RESENDERS


def staff_required(view):
    """Signed-in staff with a role; anyone else is sent to sign in (or gets 404 if signed in)."""

    @login_required(login_url="review:login")
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if staff_role(request.user) is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class StaffLink:
    url_name: str
    label: object
    roles: frozenset[str] | None = None  # None: every member of staff


_STAFF_LINKS: list[StaffLink] = []


def staff_link_register(url_name: str, label, roles=None) -> None:
    """A service's entry in the staff frame's navigation, registered in its ``AppConfig.ready``:
    the frame lists what is registered, so a new service edits no shared template."""
    if all(link.url_name != url_name for link in _STAFF_LINKS):
        _STAFF_LINKS.append(StaffLink(url_name, label, frozenset(roles) if roles else None))


def staff_context(request) -> dict:
    """What the staff frame (``review/base.html``) needs on every back-office page."""
    user = getattr(request, "user", None)  # an error page may come before authentication
    role = staff_role(user)
    return {
        "role": role,
        "may_file": may_file(user),
        "may_read_audit": may_read_audit(user),
        "service_links": [
            (reverse(link.url_name), link.label) for link in _STAFF_LINKS if link.roles is None or role in link.roles
        ],
    }
