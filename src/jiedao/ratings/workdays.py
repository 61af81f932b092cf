"""Working days on China's official calendar, adjusted workdays (调休) included: a bad rating's
rectification is due a number of *working* days after the rating.

The State Council publishes each year's holidays and the weekend days worked in their place
(调休) late in the year before; the ``chinesecalendar`` package carries them for the years it
knows. For a year it does not know yet, the office types the holidays and adjusted workdays into
the admin table (``models.CalendarDay``); a date in a year that neither knows falls back to
Monday–Friday, and whoever computes a due date there is warned (``WorkCalendar.is_known``).

A due date must be computed for many cases at once (the dashboard, a bulk import, the bench's
100,000), so the calendar is built once as a sorted list of the workdays' ordinals over the years
around now, and a due date is one ``bisect`` into it plus an index: no loop over days per case.
Pure Python, no Django: ``calendar_current`` (in ``services``' terms, a read) builds it with the
admin table's rows.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping

import chinese_calendar

# The years chinesecalendar carries the State Council's notice for.
PACKAGE_YEARS: frozenset[int] = frozenset(day.year for day in chinese_calendar.holidays)


class WorkCalendar:
    """Workdays from ``first_year`` to ``last_year``: the package's calendar where it knows the
    year, Monday–Friday elsewhere, and ``overrides`` (date → True for a workday, False for a
    holiday) over both."""

    def __init__(
        self,
        *,
        first_year: int,
        last_year: int,
        overrides: Mapping[dt.date, bool] | None = None,
        package_years: Iterable[int] = PACKAGE_YEARS,
    ) -> None:
        overrides = dict(overrides or {})
        self.package_years = frozenset(package_years)
        self.known_years = self.package_years | {day.year for day in overrides}
        self.first = dt.date(first_year, 1, 1)
        self.last = dt.date(last_year, 12, 31)
        workdays: list[int] = []
        day = self.first
        one = dt.timedelta(days=1)
        while day <= self.last:
            if day in overrides:
                working = overrides[day]
            elif day.year in self.package_years:
                working = day.weekday() < 5
                if day in chinese_calendar.holidays:
                    working = False
                elif day in chinese_calendar.workdays and day.weekday() >= 5:
                    working = True  # 调休: a weekend day worked in lieu of a holiday
            else:
                working = day.weekday() < 5
            if working:
                workdays.append(day.toordinal())
            day += one
        self._workdays = workdays

    def is_known(self, year: int) -> bool:
        """Whether ``year``'s holidays are known (the package or the admin table has them)."""
        return year in self.known_years

    def is_workday(self, day: dt.date) -> bool:
        index = bisect_right(self._workdays, day.toordinal())
        return index > 0 and self._workdays[index - 1] == day.toordinal()

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted, whatever it
        is): 15 working days after a rating on Friday 2026-09-25 skip the National Day week and
        land on a day after the two 调休 Saturdays are counted."""
        if days < 1:
            raise ValueError("days must be at least 1")
        index = bisect_right(self._workdays, start.toordinal()) + days - 1
        if start < self.first or index >= len(self._workdays):
            raise ValueError(f"{start} + {days} working days is outside {self.first}…{self.last}")
        return dt.date.fromordinal(self._workdays[index])

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
        if end <= start:
            return 0
        return bisect_right(self._workdays, end.toordinal()) - bisect_right(self._workdays, start.toordinal())
