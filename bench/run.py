"""Jiedao benchmarks: `make bench` (full, ~30 min) or `make bench BENCH_ARGS=--quick` (< 3 min).

Design notes
- The machine is a noisy 2-core box, so no absolute time is a verdict. Every metric is measured
  side by side with a baseline in the same run, and the RATIO is what to read. No test asserts
  a time; this script never fails on a slow result either (it exits non-zero only on errors).
- Servers: gunicorn started as `make run` starts it (the Makefile's workers and threads, manifest
  static files, an access log but to a file) on a free 127.0.0.1 port, over a throw-away
  JIEDAO_DATA_DIR (migrate + collectstatic + demo load run once per bench run into a template
  folder that each phase copies). The load comes from a second process (this file with
  --loadgen). Every server is stopped in a `finally`; SIGTERM and Ctrl-C stop it too.
- photo_pipeline_per_s: process_photo against "Pillow alone" (draft + exif_transpose + resize to
  a 2000 px long edge + JPEG q85) on the same 12 MP phone JPEGs, in the same process, in
  alternating rounds A,B,A,B. Peak RSS is taken in fresh subprocesses from /proc (VmHWM).
- The public server (SQLite, demo data), three phases:
  status_lookup_rps: 50 keep-alive clients, POST /status/ vs GET /healthz (same cookie, same
  middleware) vs GET /status/ (the form: the floor of a rendered page), rounds A,B,C,A,B,C.
  submit_photos_per_s: POST /api/v1/applications with four 12 MP photos (a partner token), vs
  Pillow alone on the same photos in one process per core, rounds A,B,A,B.
  surge_error_rate: 200 concurrent clients submitting (small photos); 5xx, dropped connections
  and time-outs counted, the server log searched for "database is locked".
- City scale, per database (SQLite; PostgreSQL when it answers, in jiedao_bench, never `test`):
  `jiedao demo generate` (1,000,000; --quick 5,000), then as staff (sessions made directly in
  the session store, with django-otp's verified device: see _STAFF_SESSIONS) the dashboard, the
  queue and the search box vs GET /healthz, sequentially; the export of ~100,000 rows vs openpyxl
  alone, with the worker's peak RSS; then notices_per_s: the SMS outbox drained by three
  `jiedao notices work` processes into a fake gateway (bench/sms_gateway.py), with lost and
  duplicated messages counted, vs a raw HTTP sender.
- Output: bench/results.json (one object per number) and bench/RESULTS.md (the same as a table,
  with date and machine facts). Both are rewritten by every run, --only included; the
  hand-written analysis at the end of RESULTS.md (below ANALYSIS_MARK) is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent  # the venv's bin/, as `make bench` runs .venv/bin/python

# name -> (direction, goal) for the ratio value/baseline_value, or (direction, goal, "value")
# for a goal on the value itself (the issue's "well under a second", "20 s", "200 MB"...).
GOALS = {
    "photo_pipeline_per_s": (">=", 0.7),
    "status_lookup_rps": (">=", 0.35),
    "home_rps": (">=", 0.45),
    "slow_clients_p95_ratio": ("<=", 2),
    "submit_photos_per_s": (">=", 0.7),
    "surge_error_rate": ("<=", 0, "value"),
    "surge_database_locked": ("<=", 0, "value"),
    "queue_p95_ms": ("<=", 50, "value"),
    "search_p95_ms": ("<=", 50, "value"),
    "dashboard_p95_ms": ("<=", 300, "value"),
    "notices_per_s": (">=", 300, "value"),
    "notices_lost": ("<=", 0, "value"),
    "notices_duplicated": ("<=", 0, "value"),
    "export_100k_s": ("<=", 20, "value"),
    "export_100k_peak_rss_mb": ("<=", 200, "value"),
    "generate_rate_per_s": (">=", 1.0),  # the baseline is the rate of 1,000,000 in 10 minutes
}

# Quick and full settings.
PROFILES = {
    "quick": {"photo_rounds": 2, "rss_photos": 2, "http_seconds": 8, "http_warmup": 1, "submit_seconds": 5,
              "surge_seconds": 10, "surge_baseline_seconds": 3,
              "applications": 5_000, "export_rows": 2_500, "dashboard_requests": 20, "export_rounds": 1,
              "notices": 1_000, "notice_rounds": 1},
    "full": {"photo_rounds": 12, "rss_photos": 6, "http_seconds": 30, "http_warmup": 3, "submit_seconds": 20,
             "surge_seconds": 60, "surge_baseline_seconds": 15,
             "applications": 1_000_000, "export_rows": 100_000, "dashboard_requests": 30, "export_rounds": 2,
             "notices": 10_000, "notice_rounds": 2},
}  # fmt: skip
CLIENTS = 50
MAX_REQUESTS_PER_CLIENT = 20_000  # a hard bound on the load, whatever the duration

# 12 MP phone photos: (kind, upright size, EXIF orientation). Portrait documents are shot with
# the phone upright, so the sensor stores them landscape with Orientation 6, as phones do.
PHOTOS = [
    ("id_front", (4032, 3024), 1),
    ("id_back", (4032, 3024), 1),
    ("bank_card", (4032, 3024), 1),
    ("household_register", (3024, 4032), 6),
    ("medical_record", (3024, 4032), 6),
    ("disability_certificate", (3024, 4032), 6),
]
NOISE = 12  # +-levels of per-pixel sensor noise; brings q92 files to phone-like 3-5 MB
LONG_EDGE = 2000


# ---------------------------------------------------------------------------------------------
# Metric 1: the photo pipeline


def make_phone_photos(folder: Path) -> list[Path]:
    """Six distinct 12 MP JPEGs like a phone's: sample scene + sensor noise, q92, EXIF kept."""
    from PIL import Image, ImageChops

    from jiedao.intake.sample_photos import sample_document_photo

    paths = []
    for seed, (kind, size, orientation) in enumerate(PHOTOS, start=1):
        raw = sample_document_photo(kind, seed=seed, size=size, exif_orientation=orientation)
        with Image.open(io.BytesIO(raw)) as im:
            exif = im.info.get("exif", b"")
            rgb = im.convert("RGB")
        rng = random.Random(seed)
        w, h = rgb.size
        span = 2 * NOISE + 1
        noise = [
            Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: v * span // 256)
            for _ in range(3)
        ]
        noisy = ImageChops.add(rgb, Image.merge("RGB", noise), offset=-NOISE)
        path = folder / f"{seed}-{kind}.jpg"
        noisy.save(path, "JPEG", quality=92, exif=exif)
        paths.append(path)
    return paths


_PHOTOS: list[Path] = []


