"""Retention: closed cases past the period lose their photos and personal data; the case, its
history, the dashboard's figures and the audit trail stay."""

import datetime as dt
import io
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiedao.core.models import AuditEntry, Role
from jiedao.intake import services
from jiedao.intake.lifecycle import Action
from jiedao.intake.models import Application, Document
from jiedao.intake.retention import ANONYMISED_NAME, AUDIT_RETENTION, audit_prune, retention_run
from jiedao.intake.tallies import tallies_rebuild
from jiedao.reports.selectors import programme_stats
from jiedao.intake.transitions import Payment, application_transition
from tests.conftest import stored_files, stored_photos_for, valid_answers
from tests.factories import make_staff, valid_id_number

NOW = timezone.now()


def at(days_ago):
    return NOW - dt.timedelta(days=days_ago)


@pytest.fixture
def long_programme(programme):
    """The programme open for years, so cases can be filed and closed long ago."""
    programme.opens_on, programme.closes_on = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
    programme.save()
    return programme


@pytest.fixture
def reviewer(programme):
    return make_staff("reviewer", Role.REVIEWER)


class Cases:
    def __init__(self, programme, reviewer):
        self.programme, self.reviewer, self.serial = programme, reviewer, 800

    def submit(self, days_ago, **overrides):
        self.serial += 1
        answers = valid_answers(id_number=valid_id_number("19500101", self.serial), **overrides)
        return services.application_submit(
            programme=self.programme,
            answers=answers,
            photos=stored_photos_for(self.programme, answers["categories"]),
            now=at(days_ago),
        )

    def move(self, case, action, days_ago, **kwargs):
        return application_transition(application=case, action=action, actor=self.reviewer, now=at(days_ago), **kwargs)

    def rejected(self, days_ago, **overrides):
        case = self.submit(days_ago + 20, **overrides)
        self.move(case, Action.START_REVIEW, days_ago + 10)
        return self.move(case, Action.REJECT, days_ago, note="张志远的残疾证已过期，请重新办理后再申请。")

    def paid(self, days_ago, **overrides):
        case = self.submit(days_ago + 30, **overrides)
        self.move(case, Action.START_REVIEW, days_ago + 20)
        self.move(case, Action.APPROVE, days_ago + 10)
        return self.move(
            case, Action.RECORD_PAYMENT, days_ago, payment=Payment(Decimal("1500.00"), at(days_ago).date())
        )


@pytest.fixture
def cases(long_programme, reviewer):
    return Cases(long_programme, reviewer)


def snapshot(case):
    case = Application.objects.get(pk=case.pk)
    return {
        "status": case.status,
        "history": list(case.events.values_list("from_status", "to_status", "at", "actor_id", "channel")),
        "neighbourhood": case.neighbourhood_id,
        "block": case.block_id,
        "categories": sorted(case.categories.values_list("code", flat=True)),
        "submitted_at": case.submitted_at,
        "paid_amount": case.paid_amount,
    }


def test_closed_cases_past_the_period_lose_photos_and_personal_data_but_keep_their_history(
    cases, private_storage, reviewer
):
    proxy = {"who": "proxy", "proxy_name": "李建华", "proxy_phone": "13900000013", "proxy_relationship": "child"}
    old_paid = cases.paid(1200, household_note="独居，行动不便。", **proxy)
    old_rejected = cases.rejected(1100)
    old_files = set(Document.objects.filter(application__in=[old_paid, old_rejected]).values_list("file", flat=True))
    before = {case.pk: snapshot(case) for case in (old_paid, old_rejected)}

    result = retention_run(days=1095, now=NOW)

    assert sorted(result.references) == sorted([old_paid.reference, old_rejected.reference])
    assert result.files_deleted == len(old_files) == 8
    on_disk = {p.relative_to(private_storage).as_posix() for p in stored_files(private_storage)}
    assert not old_files & on_disk
    for case in (old_paid, old_rejected):
        case = Application.objects.get(pk=case.pk)
        assert snapshot(case) == before[case.pk]  # status, history, statistics dimensions, payment
        assert not case.documents.exists()
        assert case.applicant_name == ANONYMISED_NAME and not case.name_pinyin and not case.name_initials
        assert case.id_number == "" and not any(getattr(case, f) for f in Application.ID_NUMBER_FIELDS)
        assert case.phone == "" and case.address == "" and case.household_note == ""
        assert (case.proxy_name, case.proxy_phone, case.proxy_relationship) == ("", "", "")
        assert not case.events.exclude(note="").exists()
        assert case.notices.exists() and not case.notices.exclude(phone="").exists()
        assert not case.notices.exclude(text="").exists()


