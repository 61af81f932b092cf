"""What makes a kind of service: one ``ServiceType`` object per kind, registered by its app.

A programme names its type (``Programme.service_type``). The shared machinery (the public and
staff wizard, ``application_submit``, ``application_transition``, the SMS subscriber, the back
office, the dashboard, the partner API, retention) asks the programme's type instead of assuming
the renovation subsidy:

- **questions and steps**: ``question_forms`` (step name → question group, in order); the wizard
  adds the photo steps of the documents the answers need, and the check page;
- **lifecycle**: ``lifecycle`` (statuses with their labels and the resident's explanation, which
  are open, the table of allowed actions, which statuses are decisions);
- **SMS**: ``sms_events`` (status reached → notice event; the texts are registered with
  ``notices.templates.sms_template_register``);
- **places**: every case names its neighbourhood (staff scope and the committee's phone hang on
  it); ``needs_block`` says whether it also names a renovation block;
- **categories and documents** come from the programme's rows; ``has_categories`` says whether
  the type asks for them at all; **payment**: ``pays_out``;
- **dashboard**: ``dashboard_dimensions``; **consent**: ``consent_form``; **staff role labels**:
  ``role_labels`` (e.g. who reviews the subsidy: 旧改分指挥部).

Every type asks at least ``name``, ``phone`` and ``neighbourhood``: a case is someone, reachable
by SMS, within a committee's area. The ID number is optional; when given, one person has one open
case per programme.

The subsidy is ``intake.hardship.HARDSHIP``. To add a type: define the object, register it in
your app's ``AppConfig.ready`` with ``service_type_register``, and register its SMS texts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import ngettext

DEFAULT_SERVICE_TYPE = "hardship"


@dataclass(frozen=True)
class Lifecycle:
    """A case's life as one table: ``transitions`` maps an action to (the statuses it may be
    taken from, the status it leads to). An action not in the table for the current status is
    refused. The first status is where every new case starts."""

    statuses: Mapping[str, Promise]
    open_statuses: frozenset[str]
    transitions: Mapping[str, tuple[frozenset[str], str]]
    action_labels: Mapping[str, Promise]
    # What the resident reads on the status page for each status: plain words, what happens next.
    explanations: Mapping[str, Promise]
    # Reaching one of these is a decision: the case's decided_at, and the dashboard's time to decide.
    decisions: frozenset[str] = frozenset()
    # Which staff roles (``core.models.Role``) may take each action; an action not listed: nobody.
    action_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self):
        unknown = {target for _sources, target in self.transitions.values()} | set(self.open_statuses)
        for sources, _target in self.transitions.values():
            unknown |= set(sources)
        unknown -= set(self.statuses)
        if unknown:
            raise ValueError(f"statuses used but not declared: {sorted(unknown)}")

    @property
    def initial(self) -> str:
        return next(iter(self.statuses))

    @property
    def closed_statuses(self) -> frozenset[str]:
        return frozenset(self.statuses) - self.open_statuses

    def allowed_actions(self, status: str) -> list[str]:
        return [action for action, (sources, _target) in self.transitions.items() if status in sources]

    def status_label(self, status: str) -> str:
        return str(self.statuses.get(status, status))

    def action_label(self, action: str) -> str:
        return str(self.action_labels.get(action, action))

    def may_take(self, role: str | None, action: str) -> bool:
        return role in self.action_roles.get(action, frozenset())

    def explanation(self, status: str) -> str:
        return str(self.explanations.get(status, ""))


@dataclass(frozen=True)
class ServiceType:
    code: str
    name: Promise
    lifecycle: Lifecycle
    # Step name → question group (an ``intake.forms.QuestionForm``), in the order asked. A step
    # named "proxy" is asked only when the "who" answer is "proxy".
    question_forms: Mapping[str, type]
    step_titles: Mapping[str, Promise]
    consent_form: type
    # Status reached → the notices event whose SMS the resident gets (none: no SMS).
    sms_events: Mapping[str, str] = field(default_factory=dict)
    needs_block: bool = False
    has_categories: bool = False
    pays_out: bool = False
    # Which breakdowns the dashboard shows, of: neighbourhood, block, category, channel, status.
    dashboard_dimensions: tuple[str, ...] = ("neighbourhood", "channel", "status")
    # The dashboard's first line, (how many, as of which date) → text; a generic one if None.
    dashboard_headline: Callable[[int, str], str] | None = None
    # Staff role → how this type's pages name it (the role's own label otherwise).
    role_labels: Mapping[str, Promise] = field(default_factory=dict)

    def question_steps(self, answers: Mapping) -> list[str]:
        return [step for step in self.question_forms if step != "proxy" or answers.get("who") == "proxy"]

    def headline(self, count: int, date: str) -> str:
        if self.dashboard_headline is not None:
            return self.dashboard_headline(count, date)
        return ngettext("截至%(date)s，共受理 %(counter)s 件", "截至%(date)s，共受理 %(counter)s 件", count) % {
            "date": date,
            "counter": count,
        }

    def role_label(self, role: str, default: str = "") -> str:
        return str(self.role_labels.get(role, default))


_REGISTRY: dict[str, ServiceType] = {}


def service_type_register(service_type: ServiceType) -> ServiceType:
    existing = _REGISTRY.get(service_type.code)
    if existing is not None and existing is not service_type:
        raise ValueError(f"service type {service_type.code!r} is already registered")
    _REGISTRY[service_type.code] = service_type
    return service_type


def service_type_unregister(code: str) -> None:
    _REGISTRY.pop(code, None)


def service_type_get(code: str) -> ServiceType:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(f"no service type {code!r} is registered") from None


def service_type_of(programme) -> ServiceType:
    return service_type_get(programme.service_type or DEFAULT_SERVICE_TYPE)


def service_types() -> list[ServiceType]:
    return list(_REGISTRY.values())


def all_statuses() -> dict[str, str]:
    """Every registered status and its label (the first type to declare a status names it)."""
    labels: dict[str, str] = {}
    for service_type in _REGISTRY.values():
        for status, label in service_type.lifecycle.statuses.items():
            labels.setdefault(status, label)
    return labels


def statuses_q(which: str, *, programme_path: str = "programme", status_field: str = "status") -> Q:
    """A filter for cases (or history rows, tallies) whose status is ``which`` ("open", "closed"
    or "decisions") in their own programme's lifecycle. While every type that knows a status
    agrees on it, that is a plain ``status IN (…)``, which the status indexes serve; a status open
    in one type and not in another is asked per type."""
    chosen = {code: _statuses(service_type.lifecycle, which) for code, service_type in _REGISTRY.items()}
    union = set().union(*chosen.values())
    disputed = {
        status
        for code, service_type in _REGISTRY.items()
        for status in service_type.lifecycle.statuses
        if status in union and status not in chosen[code]
    }
    if not disputed:
        return Q(**{f"{status_field}__in": sorted(union)})
    condition = Q(**{f"{status_field}__in": sorted(union - disputed)})
    for code, statuses in chosen.items():
        if statuses & disputed:
            condition |= Q(**{f"{programme_path}__service_type": code, f"{status_field}__in": sorted(statuses & disputed)})
    return condition


def _statuses(lifecycle: Lifecycle, which: str) -> frozenset[str]:
    return {"open": lifecycle.open_statuses, "closed": lifecycle.closed_statuses, "decisions": lifecycle.decisions}[which]