def phone_photos() -> list[Path]:
    """make_phone_photos once per run (it takes a while), in a folder removed when the run ends."""
    if not _PHOTOS:
        import atexit

        folder = Path(tempfile.mkdtemp(prefix="jiedao-bench-photos-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _PHOTOS.extend(make_phone_photos(folder))
    return list(_PHOTOS)


def pillow_alone(data: bytes) -> bytes:
    """The baseline: what the pipeline cannot avoid doing, written plainly with Pillow."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as im:
        scale = LONG_EDGE / max(im.size)
        im.draft("RGB", (round(im.width * scale), round(im.height * scale)))
        im = ImageOps.exif_transpose(im)
    im.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def jiedao_pipeline(data: bytes) -> bytes:
    from jiedao.intake.photos import process_photo

    return process_photo(io.BytesIO(data)).content


# ru_maxrss would not do: Linux carries the parent's peak through fork+exec. VmHWM belongs to
# this process alone, and writing 5 to clear_refs resets it to the current RSS.
_RSS_PROBE = """
import re, sys
sys.path.insert(0, {bench!r})
import run
from jiedao.intake import photos  # imported for both, so that "before" is comparable
vm = lambda key: int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
data = open({path!r}, "rb").read()
open("/proc/self/clear_refs", "w").write("5")
before = vm("VmRSS")
getattr(run, {func!r})(data)
print(before, vm("VmHWM"))
"""


def peak_rss_mib(func: str, path: Path) -> tuple[float, float]:
    """(extra peak RSS for one photo, whole-process peak RSS) in MiB, in a fresh interpreter."""
    code = _RSS_PROBE.format(bench=str(BENCH_DIR), path=str(path), func=func)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    before_kib, peak_kib = map(int, out.stdout.split()[-2:])
    return (peak_kib - before_kib) / 1024, peak_kib / 1024


def bench_photo_pipeline(profile: dict) -> list[dict]:
    paths = phone_photos()
    photos = [p.read_bytes() for p in paths]
    sizes_mb = [len(b) / 1e6 for b in photos]
    contenders = {"jiedao": jiedao_pipeline, "pillow": pillow_alone}
    for func in contenders.values():  # warm-up: imports, first-call costs
        func(photos[0])
    times = {name: [] for name in contenders}
    for _round in range(profile["photo_rounds"]):
        for name, func in contenders.items():  # A, B, A, B, ...
            for data in photos:
                start = time.perf_counter()
                func(data)
                times[name].append((time.perf_counter() - start) * 1000)
    probed = paths[:: max(1, len(paths) // profile["rss_photos"])]  # quick: one upright, one rotated
    rss = {name: max(peak_rss_mib(func.__name__, p) for p in probed) for name, func in contenders.items()}

    ms = {name: statistics.median(t) for name, t in times.items()}
    per_s = {name: 1000 / m for name, m in ms.items()}
    n = len(photos)
    dataset = (
        f"{n} distinct 12 MP JPEGs (4032x3024 stored; {sum(o != 1 for *_, o in PHOTOS)} with EXIF "
        f"Orientation 6), q92 with "
        f"+-{NOISE} levels of sensor noise: {min(sizes_mb):.1f}-{max(sizes_mb):.1f} MB "
        f"(mean {statistics.mean(sizes_mb):.1f} MB)"
    )
    rounds = f"{profile['photo_rounds']} interleaved rounds of each ({len(times['jiedao'])} timings each)"
    common = {"database": "none", "dataset_size": n}
    return [
        {
            **common,
            "name": "photo_pipeline_per_s",
            "value": round(per_s["jiedao"], 2),
            "unit": "photos/s",
            "baseline_name": "pillow_alone_per_s",
            "baseline_value": round(per_s["pillow"], 2),
            "ratio": round(per_s["jiedao"] / per_s["pillow"], 3),
            "notes": f"One thread, from median ms per photo. {dataset}. {rounds}. Baseline: draft to "
            f"long edge {LONG_EDGE}, exif_transpose, LANCZOS thumbnail, JPEG q85 (no optimize); "
            "process_photo also checks limits and EXIF and encodes with optimize=True.",
        },
        {
            **common,
            "name": "photo_pipeline_ms_per_photo",
            "value": round(ms["jiedao"], 1),
            "unit": "ms",
            "baseline_name": "pillow_alone_ms_per_photo",
            "baseline_value": round(ms["pillow"], 1),
            "ratio": round(ms["jiedao"] / ms["pillow"], 3),
            "notes": f"Median. Lower is better. p90 jiedao {percentile(times['jiedao'], 90):.1f} ms, "
            f"pillow {percentile(times['pillow'], 90):.1f} ms.",
        },
        {
            **common,
            "name": "photo_pipeline_peak_rss",
            "value": round(rss["jiedao"][0], 1),
            "unit": "MiB",
            "baseline_name": "pillow_alone_peak_rss",
            "baseline_value": round(rss["pillow"][0], 1),
            "ratio": round(rss["jiedao"][0] / rss["pillow"][0], 3),
            "notes": "Peak RSS added by processing one photo in a fresh interpreter (VmHWM after minus "
            "VmRSS before; worst of the photos). Lower is better. Whole-process peak: "
            f"jiedao {rss['jiedao'][1]:.0f} MiB, pillow {rss['pillow'][1]:.0f} MiB.",
        },
    ]


# ---------------------------------------------------------------------------------------------
# Metric 2: the status lookup through the real server


def makefile_run_settings() -> tuple[int, int]:
    """Worker processes of the Makefile's `run` target, so the bench serves as `make run` does; each
    runs Django's views in one thread (ASGI), hence threads = 1."""
    text = (ROOT / "Makefile").read_text()
    workers = re.search(r"^WORKERS \?= (\d+)", text, re.M)
    return int(workers.group(1)) if workers else 3, 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jiedao(env: dict, *args: str) -> str:
    out = subprocess.run([str(BIN / "jiedao"), *args], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(f"jiedao {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


_DEMO_PAIRS = (
    "import json; from django.db import connection; from jiedao.intake.models import Application; "
    "print(json.dumps({'vendor': connection.vendor, 'pairs': "
    "[[a.reference, a.phone] for a in Application.objects.order_by('pk')]}))"
)


def cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its live children (the gunicorn master and its workers)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for p in [pid, *map(int, children)]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return float("nan")
    return total


def run_loadgen(spec: dict) -> dict:
    """One load phase, in a second process (this file with --loadgen)."""
    out = subprocess.run(
        [sys.executable, __file__, "--loadgen", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=spec["warmup"] + spec["duration"] + 400,
    )
    if out.returncode:
        raise RuntimeError(f"load generator failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def data_dir_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JIEDAO_DATA_DIR=str(tmp), JIEDAO_MANIFEST_STATIC="1", PATH=f"{BIN}:{env.get('PATH', '')}")
    return env


_TEMPLATE_DIR: list[Path] = []


def fresh_data_dir(prefix: str, database: str = "sqlite") -> tuple[Path, dict]:
    """A new JIEDAO_DATA_DIR with the demo data, and the environment to use it. `jiedao migrate`,
    `collectstatic` and `demo load` run once per bench run (they take 10-40 s on a busy machine),
    into a template folder that each phase copies: the SQLite database, the secrets and the
    collected static files. For PostgreSQL the copy keeps the secrets and static files, and
    migrate and demo load run again in the bench's own database."""
    if not _TEMPLATE_DIR:
        import atexit

        template = Path(tempfile.mkdtemp(prefix="jiedao-bench-template-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        env = data_dir_env(template)
        jiedao(env, "migrate", "--no-input")
        jiedao(env, "collectstatic", "--no-input", "--verbosity", "0")
        jiedao(env, "demo", "load")
        _TEMPLATE_DIR.append(template)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.copytree(_TEMPLATE_DIR[0], tmp, dirs_exist_ok=True)
    env = data_dir_env(tmp)
    if database == "postgresql":
        for stale in tmp.glob("jiedao.sqlite3*"):
            stale.unlink()
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_BENCH_DB}"
        pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")  # left over by a killed run
        pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
        jiedao(env, "migrate", "--no-input")
        jiedao(env, "demo", "load")
    return tmp, env


def bench_public(profile: dict, parts: tuple[str, ...] = ("status", "slow", "submit", "surge")) -> list[dict]:
    """One real server over SQLite and the demo data, for what residents do: the status lookup,
    submitting with 12 MP photos, and a surge of 200 residents submitting at once."""
    workers, threads = makefile_run_settings()
    tmp, env = fresh_data_dir("jiedao-bench-server-")
    server = None
    log = open(tmp / "gunicorn.log", "wb")
    rows = []
    try:
        demo = json.loads(jiedao(env, "shell", "-c", _DEMO_PAIRS).strip().splitlines()[-1])
        token = ""
        if "submit" in parts or "surge" in parts:
            token = jiedao(env, "token", "create", "--name", "bench", "--role", "partner").strip().splitlines()[-1].strip()
        server, port = start_server(env, tmp, log)
        if "status" in parts:
            print("[bench]   status lookup vs /healthz ...", flush=True)
            rows += status_lookup_rows(status_phases(server, port, demo, profile), demo, profile)
        if "slow" in parts:
            print(f"[bench]   an ordinary page with {SLOW_CLIENTS} slow clients attached ...", flush=True)
            rows += slow_clients_rows(server, port, demo, profile)
        if "submit" in parts:
            print("[bench]   submitting with 12 MP photos vs Pillow alone ...", flush=True)
            rows += bench_submit(server, port, token, profile, demo["vendor"], tmp)
        if "surge" in parts:
            print(f"[bench]   surge: {SURGE_CLIENTS} residents submitting at once ...", flush=True)
            rows += bench_surge(server, port, token, profile, demo["vendor"], tmp)
    except Exception:
        log.flush()
        sys.stderr.write((tmp / "gunicorn.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        if server is not None:
            stop_server(server)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def timed_loadgen(server: subprocess.Popen, spec: dict) -> dict:
    """A load phase with the server's CPU time over it."""
    cpu, wall = cpu_seconds(server.pid), time.perf_counter()
    run = run_loadgen(spec)
    run["server_cpu_s"] = cpu_seconds(server.pid) - cpu
    run["server_cores"] = run["server_cpu_s"] / (time.perf_counter() - wall)
    return run


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
    workers, threads = makefile_run_settings()
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
            "ratio": round(s["rps"] / h["rps"], 3) if h["rps"] else None,
            "notes": f"POST /status/ with a real reference+phone (csrf cookie+token fetched once per "
            f"client; no session cookie kept, so each lookup is a new visitor), answer checked for the "
            f"reference. Baseline GET /healthz (src/jiedao/core/views.py: an HttpResponse, through the "
            f"same middleware stack, with the same csrftoken cookie). {setup}. "
            f"Errors: status {s['errors']} of {s['requests']} ({s['error_kinds']}), "
            f"healthz {h['errors']} of {h['requests']} ({h['error_kinds']}). "
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
            "ratio": round(s["p50"] / h["p50"], 3) if h["p50"] else None,
            "notes": "Median latency under the same load; lower is better.",
        },
        {
            **common,
            "name": "status_lookup_p95_ms",
            "value": round(s["p95"], 1),
            "unit": "ms",
            "baseline_name": "healthz_p95_ms",
            "baseline_value": round(h["p95"], 1),
            "ratio": round(s["p95"] / h["p95"], 3) if h["p95"] else None,
            "notes": "95th percentile latency under the same load; lower is better.",
        },
        {
            **common,
            "name": "status_lookup_server_cpu_ms",
            "value": round(s["server_cpu_ms"], 2),
            "unit": "ms",
            "baseline_name": "healthz_server_cpu_ms",
            "baseline_value": round(h["server_cpu_ms"], 2),
            "ratio": round(s["server_cpu_ms"] / h["server_cpu_ms"], 2) if h["server_cpu_ms"] else None,
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
            "ratio": round(home["rps"] / h["rps"], 3) if h["rps"] else None,
            "notes": f"GET / (the home page: the open programmes, in Chinese, standard text size), same rounds "
            f"and clients as the lookup. Served from the page cache (intake/page_cache.py) after the first "
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
            "ratio": round(f["rps"] / h["rps"], 3) if h["rps"] else None,
            "notes": "A second reference in the same rounds: GET /status/, the empty lookup form: the same "
            "middleware plus rendering a public page from base.html (no database, no session write). Its ratio "
            "is about the best any rendered page can reach against /healthz; the lookup's distance from it "
            f"is the lookup's own work. Server CPU per request {f['server_cpu_ms']:.2f} ms (lookup "
            f"{s['server_cpu_ms']:.2f}, healthz {h['server_cpu_ms']:.2f}); p50 {f['p50']:.1f} ms; errors "
            f"{f['errors']} of {f['requests']} ({f['error_kinds']}).",
        },
    ]


SLOW_CLIENTS = 200  # half that never finish their headers, half that send a 20 MB upload a byte a second
SLOW_PAGE_CLIENTS = 8  # ordinary visitors measured meanwhile


class SlowClients:
    """Connections that start a request and trickle it: headers that never end, or an upload
    announced as 20 MB of which a byte a second arrives (a phone on a failing mobile link). They
    are kept alive by a thread and all closed on exit; loopback only, bounded by the phase."""

    def __init__(self, port: int, count: int):
        self.port, self.count, self.sockets, self.stop = port, count, [], threading.Event()
        self.opened = self.dropped = 0

    def __enter__(self):
        for n in range(self.count):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if n % 2:
                s.sendall(b"POST /status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                          b"Content-Length: 20000000\r\n\r\nreference=")  # fmt: skip
            else:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(s)
        self.opened = len(self.sockets)
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()
        return self

    def _trickle(self) -> None:
        while not self.stop.wait(1.0):
            for s in list(self.sockets):
                try:
                    s.sendall(b"X")  # a header line's next letter, or the body's next byte
                except OSError:
                    self.sockets.remove(s)
                    self.dropped += 1

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        for s in self.sockets:
            s.close()


def slow_clients_rows(server: subprocess.Popen, port: int, demo: dict, profile: dict) -> list[dict]:
    """p95 of an ordinary page (GET /status/, the lookup form) with SLOW_CLIENTS slow connections
    attached over its p95 without them, in rounds A,B,A,B."""
    half = profile["http_seconds"] / 2
    spec = {"port": port, "kind": "form", "clients": SLOW_PAGE_CLIENTS, "warmup": profile["http_warmup"],
            "duration": half, "pairs": demo["pairs"]}  # fmt: skip
    without, with_slow, still_attached = [], [], []
    for _round in range(2):
        without.append(timed_loadgen(server, spec))
        with SlowClients(port, SLOW_CLIENTS) as slow:
            time.sleep(1)
            with_slow.append(timed_loadgen(server, spec))
            still_attached.append(len(slow.sockets))
    a, b = merge_phases(without), merge_phases(with_slow)
    workers, _threads = makefile_run_settings()
    return [
        {
            "database": demo["vendor"],
            "dataset_size": len(demo["pairs"]),
            "name": "slow_clients_p95_ratio",
            "value": round(b["p95"], 1),
            "unit": "ms",
            "baseline_name": "ordinary_page_p95_ms",
            "baseline_value": round(a["p95"], 1),
            "ratio": round(b["p95"] / a["p95"], 3) if a["p95"] else None,
            "notes": f"GET /status/ (the lookup form) by {SLOW_PAGE_CLIENTS} keep-alive clients, {half:g} s per "
            f"phase in rounds A,B,A,B: without, then with {SLOW_CLIENTS} slow connections attached (half send "
            f"headers that never end, half a 20 MB upload; each gets one more byte a second; still attached at "
            f"the end of the phases: {still_attached}). gunicorn with {workers} uvicorn workers as `make run`. "
            f"Requests: {a['requests']} without (errors {a['errors']}), {b['requests']} with (errors {b['errors']}, "
            f"{b['error_kinds']}); rps {a['rps']:.0f} -> {b['rps']:.0f}; p50 {a['p50']:.1f} -> {b['p50']:.1f} ms.",
        }
    ]


def wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to the process group we started (gunicorn and its workers), then SIGKILL."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def merge_phases(runs: list[dict]) -> dict:
    latencies = [ms for run in runs for ms in run["latencies_ms"]]
    ok = sum(run["ok"] for run in runs)
    errors = sum(run["errors"] for run in runs)
    kinds = {}
    for run in runs:
        for failure, count in run["error_kinds"].items():
            kinds[failure] = kinds.get(failure, 0) + count
    seconds = sum(run["seconds"] for run in runs)
    return {
        "rps": ok / seconds,
        "requests": ok + errors,
        "errors": errors,
        "error_kinds": ", ".join(f"{count} {failure}" for failure, count in sorted(kinds.items())) or "none",
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "server_cpu_ms": 1000 * sum(run["server_cpu_s"] for run in runs) / sum(run["sent"] for run in runs),
        "server_cores": statistics.mean(run["server_cores"] for run in runs),
        "client_cores": statistics.mean(run["cpu_cores"] for run in runs),
    }


# ---------------------------------------------------------------------------------------------
# Metric 3: city scale: generating a big dataset, then the dashboard and the Excel export on it

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_BENCH_DB = "jiedao_bench"  # created and dropped here; never `test`, the database CI uses
GOAL_APPLICATIONS, GOAL_SECONDS = 1_000_000, 600  # "a million applications within 10 minutes"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except Exception:  # not installed, not running, refused: no PostgreSQL run
        return False


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def start_server(env: dict, tmp: Path, log) -> tuple[subprocess.Popen, int]:
    """The server as `make run` starts it: gunicorn with uvicorn workers (as many as the
    Makefile's WORKERS) and deploy/gunicorn.conf.py."""
    workers, _threads = makefile_run_settings()
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "jiedao.asgi:application"],
        env={**env, "JIEDAO_BIND": f"127.0.0.1:{port}", "JIEDAO_WEB_WORKERS": str(workers),
             "JIEDAO_ACCESS_LOG": str(tmp / "access.log")},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_until_up(port, server)
    return server, port


def generate_dataset(env: dict, count: int, log) -> dict:
    """`jiedao demo generate --applications N`, timed from outside; its progress is echoed.
    Also its CPU time (the command and its writer processes, from getrusage of children)."""
    import resource

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


class StaffBrowser:
    """One signed-in member of staff: a keep-alive connection and its cookies."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _eq, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def get(self, path: str) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        response = self.send("GET", path)
        body = response.read()
        return response.status, body, (time.perf_counter() - start) * 1000

    @property
    def csrf_token(self) -> str:
        """The form token of the queue page (with its csrftoken cookie), fetched once."""
        if not getattr(self, "_csrf", None):
            status, page, _ms = self.get("/staff/")
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if status != 200 or token is None or "csrftoken" not in self.cookies:
                raise RuntimeError(f"GET /staff/ gave no CSRF token (HTTP {status})")
            self._csrf = token.group(1).decode()
        return self._csrf

    def download(self, path: str, target: Path) -> tuple[int, str, float]:
        """GET to a file on a fresh connection (gunicorn closes one after a streamed file);
        milliseconds to the last byte."""
        self.conn.close()  # http.client connects again on the next request
        start = time.perf_counter()
        response = self.send("GET", path)
        with target.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
        return response.status, response.getheader("Content-Type", ""), (time.perf_counter() - start) * 1000


# Signed-in staff sessions, made directly in the session store rather than through the login form:
# the form now has a second factor (TOTP, django-otp) and a lockout (django-axes), which a
# benchmark should not have to script. What a real sign-in leaves in the session is put there:
# Django's auth keys (through django.contrib.auth.login, so its signals run), the staff session's
# clocks if the project keeps them (jiedao.core.staff_auth.staff_session_start), and django-otp's
# verified device (a confirmed TOTPDevice made for the bench) if django-otp is installed.
_STAFF_SESSIONS = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest
out = {{}}
for username in {usernames!r}:
    user = get_user_model().objects.get(username=username)
    request = HttpRequest()
    request.META.update(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="jiedao-bench")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    backend = next((b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")),
                   settings.AUTHENTICATION_BACKENDS[-1])
    login(request, user, backend=backend)
    request.user = user  # login() sets it only on a request that had one; django-otp's login needs it
    if "django_otp" in settings.INSTALLED_APPS:
        from django_otp import login as otp_login
        from django_otp.plugins.otp_totp.models import TOTPDevice
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="jiedao-bench", confirmed=True)
        otp_login(request, device)
    try:
        from jiedao.core.staff_auth import staff_session_start
    except ImportError:
        staff_session_start = None
    if staff_session_start is not None:
        request.session.save()
        staff_session_start(session=request.session, user=user)
    request.session.save()
    out[username] = request.session.session_key
print(json.dumps({{"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": out}}))
"""

# Search texts the way staff type them into the queue's search box, taken from random generated
# applications: a name, its full pinyin or its initials, the ID number's last 4, a phone.
_SEARCH_SAMPLES = """
import json, random
from jiedao.intake.models import Application
rng = random.Random(8)
top = Application.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
picked = []
for _ in range(200):
    a = Application.objects.filter(pk__gte=rng.randint(1, top)).order_by("pk").first()
    if a is not None:
        picked.append(a)
    if len(picked) >= {count}:
        break
samples = {{"name": [], "pinyin": [], "id_last4": [], "phone": []}}
for a in picked:
    samples["name"].append(a.applicant_name)
    if getattr(a, "name_pinyin", ""):
        samples["pinyin"].append(a.name_pinyin if len(samples["pinyin"]) % 2 else (a.name_initials or a.name_pinyin))
    try:
        number = a.id_number
    except Exception:
        number = ""
    if number:
        samples["id_last4"].append(number[-4:])
    samples["phone"].append(a.phone)
print(json.dumps(samples, ensure_ascii=False))
"""

# The queue as staff page through it: the newest first, filtered by status, the longest-waiting
# open cases, a neighbourhood, and a page further back.
QUEUE_PATHS = [
    "/staff/",
    "/staff/?status=submitted",
    "/staff/?order=waiting",
    "/staff/?neighbourhood=zhijiangxincun",
    "/staff/?page=20",
]


def staff_browser(port: int, sessions: dict, username: str) -> "StaffBrowser":
    """A browser already signed in as `username` (its session cookie), checked on /staff/."""
    browser = StaffBrowser(port)
    browser.cookies[sessions["cookie_name"]] = sessions["sessions"][username]
    status, page, _ms = browser.get("/staff/")
    if status != 200 or b'name="csrfmiddlewaretoken"' not in page:
        raise RuntimeError(f"the bench's staff session for {username} was not accepted on /staff/ (HTTP {status}); "
                           "see _STAFF_SESSIONS in bench/run.py")  # fmt: skip
    return browser


def bench_staff_pages(port: int, sessions: dict, profile: dict, expected_total: int, samples: dict) -> dict:
    """Sequential requests by one member of staff at a desk, each page alternating with GET /healthz
    (A,B,A,B): the dashboard as leader, the queue and searches as reviewer (the whole programme)."""
    leader = staff_browser(port, sessions, "leader")
    reviewer = staff_browser(port, sessions, "reviewer")
    headline = f"共受理帮困申请 {expected_total} 件".encode()
    kinds = [kind for kind in ("name", "pinyin", "id_last4", "phone") if samples.get(kind)]

    def dashboard() -> float:
        status, page, ms = leader.get("/staff/dashboard/")
        if status != 200 or headline not in page:
            raise RuntimeError(f"dashboard: HTTP {status}, headline with {expected_total} applications not found")
        return ms

    def queue(n: int) -> float:
        path = QUEUE_PATHS[n % len(QUEUE_PATHS)]
        status, page, ms = reviewer.get(path)
        if status != 200 or b"JGBK-" not in page:
            raise RuntimeError(f"queue {path}: HTTP {status} or no case listed")
        return ms

    def search(n: int) -> tuple[str, float, float]:
        """POST the search box (the text goes into the session), then GET the ?s= page it redirects
        to: what a member of staff waits for. Returns (kind, total ms, ms of the GET alone)."""
        kind = kinds[n % len(kinds)]
        values = samples[kind]
        text = values[(n // len(kinds)) % len(values)]
        token = reviewer.csrf_token
        start = time.perf_counter()
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "q": text})
        response = reviewer.send("POST", "/staff/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response.read()
        location = response.getheader("Location", "")
        if response.status != 302 or "s=" not in location:
            raise RuntimeError(f"search POST: HTTP {response.status} ({location!r})")
        status, page, get_ms = reviewer.get(urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl())
        total = (time.perf_counter() - start) * 1000
        if status != 200:
            raise RuntimeError(f"search {kind}: HTTP {status}")
        if b"JGBK-" not in page:  # every sample comes from an existing application
            raise RuntimeError(f"search {kind} ({text!r}) found nothing")
        return kind, total, get_ms

    for n in range(max(3, len(QUEUE_PATHS))):  # warm-up: imports, templates, the database's caches
        leader.get("/healthz")
        dashboard()
        queue(n)  # every queue address once: a first visit reads its index pages from disk
        search(n)
    times = {"healthz": [], "dashboard": [], "queue": [], "search": [], "search_get": []}
    by_kind: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(profile["dashboard_requests"]):  # A, B, A, B
        for page in ("dashboard", "queue", "search"):
            times["healthz"].append(leader.get("/healthz")[2])
            if page == "dashboard":
                times["dashboard"].append(dashboard())
            elif page == "queue":
                times["queue"].append(queue(n))
            else:
                for m in range(len(kinds)):  # one of each kind per round
                    kind, total, get_ms = search(n * len(kinds) + m)
                    times["search"].append(total)
                    times["search_get"].append(get_ms)
                    by_kind[kind].append(total)
    stats = {name: {"p50": percentile(t, 50), "p95": percentile(t, 95), "max": max(t), "n": len(t)}
             for name, t in times.items()}  # fmt: skip
    stats["search_by_kind"] = {kind: {"p50": percentile(t, 50), "p95": percentile(t, 95)} for kind, t in by_kind.items()}
    return stats


def worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def vm_kib(pid: int, key: str) -> int:
    match = re.search(rf"{key}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) if match else 0


def kib_to_mb(kib: float) -> float:
    return kib * 1024 / 1e6


_OPENPYXL_ALONE = """
import re, tempfile, time
from openpyxl import Workbook
vm = lambda key: int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
before = vm("VmRSS")
start = time.perf_counter()
workbook = Workbook(write_only=True)
sheet = workbook.create_sheet("申请")
sheet.append(["受理编号", "申请人", "身份证号码", "手机号码", "居民区", "旧改地块", "特殊对象类别", "申请渠道", "状态", "受理时间"])
for i in range({rows}):
    sheet.append([f"JGBK-2026-{{i:07d}}", "王秀英", f"3101081946{{i % 12 + 1:02d}}12{{i % 1000:03d}}X", f"139{{i:08d}}", "芷江新村",
                  "育群中学西块", "低保（纳保）家庭、残疾人", "本人线上申请", "已受理", "2026-11-03 10:15"])
with tempfile.TemporaryFile() as out:
    workbook.save(out)
print(time.perf_counter() - start, before, vm("VmHWM"))
"""


def openpyxl_alone(rows: int) -> tuple[float, float]:
    """(seconds, peak RSS added in MB): openpyxl's write-only mode writing as many rows of the
    same ten columns from memory, in a fresh interpreter: the cost no export can avoid."""
    out = subprocess.run([sys.executable, "-c", _OPENPYXL_ALONE.format(rows=rows)],
                         capture_output=True, text=True, check=True, timeout=900)  # fmt: skip
    seconds, before, peak = out.stdout.split()
    return float(seconds), kib_to_mb(int(peak) - int(before))


def count_xlsx_rows(path: Path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        return sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def bench_export(server: subprocess.Popen, port: int, sessions: dict, profile: dict, window: dict, tmp: Path) -> dict:
    """The reviewer exports the queue filtered to a run of days; the worker's peak RSS is read
    from /proc (VmHWM, reset with clear_refs just before)."""
    reviewer = staff_browser(port, sessions, "reviewer")
    query = urllib.parse.urlencode({"submitted_from": window["from"], "submitted_to": window["to"]})
    path = f"/staff/export/applications.xlsx?{query}"
    target = tmp / "export.xlsx"
    rounds = {"export_s": [], "peak_mb": [], "idle_mb": [], "cpu_s": [], "alone_s": [], "alone_mb": []}
    for n in range(profile["export_rounds"]):  # A, B, A, B
        workers = worker_pids(server.pid)
        idle = {pid: vm_kib(pid, "VmRSS") for pid in workers}
        for pid in workers:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        cpu = cpu_seconds(server.pid)
        status, content_type, ms = reviewer.download(path, target)
        rounds["cpu_s"].append(cpu_seconds(server.pid) - cpu)
        if status != 200 or "spreadsheetml" not in content_type:
            raise RuntimeError(f"export: HTTP {status} ({content_type})")
        grown = {pid: vm_kib(pid, "VmHWM") for pid in workers}
        busiest = max(grown, key=lambda pid: grown[pid] - idle[pid])  # the worker that served it
        rounds["export_s"].append(ms / 1000)
        rounds["peak_mb"].append(kib_to_mb(grown[busiest]))
        rounds["idle_mb"].append(kib_to_mb(idle[busiest]))
        if n == 0:
            rows = count_xlsx_rows(target) - 1  # the header row
            if rows != window["rows"]:
                raise RuntimeError(f"export has {rows} rows, the database {window['rows']} for that range")
            size_mb = target.stat().st_size / 1e6
        alone_s, alone_mb = openpyxl_alone(window["rows"])
        rounds["alone_s"].append(alone_s)
        rounds["alone_mb"].append(alone_mb)
    return {**rounds, "rows": rows, "size_mb": size_mb}


def bench_city_scale(profile: dict, databases: list[str], parts: tuple[str, ...] = ("city", "notices")) -> list[dict]:
    rows = []
    for database in databases:
        what = f"{profile['applications']:,} applications" if "city" in parts else "the demo data"
        print(f"[bench]   {database}: {what} ...", flush=True)
        rows += city_scale_on(database, profile, parts)
    return rows


def city_scale_on(database: str, profile: dict, parts: tuple[str, ...] = ("city", "notices")) -> list[dict]:
    clock = time.perf_counter()
    tmp, env = fresh_data_dir("jiedao-bench-city-", database)
    server = None
    log = open(tmp / "server.log", "wb")
    phases = {"set-up": time.perf_counter() - clock}
    rows = []
    try:

        if "city" in parts:
            generated = generate_dataset(env, profile["applications"], log)
            phases["generate"] = generated["seconds"]

            clock = time.perf_counter()
            # One `jiedao shell` for the three (each start of Django costs seconds on a busy machine).
            script = "\n".join([_EXPORT_RANGE.format(target=profile["export_rows"]), _SEARCH_SAMPLES.format(count=40),
                                _STAFF_SESSIONS.format(usernames=("leader", "reviewer"))])  # fmt: skip
            window, samples, sessions = map(json.loads, jiedao(env, "shell", "-c", script).strip().splitlines()[-3:])
            phases["samples and sessions"] = time.perf_counter() - clock

            clock = time.perf_counter()
            server, port = start_server(env, tmp, log)
            phases["server start"] = time.perf_counter() - clock
            clock = time.perf_counter()
            pages = bench_staff_pages(port, sessions, profile, window["total"], samples)
            phases["staff pages"] = time.perf_counter() - clock
            clock = time.perf_counter()
            export = bench_export(server, port, sessions, profile, window, tmp)
            phases["export"] = time.perf_counter() - clock
            stop_server(server)
            server = None
        if "notices" in parts:
            clock = time.perf_counter()
            notices = bench_notices(env, tmp, profile)
            phases["notices"] = time.perf_counter() - clock
            rows += notices_rows(notices, profile)
    except Exception:
        log.flush()
        sys.stderr.write((tmp / "server.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        if server is not None:
            stop_server(server)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if database == "postgresql":
            pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
    if "city" in parts:
        rows = city_scale_rows(window["vendor"], profile, generated, pages, export, window, phases, samples) + rows
    return rows


def staff_page_rows(common: dict, total: int, pages: dict, profile: dict, server: str) -> list[dict]:
    h = pages["healthz"]
    n = profile["dashboard_requests"]

    def row(name: str, page: str, q: int, notes: str) -> dict:
        d = pages[page]
        key = f"p{q}"
        return {
            **common,
            "dataset_size": total,
            "name": name,
            "value": round(d[key], 1),
            "unit": "ms",
            "baseline_name": f"healthz_{key}_ms",
            "baseline_value": round(h[key], 1),
            "ratio": round(d[key] / h[key], 2) if h[key] else None,
            "notes": notes,
        }

    session = ("signed in through a session made in the session store with the auth keys and a verified "
               "TOTP device (see _STAFF_SESSIONS in bench/run.py)")  # fmt: skip
    by_kind = ", ".join(f"{kind} {v['p50']:.0f}/{v['p95']:.0f}" for kind, v in pages["search_by_kind"].items())
    return [
        row("dashboard_p50_ms", "dashboard", 50,
            f"GET /staff/dashboard/ as leader, {session}; {n} sequential requests on one keep-alive connection, "
            f"each alternating with GET /healthz, after 5 warm-up rounds (each queue address once); every page is checked for the headline "
            f"\"共受理帮困申请 {total} 件\". {server}. Lower is better."),
        row("dashboard_p95_ms", "dashboard", 95,
            f"As dashboard_p50_ms; slowest {pages['dashboard']['max']:.0f} ms. Goal: <= 300 ms at "
            f"{GOAL_APPLICATIONS:,} applications on PostgreSQL."),
        row("queue_p95_ms", "queue", 95,
            f"GET of the queue as reviewer (the whole programme, 30 a page), {session}, rotating "
            f"{', '.join(QUEUE_PATHS)}; {n} sequential requests alternating with GET /healthz; each page must list "
            f"cases. p50 {pages['queue']['p50']:.0f} ms, slowest {pages['queue']['max']:.0f} ms. {server}. "
            f"Goal: <= 50 ms at {GOAL_APPLICATIONS:,}."),
        row("search_p95_ms", "search", 95,
            f"The queue's search box as reviewer: POST /staff/ with q (kept in the session), then GET the "
            f"/staff/?s=<token> page it redirects to, timed together (what staff wait for); texts from random "
            f"generated applications: a name, full pinyin or initials, the ID number's last 4, a phone, "
            f"one of each per round, {pages['search']['n']} searches alternating with GET /healthz; every result "
            f"page must list a case. p50 {pages['search']['p50']:.0f} ms; the GET alone p50/p95 "
            f"{pages['search_get']['p50']:.0f}/{pages['search_get']['p95']:.0f} ms; by kind p50/p95 (ms): {by_kind}. "
            f"Goal: <= 50 ms at {GOAL_APPLICATIONS:,}."),
    ]


def city_scale_rows(vendor, profile, generated, pages, export, window, phases, samples) -> list[dict]:
    workers, threads = makefile_run_settings()
    count = profile["applications"]
    total = window["total"]
    timing = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items())
    server = f"gunicorn with {workers} uvicorn workers (as `make run`), {vendor}, {total:,} applications"
    goal_rate = GOAL_APPLICATIONS / GOAL_SECONDS
    rate = count / generated["seconds"]
    mean = statistics.mean
    export_s, alone_s = mean(export["export_s"]), mean(export["alone_s"])
    # The worst peak of any round, against the leanest worker before an export: a worker keeps
    # what an export made it grow, so a later round can start where the first one peaked.
    peak_mb, idle_mb = max(export["peak_mb"]), min(export["idle_mb"])
    rounds = len(export["export_s"])
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
            "ratio": round(rate / goal_rate, 3),
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
        {
            **common,
            "dataset_size": export["rows"],
            "name": "export_100k_s",
            "value": round(export_s, 2),
            "unit": "s",
            "baseline_name": "openpyxl_alone_s",
            "baseline_value": round(alone_s, 2),
            "ratio": round(export_s / alone_s, 2) if alone_s else None,
            "notes": f"GET /staff/export/applications.xlsx?submitted_from={window['from']}&submitted_to="
            f"{window['to']} as reviewer (full ID numbers), time to the last byte; {export['rows']:,} rows "
            f"(checked with openpyxl read-only against a direct count), {export['size_mb']:.1f} MB; "
            f"{rounds} rounds A,B,A,B, mean (each: {', '.join(f'{s:.1f}' for s in export['export_s'])} s). "
            f"Server CPU per export {mean(export['cpu_s']):.1f} s. Baseline: openpyxl write-only writing as many "
            f"rows of the same 10 columns from memory in a fresh interpreter. Out of {total:,} applications.",
        },
        {
            **common,
            "dataset_size": export["rows"],
            "name": "export_100k_peak_rss_mb",
            "value": round(peak_mb, 1),
            "unit": "MB",
            "baseline_name": "worker_idle_rss_mb",
            "baseline_value": round(idle_mb, 1),
            "ratio": round(peak_mb / idle_mb, 2) if idle_mb else None,
            "notes": "Peak RSS (VmHWM, reset through /proc/PID/clear_refs before each export) of the gunicorn "
            "worker that served the export, worst round; baseline: the smallest RSS of a worker just before "
            "an export (a worker keeps what an export made it grow, so a second export into it starts high). "
            f"The export adds up to {peak_mb - idle_mb:.0f} MB (each round, RSS before -> peak: "
            f"{', '.join(f'{i:.0f} -> {p:.0f}' for i, p in zip(export['idle_mb'], export['peak_mb']))} MB); "
            f"openpyxl alone adds {max(export['alone_mb']):.0f} MB for the same rows.",
        },
    ]


# ---------------------------------------------------------------------------------------------
# SMS notices: the outbox drained by the real worker into a fake gateway (bench/sms_gateway.py)

NOTICE_WORKERS = 3  # several `jiedao notices work` processes: disjoint claims (SKIP LOCKED on PostgreSQL)
BENCH_TEMPLATE = "JIEDAO_BENCH"  # the template code of the bench's notices, counted apart at the gateway

# N notices of a real application's "received" text, each to its own made-up number (the
# per-number limits would hold back a second message to one number for a minute).
_QUEUE_NOTICES = """
import json, uuid
from django.db import connection
from django.utils import timezone
from jiedao.intake.models import Application
from jiedao.notices.models import Notice
from jiedao.notices.services import notice_queue
application = Application.objects.order_by("pk").first()
model = notice_queue(application=application, event="received")[0]
Notice.objects.filter(pk=model.pk).delete()  # only a template to copy from
now = timezone.now()
notices = [Notice(id=uuid.uuid4(), application=application, recipient=model.recipient, phone=f"137{{{offset} + i:08d}}",
                  event=model.event, template_code="{template}", params=model.params, text=model.text,
                  created_at=now, next_attempt_at=now) for i in range({count})]
Notice.objects.bulk_create(notices, batch_size=1000)
print(json.dumps({{"vendor": connection.vendor, "queued": Notice.objects.filter(template_code="{template}", status="queued").count()}}))
"""

_NOTICE_STATUSES = """
import json
from django.db.models import Count
from jiedao.notices.models import Notice
print(json.dumps(dict(Notice.objects.filter(template_code="{template}").values_list("status").annotate(n=Count("pk")))))
"""


def gateway_call(port: int, method: str, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, b"" if method == "POST" else None)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def raw_sms_sender(spec: dict) -> dict:
    """The notices baseline (in the load generator process): POST as many messages to the gateway
    as the workers will, the way the http_json provider does (a new connection each), nothing else."""
    port = spec["gateway_port"]
    for i in range(spec["count"]):
        body = json.dumps({"id": str(__import__("uuid").uuid4()), "phone": f"136{spec['offset'] + i:08d}",
                           "sign": "芷江西路街道", "template": spec["template"], "params": {"reference": "JGBK-2026-00001"},
                           "text": "【芷江西路街道】您的申请已受理"}, ensure_ascii=False).encode()  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/sms", body, {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
        conn.getresponse().read()
        conn.close()
    return {"sent": spec["count"]}


def gateway_rate(stats: dict) -> float:
    if not stats["distinct"] or stats["distinct"] < 2 or stats["last"] == stats["first"]:
        return float("nan")
    return (stats["distinct"] - 1) / (stats["last"] - stats["first"])


def bench_notices(env: dict, tmp: Path, profile: dict) -> dict:
    """Rounds A,B: the raw sender (NOTICE_WORKERS processes) then the real workers, each with a
    fresh batch of notices; the gateway counts every message it receives."""
    import resource

    count = profile["notices"]
    gateway = subprocess.Popen([sys.executable, str(BENCH_DIR / "sms_gateway.py")], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)  # fmt: skip
    rounds = []
    try:
        gport = int(gateway.stdout.readline())
        worker_env = {**env, "JIEDAO_SMS_PROVIDER": "http_json", "JIEDAO_SMS_HTTP_URL": f"http://127.0.0.1:{gport}/sms",
                      "JIEDAO_SMS_HTTP_TOKEN": "bench"}  # fmt: skip
        for n in range(profile["notice_rounds"]):
            # A: the raw sender, as many processes as workers
            gateway_call(gport, "POST", "/__reset")
            raw_template = f"RAW_{n}"
            share = -(-count // NOTICE_WORKERS)
            senders = [subprocess.Popen([sys.executable, __file__, "--loadgen", json.dumps(
                {"kind": "sms_raw", "gateway_port": gport, "count": min(share, count - i * share),
                 "offset": n * 10_000_000 + i * share, "template": raw_template})], stdout=subprocess.DEVNULL)
                for i in range(NOTICE_WORKERS)]  # fmt: skip
            for sender in senders:
                sender.wait(timeout=600)
            raw = gateway_call(gport, "GET", f"/__stats?template={raw_template}")

            # B: the real workers draining the outbox
            template = f"{BENCH_TEMPLATE}_{n}"
            queued = json.loads(jiedao(env, "shell", "-c", _QUEUE_NOTICES.format(
                count=count, offset=n * 10_000_000, template=template)).strip().splitlines()[-1])  # fmt: skip
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.time()
            workers = [subprocess.Popen([str(BIN / "jiedao"), "notices", "work"], env=worker_env,
                                        stdout=subprocess.DEVNULL, stderr=(tmp / f"notices-{n}-{i}.log").open("wb"),
                                        start_new_session=True) for i in range(NOTICE_WORKERS)]  # fmt: skip
            last_progress, seen = time.time(), -1
            deadline = started + 120 + count / 20
            try:
                while time.time() < deadline:
                    stats = gateway_call(gport, "GET", f"/__stats?template={template}")
                    if stats["distinct"] >= count:
                        break
                    if stats["distinct"] != seen:
                        seen, last_progress = stats["distinct"], time.time()
                    elif time.time() - last_progress > 30:
                        break  # stuck: what is missing counts as lost
                    time.sleep(0.2)
                time.sleep(1.0)  # let a duplicate in flight arrive
            finally:
                for worker in workers:
                    if worker.poll() is None:
                        os.killpg(worker.pid, signal.SIGTERM)
                for worker in workers:
                    try:
                        worker.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        os.killpg(worker.pid, signal.SIGKILL)
                        worker.wait()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            stats = gateway_call(gport, "GET", f"/__stats?template={template}")
            statuses = json.loads(jiedao(env, "shell", "-c", _NOTICE_STATUSES.format(template=template)).strip().splitlines()[-1])
            errors = "".join((tmp / f"notices-{n}-{i}.log").read_text(errors="replace") for i in range(NOTICE_WORKERS))
            rounds.append({
                "queued": queued["queued"], "vendor": queued["vendor"], "stats": stats, "raw": raw,
                "rate": gateway_rate(stats), "raw_rate": gateway_rate(raw), "statuses": statuses,
                "worker_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                "first_after_start_s": (stats["first"] - started) if stats["first"] else None,
                "error_lines": [line for line in errors.splitlines() if "ERROR" in line or "error" in line][:3],
            })  # fmt: skip
    finally:
        os.killpg(gateway.pid, signal.SIGTERM)
        gateway.wait(timeout=10)
    return {"rounds": rounds, "workers": NOTICE_WORKERS}


def notices_rows(result: dict, profile: dict) -> list[dict]:
    rounds = result["rounds"]
    vendor = rounds[0]["vendor"]
    queued = sum(r["queued"] for r in rounds)
    received = sum(r["stats"]["received"] for r in rounds)
    distinct = sum(r["stats"]["distinct"] for r in rounds)
    lost, duplicated = queued - distinct, received - distinct
    rate = statistics.mean(r["rate"] for r in rounds)
    raw_rate = statistics.mean(r["raw_rate"] for r in rounds)
    cpu_ms = 1000 * sum(r["worker_cpu_s"] for r in rounds) / max(1, distinct)
    statuses = "; ".join(", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items())) for r in rounds)
    starts = ", ".join(f"{r['first_after_start_s']:.1f}" for r in rounds if r["first_after_start_s"] is not None)
    locking = ("claims with SELECT ... FOR UPDATE SKIP LOCKED" if vendor == "postgresql"
               else "claims serialised by SQLite's write lock (BEGIN IMMEDIATE)")  # fmt: skip
    how = (f"{queued:,} queued notices (each to its own number, so the per-number limits hold none back), "
           f"drained by {result['workers']} `jiedao notices work` processes ({locking}) with "
           f"JIEDAO_SMS_PROVIDER=http_json into a fake gateway in its own process (bench/sms_gateway.py), "
           f"{len(rounds)} round(s)")  # fmt: skip
    common = {"database": vendor, "dataset_size": queued}
    return [
        {
            **common,
            "name": "notices_per_s",
            "value": round(rate, 1),
            "unit": "notices/s",
            "baseline_name": "raw_http_sender_per_s",
            "baseline_value": round(raw_rate, 1),
            "ratio": round(rate / raw_rate, 3) if raw_rate == raw_rate and raw_rate else None,
            "notes": f"{how}; rate from the first to the last message the gateway received (the workers' start-up "
            f"excluded: first message {starts} s "
            f"after starting them). Worker CPU {cpu_ms:.1f} ms per notice (all three processes, their "
            f"Django start-up included). Baseline, side by side: "
            f"{result['workers']} processes POSTing as many messages to the same gateway the way the provider does "
            f"(a new connection each) and nothing else: the ceiling of the gateway and the machine. "
            f"Statuses in the database afterwards: {statuses}. Goal: >= 300/s.",
        },
        {
            **common,
            "name": "notices_lost",
            "value": lost,
            "unit": "notices",
            "baseline_name": "notices_queued",
            "baseline_value": queued,
            "ratio": None,
            "notes": f"Queued minus the distinct message ids the gateway received ({distinct:,}). Goal: 0."
            + (f" Worker log: {' | '.join(l for r in rounds for l in r['error_lines'])}" if any(r["error_lines"] for r in rounds) else ""),
        },
        {
            **common,
            "name": "notices_duplicated",
            "value": duplicated,
            "unit": "notices",
            "baseline_name": "notices_received",
            "baseline_value": received,
            "ratio": None,
            "notes": f"Messages the gateway received minus distinct ids: the same notice sent twice. Goal: 0 "
            f"(with {result['workers']} workers claiming at once).",
        },
    ]


# ---------------------------------------------------------------------------------------------
# Residents submitting: 12 MP photos through the real server, and a surge of 200 at once

# The JGBK programme's "disabled" category asks for the ID card (two pages), the bank card and the
# disability certificate: four photos per application, the fewest any category needs.
SUBMIT_DOCUMENTS = [("id_card", "id_front"), ("id_card", "id_back"), ("bank_card", "bank_card"),
                    ("disability_cert", "disability_certificate")]  # fmt: skip
SUBMIT_CLIENTS = 4  # two requests in flight per core: enough to keep the server's cores busy
SURGE_CLIENTS = 200
SURGE_PHOTO_SIZE = (1280, 960)  # "small photos": a phone's reduced-size upload, ~0.3 MB


def pillow_pool_worker(args: tuple) -> list[float]:
    """One core's worth of the baseline: pillow_alone over the photos until the deadline; the CPU
    milliseconds of each photo (steadier than wall time when neighbours take the cores)."""
    paths, deadline = args
    photos = [Path(p).read_bytes() for p in paths]
    pillow_alone(photos[0])  # warm-up
    times = []
    n = 0
    while time.time() < deadline:
        data = photos[n % len(photos)]
        start = time.process_time()
        pillow_alone(data)
        times.append((time.process_time() - start) * 1000)
        n += 1
    return times


def pillow_parallel(paths: list[str], seconds: float) -> dict:
    """Pillow alone in one process per core, all at once, for `seconds`: photos per second."""
    import concurrent.futures
    import multiprocessing

    cores = os.cpu_count() or 1
    with concurrent.futures.ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
        started = time.time()
        deadline = started + seconds + 1.0  # the pool's processes start within this second
        results = list(pool.map(pillow_pool_worker, [(paths, deadline)] * cores))
        elapsed = time.time() - started
    times = [t for r in results for t in r]
    # Photos per second of all the processes together: each process's count over the time it ran
    # (the deadline minus its start), not a median, so that neighbours taking a core count too.
    return {"photos": len(times), "seconds": elapsed, "times_ms": times, "cores": cores,
            "per_s": len(times) / (seconds + 1.0)}  # fmt: skip


def submit_photo_files(tmp: Path) -> list[str]:
    """The four 12 MP photos of one application, from the photo pipeline's phone-like JPEGs."""
    by_kind = {path.stem.split("-", 1)[1]: path for path in phone_photos()}
    return [str(by_kind[kind]) for _code, kind in SUBMIT_DOCUMENTS]


def small_photo_files(tmp: Path) -> list[str]:
    from jiedao.intake.sample_photos import sample_document_photo

    folder = tmp / "small-photos"
    folder.mkdir(exist_ok=True)
    paths = []
    for seed, (_code, kind) in enumerate(SUBMIT_DOCUMENTS, start=1):
        path = folder / f"{seed}-{kind}.jpg"
        path.write_bytes(sample_document_photo(kind, seed=seed, size=SURGE_PHOTO_SIZE))
        paths.append(str(path))
    return paths


def bench_submit(server: subprocess.Popen, port: int, token: str, profile: dict, vendor: str, tmp: Path) -> list[dict]:
    """Applications with four 12 MP photos through POST /api/v1/applications, against Pillow alone
    doing the same photos in one process per core; rounds A,B,A,B."""
    paths = submit_photo_files(tmp)
    sizes_mb = [Path(p).stat().st_size / 1e6 for p in paths]
    seconds = profile["submit_seconds"]
    runs, pillow = [], []
    for n in range(2):  # A, B, A, B
        spec = {"port": port, "kind": "submit", "clients": SUBMIT_CLIENTS, "warmup": profile["http_warmup"],
                "duration": seconds, "token": token, "photos": paths, "id_base": n * 1_000_000}  # fmt: skip
        runs.append(timed_loadgen(server, spec))
        pillow.append(pillow_parallel(paths, seconds))
    ok = sum(r["ok"] for r in runs)
    errors = sum(r["errors"] for r in runs)
    kinds = merge_kinds(runs)
    per_photo = len(paths)
    # Applications completed per second of the measured windows: each successful request counts by
    # the share of its duration inside its window, so a 3-second upload straddling the edge of a
    # short window counts for what it did there.
    server_rate = sum(r["window_ok"] for r in runs) / sum(r["seconds"] for r in runs)
    pillow_rate = statistics.mean(p["per_s"] for p in pillow) / per_photo
    latencies = [ms for r in runs for ms in r["latencies_ms"]]
    pillow_ms = statistics.median(t for p in pillow for t in p["times_ms"])
    cpu_ms = 1000 * sum(r["server_cpu_s"] for r in runs) / max(1, sum(r["sent"] for r in runs))
    server_ms_per_photo = cpu_ms / per_photo
    workers, threads = makefile_run_settings()
    common = {"database": vendor, "dataset_size": per_photo}
    setup = (
        f"POST /api/v1/applications (multipart, partner token) with {per_photo} distinct 12 MP phone JPEGs "
        f"({', '.join(f'{m:.1f}' for m in sizes_mb)} MB; the programme's smallest set: ID card both sides, "
        f"bank card, disability certificate), a new person each time; {SUBMIT_CLIENTS} keep-alive clients in a "
        f"second process, {seconds:g} s per round after {profile['http_warmup']} s warm-up, 2 rounds A,B,A,B "
        f"against Pillow alone (draft, exif_transpose, LANCZOS to {LONG_EDGE} px, JPEG q85) on the same "
        f"photos in {pillow[0]['cores']} processes (one per core). gunicorn with {workers} uvicorn workers"
    )
    return [
        {
            **common,
            "name": "submit_photos_per_s",
            "value": round(server_rate, 2),
            "unit": "applications/s",
            "baseline_name": "pillow_alone_parallel_per_s",
            "baseline_value": round(pillow_rate, 2),
            "ratio": round(server_rate / pillow_rate, 3) if pillow_rate else None,
            "notes": f"{setup}. Accepted (201 with a reference): {ok}; failed: {errors} ({kinds}). Server CPU "
            f"per application {cpu_ms:.0f} ms; CPU cores busy (server / load generator) "
            f"{statistics.mean(r['server_cores'] for r in runs):.2f} / {statistics.mean(r['cpu_cores'] for r in runs):.2f}. "
            f"Baseline in applications/s = Pillow's photos/s / {per_photo}.",
        },
        {
            **common,
            "name": "submit_ms_per_photo",
            "value": round(server_ms_per_photo, 1),
            "unit": "ms",
            "baseline_name": "pillow_alone_cpu_ms_per_photo",
            "baseline_value": round(pillow_ms, 1),
            "ratio": round(server_ms_per_photo / pillow_ms, 3) if pillow_ms else None,
            "notes": "CPU milliseconds per photo (steadier than wall time on a shared machine): the server's is "
            f"its CPU (gunicorn master and workers) per submission divided by its {per_photo} photos: receiving "
            f"{sum(sizes_mb):.0f} MB of multipart, processing, storing, the database and the answer; Pillow's is "
            "the median CPU time of one photo in the baseline's processes. Wall time of a whole submission under "
            f"{SUBMIT_CLIENTS} clients: p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms "
            f"({percentile(latencies, 50) / per_photo:.0f} ms per photo at the median). Lower is better.",
        },
    ]


def bench_surge(server: subprocess.Popen, port: int, token: str, profile: dict, vendor: str, tmp: Path) -> list[dict]:
    """200 residents submitting at once (API multipart, small photos), then the same 200 clients on
    /healthz; every 5xx, dropped connection and time-out counts, and the server's log is searched
    for "database is locked"."""
    paths = small_photo_files(tmp)
    log_path = tmp / "gunicorn.log"
    log_before = log_path.stat().st_size
    seconds = profile["surge_seconds"]
    spec = {"port": port, "kind": "surge", "clients": SURGE_CLIENTS, "warmup": 0, "duration": seconds,
            "token": token, "photos": paths, "id_base": 5_000_000}  # fmt: skip
    surge = timed_loadgen(server, spec)
    health = timed_loadgen(server, {"port": port, "kind": "healthz", "clients": SURGE_CLIENTS, "warmup": 0,
                                    "duration": profile["surge_baseline_seconds"], "pairs": []})  # fmt: skip
    with log_path.open("rb") as handle:
        handle.seek(log_before)
        log = handle.read().decode(errors="replace")
    locked = log.count("database is locked")
    tracebacks = log.count("Traceback (most recent call last)")

    def server_errors(run: dict) -> int:
        return sum(count for kind, count in run["error_kinds"].items() if not kind.startswith("HTTP 4"))

    total, failed = surge["ok"] + surge["errors"], server_errors(surge)
    h_total, h_failed = health["ok"] + health["errors"], server_errors(health)
    client_errors = surge["errors"] - failed
    latencies = surge["latencies_ms"]
    sizes = [Path(p).stat().st_size / 1e6 for p in paths]
    return [
        {
            "database": vendor,
            "dataset_size": total,
            "name": "surge_error_rate",
            "value": round(failed / total, 4) if total else None,
            "unit": "errors/request",
            "baseline_name": "healthz_surge_error_rate",
            "baseline_value": round(h_failed / h_total, 4) if h_total else None,
            "ratio": None,
            "notes": f"{SURGE_CLIENTS} concurrent clients (threads with keep-alive connections, a second process) "
            f"submitting for {seconds:g} s through POST /api/v1/applications, each a new person with "
            f"{len(paths)} photos of {SURGE_PHOTO_SIZE[0]}x{SURGE_PHOTO_SIZE[1]} ({sum(sizes):.1f} MB in all); "
            f"SQLite, gunicorn as `make run`. Requests {total}: accepted {surge['ok']} "
            f"({surge['ok'] / seconds:.1f}/s), server errors (5xx, dropped connections, time-outs) {failed}, "
            f"refused 4xx {client_errors}; by kind: {fmt_kinds(surge['error_kinds'])}. In the server log during "
            f"the surge: 'database is locked' {locked} times, {tracebacks} tracebacks. Latency p50 "
            f"{percentile(latencies, 50) / 1000:.1f} s, p95 {percentile(latencies, 95) / 1000:.1f} s, max "
            f"{max(latencies, default=0) / 1000:.1f} s. Baseline: the same {SURGE_CLIENTS} clients on GET /healthz "
            f"for {profile['surge_baseline_seconds']:g} s: {h_failed} errors of {h_total} "
            f"({fmt_kinds(health['error_kinds'])}). Goal: 0 server errors and 0 'database is locked'.",
        },
        {
            "database": vendor,
            "dataset_size": total,
            "name": "surge_database_locked",
            "value": locked,
            "unit": "log lines",
            "baseline_name": "goal",
            "baseline_value": 0,
            "ratio": None,
            "notes": "Occurrences of 'database is locked' in the server's log (gunicorn's output, where "
            "Django logs every 500 with its traceback) during the surge. Goal: 0.",
        },
    ]


def merge_kinds(runs: list[dict]) -> str:
    kinds: dict[str, int] = {}
    for run in runs:
        for failure, count in run["error_kinds"].items():
            kinds[failure] = kinds.get(failure, 0) + count
    return fmt_kinds(kinds)


def fmt_kinds(kinds: dict) -> str:
    return ", ".join(f"{count} {failure}" for failure, count in sorted(kinds.items())) or "none"


def id_check_char(first17: str) -> str:
    """GB 11643 check character, so that every made-up ID number is valid."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def made_up_person(k: int) -> tuple[str, str]:
    """(ID number, mobile) of the k-th made-up applicant: distinct for every k < 10,000,000."""
    birth = dt.date(1930, 1, 1) + dt.timedelta(days=k // 499)
    first17 = f"310106{birth:%Y%m%d}{500 + k % 499:03d}"
    return first17 + id_check_char(first17), f"139{k:08d}"


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "jiedaobench" + os.urandom(8).hex()
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     "Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")  # fmt: skip
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def submission(k: int, photos: list[bytes]) -> tuple[bytes, str]:
    id_number, phone = made_up_person(k)
    fields = [("programme", "JGBK"), ("name", "张志远"), ("id_number", id_number), ("phone", phone),
              ("address", "中兴路1021弄7号201室"), ("neighbourhood", "zhijiangxincun"), ("block", "yuqun-west"),
              ("categories", "disabled"), ("consent", "true")]  # fmt: skip
    files = [(f"doc_{code}", f"{kind}.jpg", data) for (code, kind), data in zip(SUBMIT_DOCUMENTS, photos)]
    return multipart(fields, files)


# ---------------------------------------------------------------------------------------------
# The load generator (the second process)


def _add_client_counts(result: dict, *, ok: int, errors: int, sent: int, latencies: list, kinds: dict) -> None:
    """One load-generator client's tallies into the shared result (the caller holds the lock)."""
    result["ok"] += ok
    result["errors"] += errors
    result["sent"] += sent
    result["latencies_ms"] += latencies
    for failure, count in kinds.items():
        result["error_kinds"][failure] = result["error_kinds"].get(failure, 0) + count


def _run_clients(count: int, client, *, timeout: float) -> float:
    """Run ``client(i)`` in ``count`` threads at once; returns the CPU cores this process kept busy."""
    wall, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)



def loadgen(spec: dict) -> dict:
    """CLIENTS threads hammer one endpoint until warm-up + duration has passed; only requests
    started after the warm-up count. Each client keeps one keep-alive connection."""
    if spec["kind"] in ("submit", "surge"):
        return upload_loadgen(spec)
    if spec["kind"] == "sms_raw":
        return raw_sms_sender(spec)
    port, kind, pairs = spec["port"], spec["kind"], spec["pairs"]
    clock = {}

    def start_clock() -> None:  # run once, when every client is connected and ready
        clock["measure_from"] = time.perf_counter() + spec["warmup"]
        clock["end"] = clock["measure_from"] + spec["duration"]

    barrier = threading.Barrier(spec["clients"], action=start_clock)
    lock = threading.Lock()
    result = {"ok": 0, "errors": 0, "sent": 0, "latencies_ms": [], "setup_failures": [], "error_kinds": {}}

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            # Both sides carry the same cookie (csrftoken), so both go through the same
            # middleware work; neither keeps a session cookie (each lookup is a new visitor).
            headers = csrf_headers(conn)
        except Exception as exc:  # reported below: a client that cannot start spoils the load
            with lock:
                result["setup_failures"].append(repr(exc))
            barrier.abort()
            return
        barrier.wait()
        ok = errors = 0
        sent = 1  # everything the server saw, warm-up and the GET /status/ for the token included
        latencies, kinds = [], {}
        for n in range(MAX_REQUESTS_PER_CLIENT):
            start = time.perf_counter()
            if start >= clock["end"]:
                break
            try:
                if kind == "status":
                    reference, phone = pairs[(index + n) % len(pairs)]
                    body = urllib.parse.urlencode(
                        {"csrfmiddlewaretoken": headers["token"], "reference": reference, "phone": phone}
                    )
                    conn.request("POST", "/status/", body, {"Cookie": headers["cookie"],
                                 "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
                elif kind == "form":
                    conn.request("GET", "/status/", headers={"Cookie": headers["cookie"]})
                elif kind == "home":
                    conn.request("GET", "/", headers={"Cookie": headers["cookie"]})
                else:
                    conn.request("GET", "/healthz", headers={"Cookie": headers["cookie"]})
                response = conn.getresponse()
                page = response.read()
                if response.status != 200:
                    failure = f"HTTP {response.status}"
                # The reference alone would match the not-found page too (its form echoes it).
                elif kind == "status" and f'class="reference">{reference}<'.encode() not in page:
                    failure = "case not shown"
                elif kind == "home" and "帮困".encode() not in page:
                    failure = "programme not shown"
                else:
                    failure = None
            except (OSError, http.client.HTTPException) as exc:
                failure = type(exc).__name__
                conn.close()  # http.client reconnects on the next request
            sent += 1
            if start >= clock["measure_from"]:
                latencies.append((time.perf_counter() - start) * 1000)
                if failure:
                    errors += 1
                    kinds[failure] = kinds.get(failure, 0) + 1
                else:
                    ok += 1
        conn.close()
        with lock:
            _add_client_counts(result, ok=ok, errors=errors, sent=sent, latencies=latencies, kinds=kinds)

    cores = _run_clients(spec["clients"], client, timeout=spec["warmup"] + spec["duration"] + 60)
    if result["setup_failures"]:
        raise RuntimeError(f"{len(result['setup_failures'])} clients failed to start: {result['setup_failures'][0]}")
    result["cpu_cores"] = cores
    result["seconds"] = spec["duration"]
    return result


def upload_loadgen(spec: dict) -> dict:
    """spec["clients"] threads, each a resident after another submitting a new application (a new
    ID number and phone each time) through POST /api/v1/applications; only requests started after
    the warm-up count. Every answer but 201 with a reference is a failure, by kind."""
    port, token = spec["port"], spec["token"]
    photos = [Path(p).read_bytes() for p in spec["photos"]]
    clock = {}

    def start_clock() -> None:
        clock["measure_from"] = time.perf_counter() + spec["warmup"]
        clock["end"] = clock["measure_from"] + spec["duration"]

    barrier = threading.Barrier(spec["clients"], action=start_clock)
    lock = threading.Lock()
    result = {"ok": 0, "errors": 0, "sent": 0, "latencies_ms": [], "error_kinds": {}, "samples": [], "window_ok": 0.0}

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        barrier.wait()
        ok = errors = sent = 0
        window_ok = 0.0  # successful requests, each counted by the share of its time inside the window
        latencies, kinds, samples = [], {}, []
        for n in range(MAX_REQUESTS_PER_CLIENT):
            start = time.perf_counter()
            if start >= clock["end"]:
                break
            body, content_type = submission(spec["id_base"] + index * 10_000 + n, photos)
            try:
                conn.request("POST", "/api/v1/applications", body, {"Authorization": f"Bearer {token}",
                             "Content-Type": content_type, "Accept-Language": "zh-hans"})  # fmt: skip
                response = conn.getresponse()
                page = response.read()
                failure = None if response.status == 201 and b'"reference"' in page else f"HTTP {response.status}"
                if failure and len(samples) < 2:
                    samples.append(f"{failure}: {page[:300].decode(errors='replace')}")
            except (OSError, http.client.HTTPException) as exc:
                failure = type(exc).__name__
                conn.close()
            sent += 1
            done = time.perf_counter()
            if failure is None and done > start:
                inside = min(done, clock["end"]) - max(start, clock["measure_from"])
                window_ok += max(0.0, inside) / (done - start)
            if start >= clock["measure_from"]:
                latencies.append((done - start) * 1000)
                if failure:
                    errors += 1
                    kinds[failure] = kinds.get(failure, 0) + 1
                else:
                    ok += 1
        conn.close()
        with lock:
            _add_client_counts(result, ok=ok, errors=errors, sent=sent, latencies=latencies, kinds=kinds)
            result["samples"] += samples
            result["window_ok"] += window_ok

    result["cpu_cores"] = _run_clients(spec["clients"], client, timeout=spec["warmup"] + spec["duration"] + 330)
    result["seconds"] = spec["duration"]
    result["samples"] = result["samples"][:3]
    return result


def csrf_headers(conn: http.client.HTTPConnection) -> dict:
    """GET /status/ once: the csrftoken cookie and the form's csrfmiddlewaretoken."""
    conn.request("GET", "/status/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = "; ".join(c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or "csrftoken=" not in cookies or token is None:
        raise RuntimeError(f"GET /status/ gave no CSRF cookie or token (HTTP {response.status})")
    return {"cookie": cookies, "token": token.group(1)}


# ---------------------------------------------------------------------------------------------
# Reporting


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def machine_facts() -> dict:
    import django
    import PIL

    model = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor() or "unknown",
        "python": platform.python_version(),
        "pillow": PIL.__version__,
        "django": django.get_version(),
        "platform": platform.platform(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


FIELDS = ("name", "value", "unit", "database", "dataset_size", "baseline_name", "baseline_value", "ratio", "notes")


def write_reports(rows: list[dict], facts: dict, mode: str, elapsed: float) -> None:
    rows = [{field: row[field] for field in FIELDS} for row in rows]
    # A partial run (--only) replaces its own metrics and keeps the others' last numbers, marked.
    earlier = BENCH_DIR / "results.json"
    if earlier.exists():
        measured = {(row["name"], row["database"]) for row in rows}
        kept = [row for row in json.loads(earlier.read_text()) if (row["name"], row["database"]) not in measured]
        for row in kept:
            if not row["notes"].startswith("(earlier run"):
                row["notes"] = f"(earlier run, not re-measured in this one) {row['notes']}"
        rows = kept + rows
    (BENCH_DIR / "results.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Jiedao benchmark results",
        "",
        f"Run on {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, `{mode}` mode, {elapsed:.0f} s. "
        "Read the **ratio** (value / baseline, measured side by side in this run); absolute numbers "
        "depend on the machine and its neighbours. See README.md.",
        "",
        f"Machine: {facts['cores']} cores ({facts['cpu']}), Python {facts['python']}, "
        f"Pillow {facts['pillow']}, Django {facts['django']}, {facts['platform']}, "
        f"load average at start {facts['load_average_at_start']}.",
        "",
        "| metric | database | dataset size | value | baseline | baseline value | ratio | goal |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        lines.append(
            f"| {row['name']} | {row['database']} | {row['dataset_size']:,} | {row['value']} {row['unit']} | "
            f"{row['baseline_name']} | {row['baseline_value']} {row['unit']} | {ratio} | {verdict(row, mode)} |"
        )
    lines += ["", "## Notes", ""]
    lines += [
        f"- **{row['name']}** (database: {row['database']}; dataset size: {row['dataset_size']:,}): {row['notes']}"
        for row in rows
    ]
    results = BENCH_DIR / "RESULTS.md"
    kept = results.read_text().partition(ANALYSIS_MARK)[2] if results.exists() else ""
    if kept:
        lines += ["", ANALYSIS_MARK + kept.rstrip("\n")]
    results.write_text("\n".join(lines) + "\n")


# Whatever follows this line in RESULTS.md is written by hand and kept by every run.
ANALYSIS_MARK = "<!-- analysis: written by hand below this line; bench/run.py keeps it -->"
CITY_SCALE_METRICS = ("generate_rate_per_s", "dashboard_p50_ms", "dashboard_p95_ms", "queue_p95_ms", "search_p95_ms",
                      "export_100k_s", "export_100k_peak_rss_mb", "notices_per_s", "notices_lost", "notices_duplicated")


def verdict(row: dict, mode: str) -> str:
    goal = GOALS.get(row["name"])
    if not goal:
        return ""
    direction, target = goal[0], goal[1]
    on_value = len(goal) > 2 and goal[2] == "value"
    measured = row["value"] if on_value else row["ratio"]
    if measured is None:
        return ""
    met = {">=": measured >= target, "<=": measured <= target, "<": measured < target}[direction]
    text = f"{'value' if on_value else 'ratio'} {direction} {target:g} ({'met' if met else 'NOT met'})"
    if mode == "quick" and row["name"] in CITY_SCALE_METRICS and row["name"] != "generate_rate_per_s":
        text += ", on quick-mode data"
    return text


# What --only runs: metric name -> (group, parts of that group).
GROUPS = {
    "photo_pipeline": ("photo_pipeline_per_s", "photo_pipeline_ms_per_photo", "photo_pipeline_peak_rss"),
    "public": ("status_lookup_rps", "slow_clients_p95_ratio", "submit_photos_per_s", "surge_error_rate"),
    "city_scale": CITY_SCALE_METRICS,
}
ONLY = {
    "photo_pipeline_per_s": ("photo_pipeline", ()),
    "status_lookup_rps": ("public", ("status",)),
    "home_rps": ("public", ("status",)),
    "slow_clients_p95_ratio": ("public", ("slow",)),
    "submit_photos_per_s": ("public", ("submit",)),
    "surge_error_rate": ("public", ("surge",)),
    "public": ("public", ("status", "slow", "submit", "surge")),
    "city_scale": ("city_scale", ("city", "notices")),
    "notices_per_s": ("city_scale", ("notices",)),
    **{name: ("city_scale", ("city",)) for name in CITY_SCALE_METRICS if not name.startswith("notices")},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
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
        "public": lambda: bench_public(profile, parts or ("status", "slow", "submit", "surge")),
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
    print(f"[bench] wrote {BENCH_DIR / 'results.json'} and {BENCH_DIR / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
