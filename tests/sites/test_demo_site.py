"""The demo's site: 光机小区加装电梯 with its builder, a crew of 8, their passes and a week of entries
with one refusal, loaded once."""

import pytest
from django.utils import timezone

from jiedao.core.models import Role
from jiedao.ops.demo import load_places, load_sites
from jiedao.sites.models import GateEntry, Refusal, Site
from jiedao.sites.selectors import week_figures
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_the_demo_site_has_a_crew_of_8_a_week_of_entries_and_one_refusal():
    load_places()
    make_staff("worker_zx", Role.WORKER, ["zhongxing", "guangji"])
    assert load_sites() == 1
    site = Site.objects.get(code="guangji-elevator")
    assert site.name == "光机小区加装电梯" and site.workers.count() == 8
    assert site.passes.filter(status="approved").count() == 8
    week = week_figures(site, timezone.localdate())
    assert all(day.people >= 7 for day in week)
    refusal = Refusal.objects.get()
    assert refusal.closed_at and refusal.note
    assert GateEntry.objects.filter(outcome="refused").count() == 1
    assert load_sites() == 0
