"""The command line: `bench/run.py [--quick] [--only NAME] [--postgres | --no-postgres]
[--applications N]`, and the run itself, group by group.

A full run is five groups, in order: the photo pipeline in-process (photo_pipeline.py), the
batch work of rosters and activities in a fresh interpreter (services_rosters.py), the
ratings' working-day due dates in-process (ratings.py), the
public server (public.py: the lookup, slow clients, submissions, the surge), and city scale per
database (city.py: generate, staff pages, export, notices). `--only NAME` runs one metric, or
the least that measures it: the city-scale metrics share one generated dataset, so any of them
runs them all but the notices, and `notices_per_s` runs alone on the demo data. The results of
whatever ran go to report.write_reports. `--loadgen SPEC` (internal) turns this process into the
load generator of a phase (load.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from . import __doc__ as package_doc
from .city import bench_city_scale
from .config import PROFILES
from .goals import CITY_SCALE_METRICS
from .load import loadgen
from .photo_pipeline import bench_photo_pipeline
from .public import bench_public
from .ratings import bench_ratings
from .report import RESULTS_JSON, RESULTS_MD, machine_facts, write_reports
from .server import PG_SERVER, postgres_available
from .services_rosters import bench_rosters
from .services_sites import bench_sites
from .enterprises_ledger import bench_enterprises

# What --only runs: metric name -> (group, parts of that group).
ONLY = {
    "photo_pipeline_per_s": ("photo_pipeline", ()),
    "roster_generate_s": ("rosters", ()),
    "reminders_queue_s": ("rosters", ()),
    "working_days_ms": ("ratings", ()),
    "gate_entry_p95_ms": ("sites", ()),
    "retention_purge_s": ("sites", ()),
    "ledger_balance_ms": ("enterprises", ()),
    "handout_race": ("enterprises", ()),
    "status_lookup_rps": ("public", ("status",)),
    "home_rps": ("public", ("status",)),
    "slow_clients_p95_ratio": ("public", ("slow",)),
    "submit_photos_per_s": ("public", ("submit",)),
    "surge_error_rate": ("public", ("surge",)),
    "signup_rps": ("public", ("activities",)),
    "checkin_p95_ms": ("public", ("activities",)),
    "notice_page_rps": ("public", ("bulletins",)),
    "public": ("public", ("status", "activities", "bulletins", "slow", "submit", "surge")),
    "city_scale": ("city_scale", ("city", "notices")),
    "notices_per_s": ("city_scale", ("notices",)),
    **{name: ("city_scale", ("city",)) for name in CITY_SCALE_METRICS if not name.startswith("notices")},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=package_doc.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="short run (under 3 min)")
    parser.add_argument("--only", choices=sorted(ONLY),
                        help="run one metric (a city-scale metric runs all of them but notices_per_s; "
                        "`public` runs the status lookup, the submissions and the surge)")  # fmt: skip
    postgres = parser.add_mutually_exclusive_group()
    postgres.add_argument("--postgres", action="store_true",
                          help=f"city_scale on PostgreSQL too ({PG_SERVER}), failing if it does not answer "
                          "(default: when it answers)")  # fmt: skip
    postgres.add_argument("--no-postgres", action="store_true", help="city_scale on SQLite only")
    parser.add_argument("--applications", type=int, help="city_scale dataset size (default 1,000,000; --quick 10,000)")
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)  # internal: the load-generating process
    args = parser.parse_args()
    if args.loadgen:
        print(json.dumps(loadgen(json.loads(args.loadgen))))
        return 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the server
    mode = "quick" if args.quick else "full"
    profile = dict(PROFILES[mode])
    if args.applications:
        profile["applications"] = args.applications
    group, parts = ONLY[args.only] if args.only else (None, None)
    databases = ["sqlite"]
    if group in (None, "city_scale") and not args.no_postgres:
        if postgres_available():
            databases.append("postgresql")
        elif args.postgres:
            print(f"[bench] --postgres: nothing answers at {PG_SERVER}", file=sys.stderr)
            return 2
    facts = machine_facts()
    started = time.monotonic()
    rows = []
    benches = {
        "photo_pipeline": lambda: bench_photo_pipeline(profile),
        "rosters": lambda: bench_rosters(profile),
        "ratings": lambda: bench_ratings(profile),
        "public": lambda: bench_public(profile, parts or ("status", "activities", "bulletins", "slow", "submit", "surge")),
        "sites": lambda: bench_sites(profile),
        "enterprises": lambda: bench_enterprises(profile),
        "city_scale": lambda: bench_city_scale(profile, databases, parts or ("city", "notices")),
    }
    for name, bench in benches.items():
        if group in (None, name):
            print(f"[bench] {name} ({mode}) ...", flush=True)
            clock = time.monotonic()
            new = bench()
            print(f"[bench] {name} took {time.monotonic() - clock:.0f} s", flush=True)
            rows += new
            for row in new:
                print(f"[bench]   {row['name']} [{row['database']}]: {row['value']} {row['unit']} "
                      f"(baseline {row['baseline_value']}, ratio {row['ratio']})", flush=True)  # fmt: skip
    write_reports(rows, facts, mode, time.monotonic() - started)
    print(f"[bench] wrote {RESULTS_JSON} and {RESULTS_MD}")
    return 0
