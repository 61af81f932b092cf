"""Jiedao benchmarks: `make bench` (full, 17-25 min) or `make bench BENCH_ARGS=--quick` (~2 min).

Design notes
- The machine is a noisy 2-core box, so no absolute time is a verdict. Every metric is measured
  side by side with a baseline in the same run, and the RATIO is what to read. No test asserts
  a time; this script never fails on a slow result either (it exits non-zero only on errors).
- photo_pipeline_per_s: process_photo against "Pillow alone" (draft + exif_transpose + resize to
  a 2000 px long edge + JPEG q85) on the same 12 MP phone JPEGs, in the same process, in
  alternating rounds A,B,A,B so that drift (thermal, neighbours) hits both alike. Peak RSS is
  taken in fresh subprocesses from /proc (VmHWM): Pillow's pixel buffers are invisible to
  tracemalloc, and ru_maxrss inherits the parent's peak.
- status_lookup_rps: the real server, started as `make run` starts it (gunicorn with the same
  workers and threads, manifest static files, an access log but to a file), on a free 127.0.0.1
  port, over a throw-away JIEDAO_DATA_DIR with SQLite (DATABASE_URL is removed from its
  environment) and the demo data. SIGTERM and Ctrl-C stop it too.
  The load comes from a second process (this file with --loadgen): 50 threads with keep-alive
  http.client connections, bounded in time and in request count. Baseline GET /healthz and the
  status lookup alternate A,B,A,B. The server is stopped in a `finally`.
- city_scale (dashboard_p95_ms, export_100k_s, export_100k_peak_rss_mb, generate_rate_per_s):
  the same real server over a big generated dataset (`jiedao demo generate`: 1,000,000
  applications, --quick 20,000), on SQLite and, when it answers (or with --postgres), on
  PostgreSQL in a database this script creates and drops (jiedao_bench, never `test`).
  Sequential requests, as one leader at a desk: dashboard vs /healthz in rounds A,B,A,B; the
  queue export of about 100,000 rows (--quick 10,000) vs openpyxl alone writing as many rows,
  and the gunicorn worker's peak RSS (VmHWM, reset through clear_refs before each export).
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
# for a goal on the value itself (the "well under a second", "20 s", "200 MB"...).
GOALS = {
    "photo_pipeline_per_s": (">=", 0.7),
    "status_lookup_rps": (">=", 0.6),
    "dashboard_p95_ms": ("<", 1000, "value"),
    "export_100k_s": ("<=", 20, "value"),
    "export_100k_peak_rss_mb": ("<=", 200, "value"),
    "generate_rate_per_s": (">=", 1.0),  # the baseline is the rate of 1,000,000 in 10 minutes
}

# Quick and full settings.
PROFILES = {
    "quick": {"photo_rounds": 4, "http_seconds": 10, "http_warmup": 2,
              "applications": 20_000, "export_rows": 10_000, "dashboard_requests": 30, "export_rounds": 2},
    "full": {"photo_rounds": 12, "http_seconds": 30, "http_warmup": 3,
             "applications": 1_000_000, "export_rows": 100_000, "dashboard_requests": 30, "export_rounds": 2},
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
    with tempfile.TemporaryDirectory(prefix="jiedao-bench-photos-") as tmp:
        paths = make_phone_photos(Path(tmp))
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
        rss = {name: max(peak_rss_mib(func.__name__, p) for p in paths) for name, func in contenders.items()}

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
    """Workers and threads of the Makefile's `run` target, so the bench serves as `make run` does."""
    text = (ROOT / "Makefile").read_text()
    workers = re.search(r"^WORKERS \?= (\d+)", text, re.M)
    threads = re.search(r"--threads (\d+)", text)
    return int(workers.group(1)) if workers else 3, int(threads.group(1)) if threads else 4


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
        timeout=spec["warmup"] + spec["duration"] + 120,
    )
    if out.returncode:
        raise RuntimeError(f"load generator failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def bench_status_lookup(profile: dict) -> list[dict]:
    workers, threads = makefile_run_settings()
    tmp = Path(tempfile.mkdtemp(prefix="jiedao-bench-server-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JIEDAO_DATA_DIR=str(tmp), JIEDAO_MANIFEST_STATIC="1", PATH=f"{BIN}:{env.get('PATH', '')}")
    server = None
    log = open(tmp / "gunicorn.log", "wb")
    try:
        jiedao(env, "migrate", "--no-input")
        jiedao(env, "collectstatic", "--no-input", "--verbosity", "0")
        jiedao(env, "demo", "load")
        demo = json.loads(jiedao(env, "shell", "-c", _DEMO_PAIRS).strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "jiedao.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "120",
             "--access-logfile", str(tmp / "access.log"), "--forwarded-allow-ips", "127.0.0.1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_until_up(port, server)

        phases = {"healthz": [], "status": []}
        half = profile["http_seconds"] / 2
        for _round in range(2):  # A, B, A, B
            for kind in phases:
                spec = {"port": port, "kind": kind, "clients": CLIENTS, "warmup": profile["http_warmup"],
                        "duration": half, "pairs": demo["pairs"]}  # fmt: skip
                cpu, wall = cpu_seconds(server.pid), time.perf_counter()
                run = run_loadgen(spec)
                run["server_cpu_s"] = cpu_seconds(server.pid) - cpu
                run["server_cores"] = run["server_cpu_s"] / (time.perf_counter() - wall)
                phases[kind].append(run)
    except Exception:
        log.flush()
        sys.stderr.write((tmp / "gunicorn.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        if server is not None:
            stop_server(server)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    stats = {kind: merge_phases(runs) for kind, runs in phases.items()}
    h, s = stats["healthz"], stats["status"]
    seconds = profile["http_seconds"]
    setup = (
        f"gunicorn {workers} workers x {threads} threads (as `make run`), SQLite, "
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
            f"client), answer checked for the reference. Baseline GET /healthz. {setup}. "
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
    """gunicorn as `make run` starts it (workers and threads from the Makefile)."""
    workers, threads = makefile_run_settings()
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "jiedao.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--timeout", "120",
         "--access-logfile", str(tmp / "access.log"), "--forwarded-allow-ips", "127.0.0.1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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

    def sign_in(self, username: str, password: str) -> None:
        """Through the real login form, with its CSRF cookie and token."""
        status, page, _ms = self.get("/staff/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None or "csrftoken" not in self.cookies:
            raise RuntimeError(f"GET /staff/login/ gave no CSRF token (HTTP {status})")
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": password}
        )
        response = self.send("POST", "/staff/login/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response.read()
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in as {username} failed (HTTP {response.status})")

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


def bench_dashboard(port: int, logins: dict, profile: dict, expected_total: int) -> dict:
    """Sequential GETs as the leader: /healthz and /staff/dashboard/ alternating, after a warm-up."""
    leader = StaffBrowser(port)
    leader.sign_in("leader", logins["leader"])
    headline = f"共受理帮困申请 {expected_total} 件".encode()
    for _ in range(3):  # warm-up: imports, templates, the database's caches
        leader.get("/healthz")
        status, page, _ms = leader.get("/staff/dashboard/")
        if status != 200 or headline not in page:
            raise RuntimeError(f"dashboard: HTTP {status}, headline with {expected_total} applications not found")
    times = {"healthz": [], "dashboard": []}
    for _ in range(profile["dashboard_requests"]):  # A, B, A, B
        for kind, path in (("healthz", "/healthz"), ("dashboard", "/staff/dashboard/")):
            status, page, ms = leader.get(path)
            if status != 200 or (kind == "dashboard" and headline not in page):
                raise RuntimeError(f"{path}: HTTP {status} or wrong figures")
            times[kind].append(ms)
    return {kind: {"p50": percentile(t, 50), "p95": percentile(t, 95), "max": max(t)} for kind, t in times.items()}


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


def bench_export(server: subprocess.Popen, port: int, logins: dict, profile: dict, window: dict, tmp: Path) -> dict:
    """The reviewer exports the queue filtered to a run of days; the worker's peak RSS is read
    from /proc (VmHWM, reset with clear_refs just before)."""
    reviewer = StaffBrowser(port)
    reviewer.sign_in("reviewer", logins["reviewer"])
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


def bench_city_scale(profile: dict, databases: list[str]) -> list[dict]:
    rows = []
    for database in databases:
        print(f"[bench]   {database}: {profile['applications']:,} applications ...", flush=True)
        rows += city_scale_on(database, profile)
    return rows


def city_scale_on(database: str, profile: dict) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="jiedao-bench-city-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(JIEDAO_DATA_DIR=str(tmp), JIEDAO_MANIFEST_STATIC="1", PATH=f"{BIN}:{env.get('PATH', '')}")
    if database == "postgresql":
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_BENCH_DB}"
        pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")  # left over by a killed run
        pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
    server = None
    log = open(tmp / "server.log", "wb")
    phases = {}
    try:
        clock = time.perf_counter()
        jiedao(env, "migrate", "--no-input")
        jiedao(env, "collectstatic", "--no-input", "--verbosity", "0")
        jiedao(env, "demo", "load")
        logins = json.loads((tmp / "demo-logins.json").read_text())
        phases["set-up"] = time.perf_counter() - clock

        generated = generate_dataset(env, profile["applications"], log)
        phases["generate"] = generated["seconds"]

        clock = time.perf_counter()
        window = json.loads(jiedao(env, "shell", "-c", _EXPORT_RANGE.format(target=profile["export_rows"])).strip().splitlines()[-1])
        phases["export range"] = time.perf_counter() - clock

        clock = time.perf_counter()
        server, port = start_server(env, tmp, log)
        phases["server start"] = time.perf_counter() - clock
        clock = time.perf_counter()
        dashboard = bench_dashboard(port, logins, profile, window["total"])
        phases["dashboard"] = time.perf_counter() - clock
        clock = time.perf_counter()
        export = bench_export(server, port, logins, profile, window, tmp)
        phases["export"] = time.perf_counter() - clock
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
    return city_scale_rows(window["vendor"], profile, generated, dashboard, export, window, phases)


def city_scale_rows(vendor, profile, generated, dashboard, export, window, phases) -> list[dict]:
    workers, threads = makefile_run_settings()
    count = profile["applications"]
    total = window["total"]
    timing = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items())
    server = f"gunicorn {workers} workers x {threads} threads (as `make run`), {vendor}, {total:,} applications"
    goal_rate = GOAL_APPLICATIONS / GOAL_SECONDS
    rate = count / generated["seconds"]
    h, d = dashboard["healthz"], dashboard["dashboard"]
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
        {
            **common,
            "dataset_size": total,
            "name": "dashboard_p50_ms",
            "value": round(d["p50"], 1),
            "unit": "ms",
            "baseline_name": "healthz_p50_ms",
            "baseline_value": round(h["p50"], 1),
            "ratio": round(d["p50"] / h["p50"], 2) if h["p50"] else None,
            "notes": f"GET /staff/dashboard/ signed in as leader (through /staff/login/), "
            f"{profile['dashboard_requests']} sequential requests on one keep-alive connection, alternating "
            f"with GET /healthz, after 3 warm-up rounds; the page is checked for the headline "
            f"\"共受理帮困申请 {total} 件\". {server}. Lower is better.",
        },
        {
            **common,
            "dataset_size": total,
            "name": "dashboard_p95_ms",
            "value": round(d["p95"], 1),
            "unit": "ms",
            "baseline_name": "healthz_p95_ms",
            "baseline_value": round(h["p95"], 1),
            "ratio": round(d["p95"] / h["p95"], 2) if h["p95"] else None,
            "notes": f"As dashboard_p50_ms; slowest dashboard {d['max']:.0f} ms. Goal: well under 1 s at "
            f"{GOAL_APPLICATIONS:,} applications.",
        },
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
# The load generator (the second process)


def loadgen(spec: dict) -> dict:
    """CLIENTS threads hammer one endpoint until warm-up + duration has passed; only requests
    started after the warm-up count. Each client keeps one keep-alive connection."""
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
            headers = csrf_headers(conn) if kind == "status" else {}
        except Exception as exc:  # reported below: a client that cannot start spoils the load
            with lock:
                result["setup_failures"].append(repr(exc))
            barrier.abort()
            return
        barrier.wait()
        ok = errors = 0
        sent = 1 if kind == "status" else 0  # everything the server saw, warm-up and GET included
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
                else:
                    conn.request("GET", "/healthz")
                response = conn.getresponse()
                page = response.read()
                if response.status != 200:
                    failure = f"HTTP {response.status}"
                # The reference alone would match the not-found page too (its form echoes it).
                elif kind == "status" and f'class="reference">{reference}<'.encode() not in page:
                    failure = "case not shown"
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
            result["ok"] += ok
            result["errors"] += errors
            result["sent"] += sent
            result["latencies_ms"] += latencies
            for failure, count in kinds.items():
                result["error_kinds"][failure] = result["error_kinds"].get(failure, 0) + count

    wall, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(spec["clients"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=spec["warmup"] + spec["duration"] + 60)
    if result["setup_failures"]:
        raise RuntimeError(f"{len(result['setup_failures'])} clients failed to start: {result['setup_failures'][0]}")
    result["cpu_cores"] = (time.process_time() - cpu) / (time.perf_counter() - wall)
    result["seconds"] = spec["duration"]
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
CITY_SCALE_METRICS = ("generate_rate_per_s", "dashboard_p50_ms", "dashboard_p95_ms", "export_100k_s", "export_100k_peak_rss_mb")


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


METRICS = {
    "photo_pipeline_per_s": bench_photo_pipeline,
    "status_lookup_rps": bench_status_lookup,
    "city_scale": bench_city_scale,  # all of CITY_SCALE_METRICS, from one generated dataset
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="short run (~2 min)")
    parser.add_argument("--only", choices=sorted([*METRICS, *CITY_SCALE_METRICS]),
                        help="run one metric (any city-scale metric runs them all)")  # fmt: skip
    postgres = parser.add_mutually_exclusive_group()
    postgres.add_argument("--postgres", action="store_true",
                          help=f"city_scale on PostgreSQL too ({PG_SERVER}), failing if it does not answer "
                          "(default: when it answers)")  # fmt: skip
    postgres.add_argument("--no-postgres", action="store_true", help="city_scale on SQLite only")
    parser.add_argument("--applications", type=int, help="city_scale dataset size (default 1,000,000; --quick 20,000)")
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
    only = "city_scale" if args.only in CITY_SCALE_METRICS else args.only
    databases = ["sqlite"]
    if only in (None, "city_scale") and not args.no_postgres:
        if postgres_available():
            databases.append("postgresql")
        elif args.postgres:
            print(f"[bench] --postgres: nothing answers at {PG_SERVER}", file=sys.stderr)
            return 2
    facts = machine_facts()
    started = time.monotonic()
    rows = []
    for name, bench in METRICS.items():
        if only in (None, name):
            print(f"[bench] {name} ({mode}) ...", flush=True)
            new = bench(profile, databases) if name == "city_scale" else bench(profile)
            rows += new
            for row in new:
                print(f"[bench]   {row['name']}: {row['value']} {row['unit']} (ratio {row['ratio']})", flush=True)
    write_reports(rows, facts, mode, time.monotonic() - started)
    print(f"[bench] wrote {BENCH_DIR / 'results.json'} and {BENCH_DIR / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
