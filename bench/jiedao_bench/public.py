"""The public server: what residents do, on one real server over SQLite and the demo data.

bench_public starts the server once and runs, in order, the parts asked for: the status lookup
(here), the slow clients (slow_clients.py), submissions with 12 MP photos (submit.py) and the surge
(surge.py).

status_lookup_rps: 50 keep-alive clients, POST /status/ vs GET /healthz (same cookie, same
middleware) vs GET /status/ (the form: the floor of a rendered page) vs GET / (home_rps, served
from the page cache), in rounds A,B,C,D,A,B,C,D. /healthz touches nothing but the middleware, so
the ratio to it is the status page's own work; the form splits that gap into "being a page at
all" and the lookup itself. The server's CPU per request is reported too: steadier than rps when
neighbours take the cores (while CPU-bound, the rps ratio is about 1 / the CPU ratio).
"""

from __future__ import annotations

import subprocess

from .activities import activity_rows
from .bulletins import notice_page_rows
from .load import merge_phases, timed_loadgen
from .server import jiedao, makefile_run_settings, shell_json, workspace
from .slow_clients import SLOW_CLIENTS, slow_clients_rows
from .stats import ratio
from .submit import bench_submit
from .surge import SURGE_CLIENTS, bench_surge

CLIENTS = 50

_DEMO_PAIRS = (
    "import json; from django.db import connection; from jiedao.intake.models import Application; "
    "print(json.dumps({'vendor': connection.vendor, 'pairs': "
    "[[a.reference, a.phone] for a in Application.objects.order_by('pk')]}))"
)


def bench_public(
    profile: dict, parts: tuple[str, ...] = ("status", "activities", "bulletins", "slow", "submit", "surge")
) -> list[dict]:
    """One real server over SQLite and the demo data, for what residents do: the status lookup,
    submitting with 12 MP photos, and a surge of 200 residents submitting at once."""
    rows = []
    with workspace("jiedao-bench-server-", "gunicorn.log") as ws:
        demo = shell_json(ws.env, _DEMO_PAIRS)
        token = ""
        if "submit" in parts or "surge" in parts:
            token = jiedao(ws.env, "token", "create", "--name", "bench", "--role", "partner").strip().splitlines()[-1].strip()
        server, port = ws.start_server()
        if "status" in parts:
            print("[bench]   status lookup vs /healthz ...", flush=True)
            rows += status_lookup_rows(status_phases(server, port, demo, profile), demo, profile)
        if "activities" in parts:
            print("[bench]   activity sign-ups and check-ins vs /healthz ...", flush=True)
            rows += activity_rows(server, port, ws.env, profile, demo["vendor"])
        if "bulletins" in parts:
            print("[bench]   the current notices page vs /healthz ...", flush=True)
            rows += notice_page_rows(server, port, ws.env, profile, demo["vendor"])
        if "slow" in parts:
            print(f"[bench]   an ordinary page with {SLOW_CLIENTS} slow clients attached ...", flush=True)
            rows += slow_clients_rows(server, port, demo, profile)
        if "submit" in parts:
            print("[bench]   submitting with 12 MP photos vs Pillow alone ...", flush=True)
            rows += bench_submit(server, port, token, profile, demo["vendor"], ws.tmp)
        if "surge" in parts:
            print(f"[bench]   surge: {SURGE_CLIENTS} residents submitting at once ...", flush=True)
            rows += bench_surge(server, port, token, profile, demo["vendor"], ws.tmp)
    return rows


def status_phases(server: subprocess.Popen, port: int, demo: dict, profile: dict) -> dict:
    phases = {"healthz": [], "status": [], "form": [], "home": []}
    half = profile["http_seconds"] / 2
    for _round in range(2):  # A, B, A, B
        for kind in phases:
            spec = {"port": port, "kind": kind, "clients": CLIENTS, "warmup": profile["http_warmup"],
                    "duration": half, "pairs": demo["pairs"]}  # fmt: skip
            phases[kind].append(timed_loadgen(server, spec))
    return phases


