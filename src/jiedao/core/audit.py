"""Writing the audit trail: one call per thing a member of staff saw or did."""

from __future__ import annotations

from jiedao.lib.addresses import client_ip_address

from .models import AuditAction, AuditEntry


def client_ip(request) -> str | None:
    """The client's address, read through our trusted proxies like the lockout reads it."""
    return client_ip_address(request) if request is not None else None


def audit_record(*, actor, action: AuditAction | str, reference: str = "", ip: str | None = None, **detail) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        reference=reference,
        ip_address=ip,
        detail=detail,
    )
