"""submit_photos_per_s (and submit_ms_per_photo): applications with four 12 MP photos through the
real server, against Pillow alone doing the same photos on every core.

POST /api/v1/applications (multipart, a partner token), each a new person (applicants.py) with the
photo pipeline's phone JPEGs, from 4 keep-alive clients in a second process; side by side in rounds
A,B,A,B of the same length, pillow_alone on the same photos in one process per core, all at once.
Its photos per second divided by four is the baseline in applications per second, so the ratio
says what receiving 16 MB of multipart, the pipeline's checks, storing, the database and the
answer cost over the photo work no server can avoid. CPU milliseconds per photo (server vs
Pillow) are reported too: steadier than wall time on a shared machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

from .applicants import SUBMIT_DOCUMENTS
from .load import timed_loadgen
from .photo_pipeline import LONG_EDGE, phone_photos, pillow_alone
from .server import makefile_run_settings
from .stats import fmt_kinds, merged_kinds, percentile, ratio

SUBMIT_CLIENTS = 4  # two requests in flight per core: enough to keep the server's cores busy


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
    kinds = fmt_kinds(merged_kinds(runs))
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
    workers, _threads = makefile_run_settings()
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
            "ratio": ratio(server_rate, pillow_rate),
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
            "ratio": ratio(server_ms_per_photo, pillow_ms),
            "notes": "CPU milliseconds per photo (steadier than wall time on a shared machine): the server's is "
            f"its CPU (gunicorn master and workers) per submission divided by its {per_photo} photos: receiving "
            f"{sum(sizes_mb):.0f} MB of multipart, processing, storing, the database and the answer; Pillow's is "
            "the median CPU time of one photo in the baseline's processes. Wall time of a whole submission under "
            f"{SUBMIT_CLIENTS} clients: p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms "
            f"({percentile(latencies, 50) / per_photo:.0f} ms per photo at the median). Lower is better.",
        },
    ]