def test_recent_and_open_cases_are_kept_whole(cases, private_storage):
    recent = cases.rejected(100)
    still_open = cases.submit(1500)  # old, but never closed: never past retention
    old_paid = cases.paid(2000)
    approved_case = cases.submit(1300)
    cases.move(approved_case, Action.START_REVIEW, 1290)
    cases.move(approved_case, Action.APPROVE, 1280)  # approved, not yet paid: still open
    keep = [recent, still_open, approved_case]
    files = {c.pk: set(c.documents.values_list("file", flat=True)) for c in keep}

    result = retention_run(days=1095, now=NOW)

    assert result.references == [old_paid.reference]
    on_disk = {p.relative_to(private_storage).as_posix() for p in stored_files(private_storage)}
    for case in keep:
        case.refresh_from_db()
        assert case.applicant_name == "张志远" and case.id_number and case.phone == "13812345678"
        assert files[case.pk] <= on_disk and set(case.documents.values_list("file", flat=True)) == files[case.pk]


def test_the_dashboard_figures_are_the_same_after_retention_and_after_a_rebuild(cases, long_programme):
    leader = make_staff("leader", Role.LEADER)
    cases.paid(1300)
    cases.rejected(1200, categories=["disabled", "elderly_alone"])
    cases.rejected(50)
    cases.submit(10)
    figures = programme_stats(leader, long_programme)

    assert len(retention_run(days=1095, now=NOW).references) == 2

    assert programme_stats(leader, long_programme) == figures
    tallies_rebuild()
    assert programme_stats(leader, long_programme) == figures


def test_a_retention_run_is_audited_and_never_deletes_audit_entries(cases, reviewer):
    case = cases.rejected(1200)
    entries = set(AuditEntry.objects.values_list("pk", flat=True))
    assert entries  # the transitions wrote some

    retention_run(days=1095, now=NOW)

    assert entries <= set(AuditEntry.objects.values_list("pk", flat=True))
    run = AuditEntry.objects.filter(action=AUDIT_RETENTION).get()
    assert run.detail["cases"] == 1 and run.detail["references"] == [case.reference]
    assert run.detail["dry_run"] is False and run.detail["retention_days"] == 1095


def test_a_dry_run_changes_nothing_and_a_second_run_finds_nothing_more(cases, private_storage):
    case = cases.rejected(1200)
    files = len(stored_files(private_storage))
    out = io.StringIO()
    call_command("retention", "run", "--dry-run", "--days", "1095", stdout=out)
    assert case.reference in out.getvalue()
    case.refresh_from_db()
    assert case.applicant_name == "张志远" and case.documents.count() == 4
    assert len(stored_files(private_storage)) == files

    call_command("retention", "run", "--days", "1095", stdout=io.StringIO())
    assert retention_run(days=1095).references == []
    dry, real, again = AuditEntry.objects.filter(action=AUDIT_RETENTION).order_by("at", "id")
    assert (dry.detail["dry_run"], real.detail["cases"], again.detail["cases"]) == (True, 1, 0)


def test_the_retention_period_is_a_setting(cases, settings):
    case = cases.rejected(400)
    settings.JIEDAO_RETENTION_DAYS = 1095
    assert retention_run().references == []
    settings.JIEDAO_RETENTION_DAYS = 365
    assert retention_run().references == [case.reference]


# Pruning the audit trail itself: only when configured, never below 180 days.


def _audit_at(days_ago):
    return AuditEntry.objects.create(action="view_case", reference="JGBK-2020-00001", at=at(days_ago))


def test_audit_entries_are_kept_for_good_unless_a_keep_period_is_set(db, settings):
    settings.JIEDAO_AUDIT_KEEP_DAYS = None
    old = _audit_at(4000)
    assert audit_prune() == 0
    assert AuditEntry.objects.filter(pk=old.pk).exists()


def test_audit_pruning_keeps_at_least_180_days(db, settings):
    with pytest.raises(ValueError):
        audit_prune(keep_days=179)
    kept, gone = _audit_at(179), _audit_at(181)
    settings.JIEDAO_AUDIT_KEEP_DAYS = 180
    assert audit_prune() == 1
    assert AuditEntry.objects.filter(pk=kept.pk).exists()
    assert not AuditEntry.objects.filter(pk=gone.pk).exists()
    assert AuditEntry.objects.filter(action="audit_prune", detail__deleted=1).exists()


def test_a_keep_period_under_180_days_stops_the_settings_from_loading():
    env = {**os.environ, "JIEDAO_AUDIT_KEEP_DAYS": "90", "DJANGO_SETTINGS_MODULE": "jiedao.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "JIEDAO_AUDIT_KEEP_DAYS must be at least 180" in done.stderr
