"""City scale, per database (SQLite; PostgreSQL when it answers, in jiedao_bench, never `test`):
generate_rate_per_s, then the staff pages (staff.py), the export (export.py) and the SMS outbox
(notices.py) on that data.

A district's back office must stay quick with a million applications in it, and the issue asked
for a million generated within 10 minutes. So `jiedao demo generate` (1,000,000; --quick 5,000)
is timed from outside (start to exit, tallies_rebuild included) against that goal rate, the only
baseline there is; then, as signed-in staff, the dashboard, the queue and the search box vs GET
/healthz, sequentially; the export of ~100,000 rows vs openpyxl alone, with the worker's peak RSS;
then notices_per_s. Each database's run ends with the time each of its phases took.
"""

from __future__ import annotations

import re
import resource
import subprocess
import time

from .config import BIN
from .export import bench_export, export_rows
from .goals import GOAL_APPLICATIONS, GOAL_SECONDS
from .notices import bench_notices, notices_rows
from .server import makefile_run_settings, shell_json, workspace
from .staff import _SEARCH_SAMPLES, _STAFF_SESSIONS, bench_staff_pages, staff_page_rows
from .stats import ratio

# Picks the run of consecutive days whose applications come closest to the target, then counts
# the applications of that range directly (not from the tallies) to check the export against.
_EXPORT_RANGE = """
import datetime as dt, json
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from jiedao.intake.models import Application, SubmissionTally
target = {target}
days = list(SubmissionTally.objects.values("day").annotate(n=Sum("count")).order_by("day").values_list("day", "n"))
best = None
for i in range(len(days)):
    total = 0
    for j in range(i, len(days)):
        total += days[j][1]
        if best is None or abs(total - target) < abs(best[2] - target):
            best = (days[i][0], days[j][0], total)
        if total > target:
            break
start = timezone.make_aware(dt.datetime.combine(best[0], dt.time.min))
end = timezone.make_aware(dt.datetime.combine(best[1] + dt.timedelta(days=1), dt.time.min))
print(json.dumps({{"vendor": connection.vendor, "from": best[0].isoformat(), "to": best[1].isoformat(),
                  "rows": Application.objects.filter(submitted_at__gte=start, submitted_at__lt=end).count(),
                  "total": Application.objects.count()}}))
"""


def generate_dataset(env: dict, count: int, log) -> dict:
    """`jiedao demo generate --applications N`, timed from outside; its progress is echoed.
    Also its CPU time (the command and its writer processes, from getrusage of children)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [str(BIN / "jiedao"), "demo", "generate", "--applications", str(count)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last, shown, echoed = "", 0.0, ""
    try:
        for line in proc.stdout:
            log.write(line.encode())
            last = line.strip() or last
            if time.perf_counter() - shown >= 30:  # an echo every 30 s is enough
                shown, echoed = time.perf_counter(), last
                print(f"[bench]     generate: {last}", flush=True)
            if time.perf_counter() - started > 3 * 3600:
                raise RuntimeError("jiedao demo generate ran for more than 3 hours")
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    if proc.returncode:
        raise RuntimeError(f"jiedao demo generate failed ({proc.returncode}): {last}")
    if last != echoed:
        print(f"[bench]     generate: {last}", flush=True)
    split = re.search(r"写入申请 ([\d.]+) 秒，重算统计 ([\d.]+) 秒", last)
    workers = re.search(r"(\d+) 个写入进程", last)
    return {
        "seconds": seconds,
        "rows_seconds": float(split.group(1)) if split else float("nan"),
        "tallies_seconds": float(split.group(2)) if split else float("nan"),
        "workers": int(workers.group(1)) if workers else None,
        "cpu_seconds": cpu,
    }


def bench_city_scale(profile: dict, databases: list[str], parts: tuple[str, ...] = ("city", "notices")) -> list[dict]:
    rows = []
    for database in databases:
        what = f"{profile['applications']:,} applications" if "city" in parts else "the demo data"
        print(f"[bench]   {database}: {what} ...", flush=True)
        rows += city_scale_on(database, profile, parts)
    return rows


def city_scale_on(database: str, profile: dict, parts: tuple[str, ...] = ("city", "notices")) -> list[dict]:
    clock = time.perf_counter()
    rows = []
    with workspace("jiedao-bench-city-", "server.log", database) as ws:
        phases = {"set-up": time.perf_counter() - clock}
        if "city" in parts:
            generated = generate_dataset(ws.env, profile["applications"], ws.log)
            phases["generate"] = generated["seconds"]

            clock = time.perf_counter()
            # One `jiedao shell` for the three (each start of Django costs seconds on a busy machine).
            script = "\n".join([_EXPORT_RANGE.format(target=profile["export_rows"]), _SEARCH_SAMPLES.format(count=40),
                                _STAFF_SESSIONS.format(usernames=("leader", "reviewer"))])  # fmt: skip
            window, samples, sessions = shell_json(ws.env, script, count=3)
            phases["samples and sessions"] = time.perf_counter() - clock

            clock = time.perf_counter()
            server, port = ws.start_server()
            phases["server start"] = time.perf_counter() - clock
            clock = time.perf_counter()
            pages = bench_staff_pages(port, sessions, profile, window["total"], samples)
            phases["staff pages"] = time.perf_counter() - clock
            clock = time.perf_counter()
            export = bench_export(server, port, sessions, profile, window, ws.tmp)
            phases["export"] = time.perf_counter() - clock
            ws.stop_server()
        if "notices" in parts:
            clock = time.perf_counter()
            notices = bench_notices(ws.env, ws.tmp, profile)
            phases["notices"] = time.perf_counter() - clock
            rows += notices_rows(notices, profile)
    if "city" in parts:
        rows = city_scale_rows(window["vendor"], profile, generated, pages, export, window, phases) + rows
    return rows


def city_scale_rows(vendor, profile, generated, pages, export, window, phases) -> list[dict]:
    workers, _threads = makefile_run_settings()
    count = profile["applications"]
    total = window["total"]
    timing = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items())
    server = f"gunicorn with {workers} uvicorn workers (as `make run`), {vendor}, {total:,} applications"
    goal_rate = GOAL_APPLICATIONS / GOAL_SECONDS
    rate = count / generated["seconds"]
    common = {"database": vendor}
    return [
        {
            **common,
            "dataset_size": count,
            "name": "generate_rate_per_s",
            "value": round(rate, 1),
            "unit": "applications/s",
            "baseline_name": "goal_rate_per_s",
            "baseline_value": round(goal_rate, 1),
            "ratio": ratio(rate, goal_rate),
            "notes": f"`jiedao demo generate --applications {count}` timed from outside (process start to "
            f"exit): {generated['seconds']:.0f} s, of which writing the rows {generated['rows_seconds']:.0f} s and "
            f"tallies_rebuild (+ ANALYZE on PostgreSQL) {generated['tallies_seconds']:.0f} s; {generated['workers']} writer processes. "
            f"CPU of the command and its writers {generated['cpu_seconds']:.0f} s "
            f"({1000 * generated['cpu_seconds'] / count:.2f} ms per application, "
            f"{generated['cpu_seconds'] / generated['seconds']:.2f} cores busy on average; the database server's "
            "own CPU, for PostgreSQL, is not in it). Baseline: the rate of "
            f"{GOAL_APPLICATIONS:,} applications in {GOAL_SECONDS // 60} minutes (a goal, not a measurement); "
            f"ratio >= 1 meets it. Phases of this database's run: {timing}.",
        },
        *staff_page_rows(common, total, pages, profile, server),
        *export_rows(common, export, window),
    ]
