"""roster_generate_s and reminders_queue_s (issue 14): the duty rosters' and activities' batch work,
in a fresh interpreter over a throw-away SQLite database (migrated, the demo places loaded).

- roster_generate_s: a year of shifts for 50 posts x 3 shifts a day (54,750 shifts) through
  ``rosters.services.shifts_generate``, against bulk-inserting the same 54,750 rows with their
  datetimes already computed (the least any code must do to store them), side by side.
- reminders_queue_s: 10,000 confirmed sign-ups of an activity that starts tomorrow, queued as
  reminder SMS by ``activities.services.reminders_queue`` (each marked reminded in the transaction
  that queues its notice), against bulk-inserting 10,000 notices; then a second run, which must
  queue nothing, and a count of notices per sign-up: 0 lost, 0 twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .config import BIN, ROOT, run_temp_dir
from .stats import ratio

POSTS, SHIFTS_A_DAY, DAYS = 50, 3, 365
SIGNUPS = 10_000

SCRIPT = r"""
import datetime as dt, json, os, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.utils import timezone
from jiedao.ops.demo import load_places, load_staff
load_places(); load_staff()
from django.contrib.auth import get_user_model
from jiedao.core.models import Neighbourhood
from jiedao.rosters.models import Post, Shift
from jiedao.rosters.services import shifts_generate
from jiedao.activities.models import Activity, Signup, SignupStatus
from jiedao.activities.services import reminders_queue
from jiedao.notices.models import Notice

posts, per_day, days, signups = {posts}, {per_day}, {days}, {signups}
neighbourhood = Neighbourhood.objects.first()
first = timezone.localdate() + dt.timedelta(days=1)
last = first + dt.timedelta(days=days - 1)
times = [(dt.time(7), dt.time(11)), (dt.time(11), dt.time(15)), (dt.time(15), dt.time(19))][:per_day]

def fresh_posts(tag):
    return [Post.objects.create(neighbourhood=neighbourhood, code=f"{{tag}}-{{n}}", name=f"{{tag}} {{n}}", headcount=2) for n in range(posts)]

def service():
    made = 0
    for post in fresh_posts("svc"):
        for starts, ends in times:
            made += shifts_generate(post=post, first_day=first, last_day=last, starts=starts, ends=ends)
    return made

def bulk_alone():
    zone = timezone.get_default_timezone()
    rows = []
    for post in fresh_posts("raw"):
        for starts, ends in times:
            for n in range(days):
                start = timezone.make_aware(dt.datetime.combine(first + dt.timedelta(days=n), starts), zone)
                rows.append(Shift(post=post, starts_at=start, ends_at=start + dt.timedelta(hours=4), headcount=2))
    Shift.objects.bulk_create(rows, batch_size=2000)
    return len(rows)

out = {{}}
for name, run in (("baseline", bulk_alone), ("service", service)):
    clock = time.perf_counter(); made = run(); out[name + "_s"] = time.perf_counter() - clock; out[name + "_made"] = made

organiser = get_user_model().objects.get(username="admin")
tomorrow = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
activity = Activity.objects.create(code="bench", title="bench", organiser="bench", place="bench", starts_at=tomorrow,
    ends_at=tomorrow + dt.timedelta(hours=2), capacity=signups, created_by=organiser)
Signup.objects.bulk_create(Signup(activity=activity, name=f"n{{i}}", phone=f"139{{i:08d}}", status=SignupStatus.CONFIRMED,
    token=f"t{{i:09d}}") for i in range(signups))
clock = time.perf_counter()
Notice.objects.bulk_create(Notice(subject="baseline", recipient="person", phone=f"139{{i:08d}}", event="act_reminder",
    template_code="X", params={{}}, text="x") for i in range(signups))
out["notices_baseline_s"] = time.perf_counter() - clock
Notice.objects.filter(subject="baseline").delete()
clock = time.perf_counter(); first_run = reminders_queue(); out["reminders_s"] = time.perf_counter() - clock
out["second_run"] = reminders_queue()
per_signup = list(Notice.objects.filter(event="act_reminder").values_list("subject", flat=True))
out["reminders_queued"] = first_run.get("activity_reminders", 0)
out["lost"] = signups - len(set(per_signup))
out["twice"] = len(per_signup) - len(set(per_signup))
print(json.dumps(out))
"""


def bench_rosters(profile: dict) -> list[dict]:
    folder = run_temp_dir("jiedao-bench-rosters-")
    env = {**os.environ, "JIEDAO_DATA_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "jiedao.settings"}
    env.pop("DATABASE_URL", None)
    script = SCRIPT.format(posts=POSTS, per_day=SHIFTS_A_DAY, days=DAYS, signups=SIGNUPS)
    done = subprocess.run([str(BIN / "python"), "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise RuntimeError("the rosters benchmark failed")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    common = {"database": "sqlite"}
    return [
        {
            **common,
            "dataset_size": out["service_made"],
            "name": "roster_generate_s",
            "value": round(out["service_s"], 2),
            "unit": "s",
            "baseline_name": "bulk_insert_alone_s",
            "baseline_value": round(out["baseline_s"], 2),
            "ratio": ratio(out["service_s"], out["baseline_s"]),
            "notes": f"A year ({DAYS} days) of {SHIFTS_A_DAY} shifts a day for {POSTS} posts: {out['service_made']:,} "
            "shifts through rosters.services.shifts_generate (dateutil rrule per post and time, one "
            "bulk_create with ignore_conflicts per call), SQLite, in one fresh interpreter. Baseline: "
            f"bulk_create of the same {out['baseline_made']:,} rows with their datetimes precomputed, same "
            "process, just before. Goal: <= 5 s.",
        },
        {
            **common,
            "dataset_size": SIGNUPS,
            "name": "reminders_queue_s",
            "value": round(out["reminders_s"], 2),
            "unit": "s",
            "baseline_name": "notices_bulk_insert_s",
            "baseline_value": round(out["notices_baseline_s"], 3),
            "ratio": ratio(out["reminders_s"], out["notices_baseline_s"]),
            "notes": f"{SIGNUPS:,} confirmed sign-ups of an activity starting tomorrow: "
            "activities.services.reminders_queue, each sign-up marked reminded in the transaction that "
            f"queues its notice. Queued {out['reminders_queued']:,}; a second run queued "
            f"{out['second_run'] or 'nothing'}; lost {out['lost']}, twice {out['twice']}. Baseline: "
            f"bulk_create of {SIGNUPS:,} notice rows. Goal: <= 10 s, 0 lost, 0 twice.",
        },
        {
            **common,
            "dataset_size": SIGNUPS,
            "name": "reminders_lost_or_twice",
            "value": out["lost"] + out["twice"],
            "unit": "notices",
            "baseline_name": "signups",
            "baseline_value": SIGNUPS,
            "ratio": None,
            "notes": "Sign-ups without exactly one reminder after two runs of reminders_queue. Goal: 0.",
        },
    ]
