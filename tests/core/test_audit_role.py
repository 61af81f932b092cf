"""The production database role documented in docs/security.md really forbids changing the audit trail."""

import os
import re
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from jiedao.core.audit import audit_record
from jiedao.core.models import AuditAction, AuditEntry

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def documented_role_sql() -> str:
    text = SECURITY_DOC.read_text()
    block = re.search(r"<!-- audit-role-sql[^>]*-->\s*```sql\n(.*?)```\s*<!-- /audit-role-sql -->", text, re.S)
    assert block, "docs/security.md lost its audit-role SQL block"
    return block.group(1)


@pytest.fixture
def app_role(transactional_db):
    """The documented role, under a name of this run's own (roles belong to the whole cluster)."""
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's; SQLite has no roles to document")
    role = f"jiedao_app_test_{os.getpid()}"
    database = connection.settings_dict["NAME"]
    sql = documented_role_sql().replace("jiedao_app", role).replace("current_database_name", f'"{database}"')
    with connection.cursor() as cursor:
        cursor.execute(sql)
    yield role, database
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def test_the_application_role_may_add_and_read_audit_entries_but_never_change_them(app_role):
    role, database = app_role
    entry = audit_record(actor=None, action=AuditAction.VIEW_CASE, reference="JGBK-2026-00001")
    params = connection.get_connection_params()
    dsn = {key: params[key] for key in ("host", "port") if params.get(key)}
    with psycopg.connect(dbname=database, user=role, autocommit=True, **dsn) as app:
        app.execute(
            "INSERT INTO core_auditentry (at, action, reference, detail) VALUES (now(), 'view_case', 'JGBK-2026-00002', '{}')"
        )
        assert app.execute("SELECT count(*) FROM core_auditentry").fetchone()[0] == 2
        for statement in (
            f"UPDATE core_auditentry SET reference = 'forged' WHERE id = {entry.pk}",
            f"DELETE FROM core_auditentry WHERE id = {entry.pk}",
            "TRUNCATE core_auditentry",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
        # Everything else the application does stays allowed.
        app.execute("UPDATE intake_programme SET name = name")
    assert AuditEntry.objects.get(pk=entry.pk).reference == "JGBK-2026-00001"
