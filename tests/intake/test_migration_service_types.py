"""Migration 0008 (service types) keeps every row of a database made before it.

The database is taken back to the migrations before service types, filled through the models as
they were then, and migrated forward: the cases, their history and tallies are all still there,
the programme is the subsidy, and the indexes the queue's prefix search uses survive SQLite's
rebuild of the application table. (Run by hand on a copy of a 10,000-case `jiedao demo generate`
database as well, on SQLite and PostgreSQL: same rows and checksums before and after.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("intake", "0007_search_prefix_indexes"), ("core", "0008_audit_action_registry"), ("notices", "0004_reference_reminder")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        return {index for index in connection.introspection.get_constraints(cursor, "intake_application")}


@pytest.mark.django_db(transaction=True)
def test_service_types_migrate_a_subsidy_database_forward_without_losing_a_row():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app back to where it was, those that depend on these too
    old = _migrate(BEFORE)
    try:
        Subdistrict = old.get_model("core", "Subdistrict")
        Neighbourhood = old.get_model("core", "Neighbourhood")
        Block = old.get_model("core", "Block")
        Programme = old.get_model("intake", "Programme")
        Application = old.get_model("intake", "Application")
        ApplicationEvent = old.get_model("intake", "ApplicationEvent")
        SubmissionTally = old.get_model("intake", "SubmissionTally")
        subdistrict = Subdistrict.objects.create(code="zj", name="芷江西路街道", district="静安区", city="上海市")
        neighbourhood = Neighbourhood.objects.create(subdistrict=subdistrict, code="zjxc", name="芷江新村")
        block = Block.objects.create(subdistrict=subdistrict, code="b241", name="241街坊")
        today = timezone.localdate()
        programme = Programme.objects.create(
            code="JGBK", name="帮困", subdistrict=subdistrict, opens_on=today - dt.timedelta(days=3), closes_on=today
        )
        now = timezone.now()
        for number in range(1, 4):
            case = Application.objects.create(
                reference=f"JGBK-2026-{number:05d}", programme=programme, status="in_review" if number == 1 else "submitted",
                applicant_name=f"申请人{number}", id_number_hash=f"hash{number}", phone="13812345678",
                address_road="中兴路", address_number=str(number), neighbourhood=neighbourhood, block=block,
                channel="online", consent_version="v1", consent_at=now, sensitive_consent_at=now, submitted_at=now,
            )  # fmt: skip
            ApplicationEvent.objects.create(application=case, at=now, to_status="submitted", channel="online")
        SubmissionTally.objects.create(
            programme=programme, day=today, neighbourhood=neighbourhood, block=block, channel="online", count=3
        )
    finally:
        new = _migrate(latest)

    assert {"app_name_prefix_idx", "app_pinyin_prefix_idx", "app_initials_prefix_idx"} <= _index_names()
    Application = new.get_model("intake", "Application")
    cases = list(Application.objects.order_by("reference").values_list("reference", "status", "block__code", "id_number_hash"))
    assert cases == [
        ("JGBK-2026-00001", "in_review", "b241", "hash1"),
        ("JGBK-2026-00002", "submitted", "b241", "hash2"),
        ("JGBK-2026-00003", "submitted", "b241", "hash3"),
    ]
    assert new.get_model("intake", "Programme").objects.get().service_type == "hardship"
    assert new.get_model("intake", "ApplicationEvent").objects.count() == 3
    assert new.get_model("intake", "SubmissionTally").objects.get().count == 3
