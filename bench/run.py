"""Jiedao benchmarks: `make bench` (full, ~10 min at most) or `make bench BENCH_ARGS=--quick` (~3 min).

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
- Output: bench/results.json (one object per number) and bench/RESULTS.md (the same as a table,
  with date and machine facts). Both are rewritten by every run, --only included.
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

# name -> (direction, goal) for the ratio value/baseline_value.
GOALS = {"photo_pipeline_per_s": (">=", 0.7), "status_lookup_rps": (">=", 0.6)}

# Quick and full settings.
PROFILES = {
    "quick": {"photo_rounds": 4, "http_seconds": 10, "http_warmup": 2},
    "full": {"photo_rounds": 12, "http_seconds": 30, "http_warmup": 3},
}
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
        "| metric | value | baseline | baseline value | ratio | goal |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for row in rows:
        goal = GOALS.get(row["name"])
        verdict = ""
        if goal and row["ratio"] is not None:
            met = row["ratio"] >= goal[1] if goal[0] == ">=" else row["ratio"] <= goal[1]
            verdict = f"{goal[0]} {goal[1]} ({'met' if met else 'NOT met'})"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        lines.append(
            f"| {row['name']} | {row['value']} {row['unit']} | {row['baseline_name']} | "
            f"{row['baseline_value']} {row['unit']} | {ratio} | {verdict} |"
        )
    lines += ["", "## Notes", ""]
    lines += [
        f"- **{row['name']}** (database: {row['database']}; dataset size: {row['dataset_size']}): {row['notes']}"
        for row in rows
    ]
    (BENCH_DIR / "RESULTS.md").write_text("\n".join(lines) + "\n")


METRICS = {"photo_pipeline_per_s": bench_photo_pipeline, "status_lookup_rps": bench_status_lookup}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="short run (~3 min)")
    parser.add_argument("--only", choices=sorted(METRICS), help="run one metric")
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)  # internal: the load-generating process
    args = parser.parse_args()
    if args.loadgen:
        print(json.dumps(loadgen(json.loads(args.loadgen))))
        return 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the server
    mode = "quick" if args.quick else "full"
    facts = machine_facts()
    started = time.monotonic()
    rows = []
    for name, bench in METRICS.items():
        if args.only in (None, name):
            print(f"[bench] {name} ({mode}) ...", flush=True)
            new = bench(PROFILES[mode])
            rows += new
            for row in new:
                print(f"[bench]   {row['name']}: {row['value']} {row['unit']} (ratio {row['ratio']})", flush=True)
    write_reports(rows, facts, mode, time.monotonic() - started)
    print(f"[bench] wrote {BENCH_DIR / 'results.json'} and {BENCH_DIR / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
