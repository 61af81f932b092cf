"""Fifty residents pressing submit at the same instant, on SQLite and on PostgreSQL: no error, every
reference unique, the numbers 1…50 with no gap, and the year of the reference the Shanghai year."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from jiedao.intake import services
from jiedao.intake.models import Application, ReferenceCounter, SubmissionTally
from tests.conftest import run_concurrently, stored_photos_for, valid_answers
from tests.factories import hardship_programme, valid_id_number

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SUBMITTERS = 50


def _programme_open_over_new_year():
    programme = hardship_programme()
    programme.opens_on = dt.date(2026, 12, 1)
    programme.closes_on = dt.date(2027, 2, 1)
    programme.save()
    return programme


def _sequence(reference):
    return int(reference.rsplit("-", 1)[1])


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submitters_all_get_a_unique_consecutive_reference():
    programme = hardship_programme()
    # One set of stored pages shared by every submission: the photos are not under test here.
    photos = stored_photos_for(programme, ["disabled"])

    def one(index):
        return services.application_submit(
            programme=programme,
            answers=valid_answers(id_number=valid_id_number("19500101", 400 + index), phone=f"138{index:08d}"),
            photos=photos,
        ).reference

    references, errors = run_concurrently(SUBMITTERS, one)
    assert errors == []
    year = timezone.localdate().year
    assert all(r.startswith(f"JGBK-{year}-") for r in references)
    assert sorted(_sequence(r) for r in references) == list(range(1, SUBMITTERS + 1))
    assert Application.objects.count() == SUBMITTERS
    assert ReferenceCounter.objects.get(programme=programme, year=year).last == SUBMITTERS
    # The dashboard's running count, bumped in each transaction, saw every one of them.
    assert sum(SubmissionTally.objects.values_list("count", flat=True)) == SUBMITTERS


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submitters_across_midnight_of_new_year_in_shanghai():
    """Half submit at 23:59:59 on 31 December Shanghai time, half at 00:00:01 on 1 January
    (16:00:01 UTC, still 2026 in UTC): each half is numbered from 1 in its own Shanghai year."""
    programme = _programme_open_over_new_year()
    photos = stored_photos_for(programme, ["disabled"])
    before = dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    after = dt.datetime(2026, 12, 31, 16, 0, 1, tzinfo=dt.UTC)
    assert timezone.localtime(after).date() == dt.date(2027, 1, 1)

    def one(index):
        return services.application_submit(
            programme=programme,
            answers=valid_answers(id_number=valid_id_number("19500101", 600 + index)),
            photos=photos,
            now=before if index % 2 else after,
        ).reference

    references, errors = run_concurrently(SUBMITTERS, one)
    assert errors == []
    by_year = {
        year: sorted(_sequence(r) for r in references if r.startswith(f"JGBK-{year}-")) for year in (2026, 2027)
    }
    assert by_year == {2026: list(range(1, 26)), 2027: list(range(1, 26))}


def test_a_submission_one_second_before_midnight_is_numbered_in_the_old_year(programme, monkeypatch):
    """Through the service's own clock (no ``now`` passed), as the wizard and the API call it."""
    programme.opens_on, programme.closes_on = dt.date(2026, 12, 1), dt.date(2027, 2, 1)
    programme.save()
    photos = stored_photos_for(programme, ["disabled"])

    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 12, 31, 15, 59, 59, tzinfo=dt.UTC))
    old_year = services.application_submit(programme=programme, answers=valid_answers(), photos=photos)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 12, 31, 16, 0, 1, tzinfo=dt.UTC))
    new_year = services.application_submit(
        programme=programme, answers=valid_answers(id_number=valid_id_number("19600101", 222)), photos=photos
    )

    assert old_year.reference == "JGBK-2026-00001"
    assert new_year.reference == "JGBK-2027-00001"
    assert timezone.localtime(new_year.submitted_at) == dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=SHANGHAI)
