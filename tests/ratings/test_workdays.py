"""Due dates in working days on China's official calendar: holidays skipped, the weekend days
worked in their place (调休) counted, years the package does not know warned about and filled in
from the admin table."""

import datetime as dt
import random

import chinese_calendar
import pytest

from jiedao.ratings.models import CalendarDay
from jiedao.ratings.services import calendar_current, due_date
from jiedao.ratings.workdays import PACKAGE_YEARS, WorkCalendar

D = dt.date


@pytest.fixture(scope="module")
def calendar():
    return WorkCalendar(first_year=2020, last_year=2030)


def test_national_day_is_skipped_and_the_adjusted_sunday_is_a_workday(calendar):
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October worked (调休).
    assert calendar.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert calendar.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert calendar.add_working_days(D(2025, 10, 9), 2) == D(2025, 10, 11)
    assert calendar.is_workday(D(2025, 10, 11)) and not calendar.is_workday(D(2025, 10, 3))


def test_fifteen_working_days_over_the_spring_festival(calendar):
    # A rating on Friday 13 February 2026: the Spring Festival week off, Saturday 14 February and
    # Saturday 28 February worked; the count agrees with the package asked day by day.
    start = D(2026, 2, 13)
    day, counted = start, 0
    while counted < 15:
        day += dt.timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    assert calendar.add_working_days(start, 15) == day


def test_the_bisect_agrees_with_the_package_day_by_day_on_random_dates(calendar):
    rng = random.Random(17)
    for _ in range(200):
        start = D(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 600))
        days = rng.randrange(1, 20)
        day, counted = start, 0
        while counted < days:
            day += dt.timedelta(days=1)
            counted += chinese_calendar.is_workday(day)
        assert calendar.add_working_days(start, days) == day


def test_a_year_the_package_does_not_know_is_monday_to_friday_and_says_so(calendar):
    unknown = max(PACKAGE_YEARS) + 2
    assert not calendar.is_known(unknown)
    first_monday = next(D(unknown, 1, d) for d in range(1, 8) if D(unknown, 1, d).weekday() == 0)
    assert calendar.add_working_days(first_monday, 5) == first_monday + dt.timedelta(days=7)


def test_the_admin_table_fills_in_an_unknown_year():
    year = max(PACKAGE_YEARS) + 1
    holiday = D(year, 1, 1) if D(year, 1, 1).weekday() < 5 else D(year, 1, 2 + (7 - D(year, 1, 1).weekday()) % 7)
    calendar = WorkCalendar(first_year=year - 1, last_year=year + 1, overrides={holiday: False})
    assert calendar.is_known(year)
    assert not calendar.is_workday(holiday)


@pytest.mark.django_db
def test_due_date_warns_in_an_unknown_year_until_the_admin_adds_it(settings):
    settings.JIEDAO_RATING_RECTIFY_WORKING_DAYS = 15
    year = max(PACKAGE_YEARS) + 1
    due, unknown = due_date(D(year, 3, 2), calendar=calendar_current(today=D(year, 3, 2)))
    assert unknown
    holiday = next(D(year, 3, d) for d in range(4, 12) if D(year, 3, d).weekday() < 5)
    CalendarDay.objects.create(date=holiday, workday=False, note="补充的假日")
    due_after, unknown_after = due_date(D(year, 3, 2), calendar=calendar_current(today=D(year, 3, 2)))
    assert not unknown_after  # the office has entered that year
    assert due_after > due  # one more day off within the period


@pytest.mark.django_db
def test_due_date_in_a_known_year_is_not_warned(settings):
    settings.JIEDAO_RATING_RECTIFY_WORKING_DAYS = 15
    due, unknown = due_date(D(2026, 9, 25), calendar=calendar_current(today=D(2026, 9, 25)))
    assert not unknown
    assert due > D(2026, 10, 7)  # National Day week skipped
