"""A service names its own audit actions without a migration of core.

The next services (activities, the site register, outreach…) write audit entries of their own;
each registers its actions in its AppConfig.ready, and the audit page and its filter show them.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from jiedao.core.audit import audit_record
from jiedao.core.models import AUDIT_ACTION_LABELS, AuditEntry, audit_action_register
from tests.conftest import sign_in


@pytest.fixture
def sign_up_action():
    audit_action_register("activity_sign_up", "活动报名")
    yield "activity_sign_up"
    AUDIT_ACTION_LABELS.pop("activity_sign_up", None)


def test_a_registered_action_is_named_on_the_audit_page_and_offered_in_its_filter(client, leader, sign_up_action):
    audit_record(actor=leader, action=sign_up_action, reference="HD-2026-00001")
    sign_in(client, leader)
    page = client.get("/staff/audit/").content.decode()
    assert "活动报名" in page
    assert f'<option value="{sign_up_action}">活动报名</option>' in page
    filtered = client.get("/staff/audit/", {"action": sign_up_action}).content.decode()
    assert "HD-2026-00001" in filtered


def test_registering_an_action_needs_no_migration(db, sign_up_action):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits non-zero on a change
    assert "No changes detected" in out.getvalue()


def test_an_action_too_long_for_the_column_is_refused_at_start_up():
    with pytest.raises(ValueError, match="longer than the column"):
        audit_action_register("a_name_far_too_long_for_the_column", "…")
    assert AuditEntry._meta.get_field("action").max_length == 24
