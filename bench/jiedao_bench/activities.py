"""signup_rps and checkin_p95_ms (issue 14): signing up for an activity from the public page, and
checking in at the venue, on the same real server as the public pages, side by side with /healthz.

signup_rps: 50 keep-alive clients, each request a new person (a new phone) POSTing the sign-up
form of an activity with 500 places; the answer must be the redirect to the person's own page
(a place or the waitlist). Afterwards the places taken are counted: never more than 500.
checkin_p95_ms: 50 people checking in at the same instant (the doors open and everyone scans), in
bursts a second apart, people signed up beforehand (2,000 confirmed sign-ups of an activity
today): the page must say 签到成功. Baseline: the same bursts on /healthz.
Rounds A,B,A,B (/healthz, sign-up), then the bursts.
"""

from __future__ import annotations

import subprocess

from .load import merge_phases, timed_loadgen
from .server import makefile_run_settings, shell_json
from .stats import ratio

CLIENTS = 50
CAPACITY = 500
CHECKIN_PEOPLE = 2_000

_SETUP = f"""
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.utils import timezone
from jiedao.activities.models import Activity, Signup, SignupStatus
from jiedao.activities.services import checkin_code
admin = get_user_model().objects.get(username="admin")
now = timezone.localtime()
signup = Activity.objects.create(code="bench-signup", title="bench", organiser="bench", place="bench",
    starts_at=now + dt.timedelta(days=7), ends_at=now + dt.timedelta(days=7, hours=2), capacity={CAPACITY}, created_by=admin)
end_of_day = now.replace(hour=23, minute=59, second=0, microsecond=0)
venue = Activity.objects.create(code="bench-checkin", title="bench", organiser="bench", place="bench",
    starts_at=end_of_day, ends_at=end_of_day + dt.timedelta(minutes=1), capacity={CHECKIN_PEOPLE}, created_by=admin)
phones = [f"136{{i:08d}}" for i in range({CHECKIN_PEOPLE})]
Signup.objects.bulk_create(Signup(activity=venue, name="到场人", phone=p, status=SignupStatus.CONFIRMED, token=f"b{{i:09d}}")
    for i, p in enumerate(phones))
print(json.dumps({{"signup": f"/activities/{{signup.code}}/",
    "checkin": f"/activities/{{venue.code}}/checkin/{{checkin_code(venue, timezone.localdate())}}/", "phones": phones}}))
"""

_COUNT = (
    "import json; from jiedao.activities.models import Signup; "
    "print(json.dumps({s: Signup.objects.filter(activity__code='bench-signup', status=s).count() "
    "for s in ('confirmed', 'waitlisted')}))"
)


def activity_rows(server: subprocess.Popen, port: int, env: dict, profile: dict, vendor: str) -> list[dict]:
    setup = shell_json(env, _SETUP)
    phases = {"healthz": [], "signup": [], "burst_healthz": [], "burst_checkin": []}
    half = profile["http_seconds"] / 2
    bursts = max(int(profile["http_seconds"]), 8)
    for round_ in range(2):
        for kind in ("healthz", "signup"):
            spec = {"port": port, "kind": kind, "clients": CLIENTS, "warmup": profile["http_warmup"], "duration": half,
                    "pairs": setup["phones"], "path": setup.get(kind, ""), "round": round_}  # fmt: skip
            phases[kind].append(timed_loadgen(server, spec))
        for kind in ("burst_healthz", "burst_checkin"):
            spec = {"port": port, "kind": kind, "clients": CLIENTS, "bursts": bursts // 2, "pause": 1.0,
                    "pairs": setup["phones"], "path": setup["checkin"]}  # fmt: skip
            phases[kind].append(timed_loadgen(server, spec))
    counts = shell_json(env, _COUNT)
    h, s, bh, c = (merge_phases(phases[kind]) for kind in ("healthz", "signup", "burst_healthz", "burst_checkin"))
    workers, _threads = makefile_run_settings()
    where = (
        f"gunicorn with {workers} uvicorn workers (as `make run`), {vendor}; {CLIENTS} keep-alive clients in a second "
        f"process, {profile['http_seconds']:g} s per endpoint in rounds A,B,C,A,B,C after {profile['http_warmup']} s warm-up each"
    )
    common = {"database": vendor}
    exceeded = max(counts["confirmed"] - CAPACITY, 0)
    return [
        {
            **common,
            "dataset_size": counts["confirmed"] + counts["waitlisted"],
            "name": "signup_rps",
            "value": round(s["rps"], 1),
            "unit": "requests/s",
            "baseline_name": "healthz_rps",
            "baseline_value": round(h["rps"], 1),
            "ratio": ratio(s["rps"], h["rps"]),
            "notes": f"POST /activities/<code>/ (name, a new phone each time) for an activity with {CAPACITY} places, "
            f"answer checked to be the redirect to the person's own page. {where}. Afterwards: {counts['confirmed']} "
            f"places taken, {counts['waitlisted']} on the waitlist (capacity exceeded by {exceeded}). Errors: sign-up "
            f"{s['errors']} of {s['requests']} ({s['error_kinds']}), healthz {h['errors']} of {h['requests']}; sent again "
            f"on a new connection, as a browser does, after a recycled worker closed a kept-alive one: sign-up "
            f"{s['resent']}, healthz {h['resent']}. p50 "
            f"{s['p50']:.1f} ms, p95 {s['p95']:.1f} ms; server CPU per request {s['server_cpu_ms']:.2f} ms (healthz "
            f"{h['server_cpu_ms']:.2f}). Goal: ratio >= 0.3, 0 errors, capacity never exceeded.",
        },
        {
            **common,
            "dataset_size": counts["confirmed"] + counts["waitlisted"],
            "name": "signup_errors_or_overbooked",
            "value": s["errors"] + exceeded,
            "unit": "requests",
            "baseline_name": "signup_requests",
            "baseline_value": s["requests"],
            "ratio": None,
            "notes": "Failed sign-ups plus places given beyond the capacity. Goal: 0.",
        },
        {
            **common,
            "dataset_size": CHECKIN_PEOPLE,
            "name": "checkin_p95_ms",
            "value": round(c["p95"], 1),
            "unit": "ms",
            "baseline_name": "healthz_burst_p95_ms",
            "baseline_value": round(bh["p95"], 1),
            "ratio": ratio(c["p95"], bh["p95"]),
            "notes": f"POST /activities/<code>/checkin/<code of the day>/ with the phone of one of {CHECKIN_PEOPLE:,} "
            f"people signed up, page checked for 签到成功: {CLIENTS} people at the same instant, in {bursts} bursts a "
            f"second apart (two rounds, each after the same bursts on /healthz, the baseline). Same server as above. "
            f"p50 {c['p50']:.1f} ms (healthz {bh['p50']:.1f}); errors {c['errors']} of {c['requests']} "
            f"({c['error_kinds']}). Goal: <= 100 ms.",
        },
    ]
