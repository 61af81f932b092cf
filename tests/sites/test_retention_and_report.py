"""Kept only as long as needed: entries and health records go after 28 days leaving daily counts;
the crew's personal data goes 28 days after the project finished; `jiedao retention run` does it.
And the 18:00 report to the committee, once a day."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiedao.lib.formatting import ANONYMISED_NAME
from jiedao.notices.models import Notice
from jiedao.sites import services
from jiedao.sites.models import DailyCount, GateEntry, Refusal, SiteWorker
from jiedao.sites.selectors import day_figures
from tests.factories import SiteFactory, site_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(programme):
    return SiteFactory()


def at_day(days_ago: int, hour: int = 9) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_entries_older_than_28_days_are_deleted_and_their_daily_counts_stay(site):
    worker, site_pass = site_worker(site)
    site_pass.valid_from = timezone.localdate() - dt.timedelta(days=40)
    site_pass.save()
    old, recent = at_day(30), at_day(3)
    for now, temperature in ((old, "36.5"), (old + dt.timedelta(minutes=1), "38.3"), (recent, "36.6")):
        services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in", temperature=temperature, now=now)
    result = services.sites_retention_run()
    assert result.entries_deleted == 2 and result.refusals_deleted == 1
    assert GateEntry.objects.count() == 1 and not Refusal.objects.exists()
    kept = day_figures(site, timezone.localtime(old).date())
    assert kept.kept is False and (kept.people, kept.refusals) == (1, 1)
    assert DailyCount.objects.filter(site=site).count() == 1
    assert services.sites_retention_run().entries_deleted == 0  # a second run changes nothing


def test_the_period_is_never_more_than_the_rule_in_force(site, settings):
    settings.JIEDAO_SITES_RETENTION_DAYS = 60
    with pytest.raises(ValueError):
        services.sites_retention_run()


def test_the_crews_personal_data_goes_28_days_after_the_project_finished(site):
    worker, site_pass = site_worker(site)
    services.site_set_status(site=site, status="finished", actor=site.responsible, now=timezone.now() - dt.timedelta(days=29))
    services.sites_retention_run()
    worker.refresh_from_db()
    assert worker.name == ANONYMISED_NAME and worker.id_number == "" and worker.phone == "" and worker.forgotten_at
    site_pass.refresh_from_db()
    assert site_pass.status == "revoked"
    assert SiteWorker.objects.count() == 1  # the row (and so the counts) stays


def test_a_project_finished_recently_keeps_its_crew(site):
    worker, _pass = site_worker(site)
    services.site_set_status(site=site, status="finished", actor=site.responsible, now=timezone.now() - dt.timedelta(days=3))
    services.sites_retention_run()
    worker.refresh_from_db()
    assert worker.name == "王建国"


def test_jiedao_retention_run_includes_the_site_register(site):
    _worker, site_pass = site_worker(site)
    site_pass.valid_from = timezone.localdate() - dt.timedelta(days=40)
    site_pass.save()
    services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in", temperature="36.5", now=at_day(35))
    out = io.StringIO()
    call_command("retention", "run", stdout=out)
    assert "工地进出记录：已删除 1 条。" in out.getvalue()
    assert not GateEntry.objects.exists()


def test_the_daily_report_goes_at_18_00_once_per_site_and_day(site):
    _worker, site_pass = site_worker(site)
    services.gate_entry_record(site=site, key=uuid.uuid4(), pass_text=site_pass.number, direction="in", temperature="36.5", now=at_day(0, 8))
    assert services.daily_reports_send(now=at_day(0, 17)) == {}
    assert services.daily_reports_send(now=at_day(0, 18)) == {"site_reports": 1}
    assert services.daily_reports_send(now=at_day(0, 19)) == {}
    sms = Notice.objects.get(event="site_daily")
    assert sms.phone == site.responsible_phone
    assert "进场1人，现在场1人，拒绝进场0人次，未测温0人" in sms.text and "王建国" not in sms.text