def status_lookup_rows(phases: dict, demo: dict, profile: dict) -> list[dict]:
    workers, _threads = makefile_run_settings()
    stats = {kind: merge_phases(runs) for kind, runs in phases.items()}
    h, s, f, home = stats["healthz"], stats["status"], stats["form"], stats["home"]
    seconds = profile["http_seconds"]
    setup = (
        f"gunicorn with {workers} uvicorn workers (as `make run`), SQLite, "
        f"{len(demo['pairs'])} demo applications; {CLIENTS} keep-alive clients in a second process, "
        f"{seconds:g} s per endpoint in rounds A,B,A,B after {profile['http_warmup']} s warm-up each"
    )

    common = {"database": demo["vendor"], "dataset_size": len(demo["pairs"])}
    return [
        {
            **common,
            "name": "status_lookup_rps",
            "value": round(s["rps"], 1),
            "unit": "requests/s",
            "baseline_name": "healthz_rps",
            "baseline_value": round(h["rps"], 1),
            "ratio": ratio(s["rps"], h["rps"]),
            "notes": f"POST /status/ with a real reference+phone (csrf cookie+token fetched once per "
            f"client; no session cookie kept, so each lookup is a new visitor), answer checked for the "
            f"reference. Baseline GET /healthz (src/jiedao/core/views.py: an HttpResponse, through the "
            f"same middleware stack, with the same csrftoken cookie). {setup}. "
            f"Errors: status {s['errors']} of {s['requests']} ({s['error_kinds']}), "
            f"healthz {h['errors']} of {h['requests']} ({h['error_kinds']}); sent again on a new connection "
            f"after a recycled worker closed a kept-alive one: status {s['resent']}, healthz {h['resent']}. "
            f"CPU cores busy (server / load generator): status {s['server_cores']:.2f} / "
            f"{s['client_cores']:.2f}, healthz {h['server_cores']:.2f} / {h['client_cores']:.2f}.",
        },
        {
            **common,
            "name": "status_lookup_p50_ms",
            "value": round(s["p50"], 1),
            "unit": "ms",
            "baseline_name": "healthz_p50_ms",
            "baseline_value": round(h["p50"], 1),
            "ratio": ratio(s["p50"], h["p50"]),
            "notes": "Median latency under the same load; lower is better.",
        },
        {
            **common,
            "name": "status_lookup_p95_ms",
            "value": round(s["p95"], 1),
            "unit": "ms",
            "baseline_name": "healthz_p95_ms",
            "baseline_value": round(h["p95"], 1),
            "ratio": ratio(s["p95"], h["p95"]),
            "notes": "95th percentile latency under the same load; lower is better.",
        },
        {
            **common,
            "name": "status_lookup_server_cpu_ms",
            "value": round(s["server_cpu_ms"], 2),
            "unit": "ms",
            "baseline_name": "healthz_server_cpu_ms",
            "baseline_value": round(h["server_cpu_ms"], 2),
            "ratio": ratio(s["server_cpu_ms"], h["server_cpu_ms"], 2),
            "notes": "Server CPU time (gunicorn master + workers, user + system) per request, over all "
            "requests of the phases, warm-up included. Lower is better. Less sensitive to neighbours than "
            "rps: when the server is CPU-bound, rps ratio is roughly 1 / this ratio.",
        },
        {
            **common,
            "name": "status_lookup_errors",
            "value": s["errors"],
            "unit": "requests",
            "baseline_name": "healthz_errors",
            "baseline_value": h["errors"],
            "ratio": None,
            "notes": f"Failed requests (connection errors, non-200, or the reference missing from the "
            f"answer) out of {s['requests']} (status) and {h['requests']} (healthz). Should be 0.",
        },
        {
            **common,
            "name": "home_rps",
            "value": round(home["rps"], 1),
            "unit": "requests/s",
            "baseline_name": "healthz_rps",
            "baseline_value": round(h["rps"], 1),
            "ratio": ratio(home["rps"], h["rps"]),
            "notes": f"GET / (the home page: the open programmes, in Chinese, standard text size), same rounds "
            f"and clients as the lookup. Served from the page cache (lib/page_cache.py) after the first "
            f"request; server CPU per request {home['server_cpu_ms']:.2f} ms (healthz {h['server_cpu_ms']:.2f}); "
            f"p50 {home['p50']:.1f} ms, p95 {home['p95']:.1f} ms; errors {home['errors']} of {home['requests']} "
            f"({home['error_kinds']}).",
        },
        {
            **common,
            "name": "status_form_rps",
            "value": round(f["rps"], 1),
            "unit": "requests/s",
            "baseline_name": "healthz_rps",
            "baseline_value": round(h["rps"], 1),
            "ratio": ratio(f["rps"], h["rps"]),
            "notes": "A second reference in the same rounds: GET /status/, the empty lookup form: the same "
            "middleware plus rendering a public page from base.html (no database, no session write). Its ratio "
            "is about the best any rendered page can reach against /healthz; the lookup's distance from it "
            f"is the lookup's own work. Server CPU per request {f['server_cpu_ms']:.2f} ms (lookup "
            f"{s['server_cpu_ms']:.2f}, healthz {h['server_cpu_ms']:.2f}); p50 {f['p50']:.1f} ms; errors "
            f"{f['errors']} of {f['requests']} ({f['error_kinds']}).",
        },
    ]
