"""working_days_ms (issue 17): a bad rating's rectification is due 15 working days ahead on
China's official calendar (holidays and 调休 included). The dashboard, an import or a year of
ratings computes that for many cases at once: here 100,000 of them, rating dates spread over
2024–2026, through ``jiedao.ratings.workdays.WorkCalendar`` (the workdays precomputed once as a
sorted list of ordinals, each due date one ``bisect``), the calendar's build included in the time.

Baseline: the naive way, a day-by-day loop per case asking ``chinese_calendar.is_workday``, timed
on 2,000 of the same cases and scaled to 100,000; the two must give the same dates (checked on
those 2,000). In-process, no database: the admin table's extra days only add overrides.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from .stats import ratio

CASES, BASELINE_CASES, WORKING_DAYS = 100_000, 2_000, 15


def bench_ratings(profile: dict) -> list[dict]:
    import chinese_calendar

    from jiedao.ratings.workdays import WorkCalendar

    rng = random.Random(17)
    first = dt.date(2024, 1, 1).toordinal()
    starts = [dt.date.fromordinal(first + rng.randrange(0, 3 * 365 - 40)) for _ in range(CASES)]

    clock = time.perf_counter()
    calendar = WorkCalendar(first_year=2004, last_year=2029)
    build_s = time.perf_counter() - clock
    add = calendar.add_working_days
    dues = [add(start, WORKING_DAYS) for start in starts]
    value_s = time.perf_counter() - clock

    def naive(start: dt.date) -> dt.date:
        day, counted = start, 0
        while counted < WORKING_DAYS:
            day += dt.timedelta(days=1)
            counted += chinese_calendar.is_workday(day)
        return day

    clock = time.perf_counter()
    naive_dues = [naive(start) for start in starts[:BASELINE_CASES]]
    baseline_s = (time.perf_counter() - clock) * CASES / BASELINE_CASES
    wrong = sum(1 for a, b in zip(dues, naive_dues, strict=False) if a != b)
    return [
        {
            "database": "none",
            "dataset_size": CASES,
            "name": "working_days_ms",
            "value": round(value_s * 1000, 1),
            "unit": "ms",
            "baseline_name": "day_by_day_is_workday_ms",
            "baseline_value": round(baseline_s * 1000, 1),
            "ratio": ratio(value_s, baseline_s),
            "notes": f"Due dates {WORKING_DAYS} working days after {CASES:,} rating dates (2024–2026) with "
            f"ratings.workdays.WorkCalendar: the calendar of 2004–2029 built once ({build_s * 1000:.0f} ms, "
            "included), then one bisect per case. Baseline: a day-by-day loop per case with "
            f"chinese_calendar.is_workday, timed on {BASELINE_CASES:,} cases and scaled; {wrong} of those "
            "dates differ (goal 0). Goal: <= 1,000 ms.",
        }
    ]
