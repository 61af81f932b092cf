"""surge_error_rate and surge_database_locked: 200 residents submitting at once, on SQLite.

A programme opening brings everyone at the same minute. 200 concurrent clients (threads with
keep-alive connections, in a second process) submit through POST /api/v1/applications, each a new
person with four small photos (1280x960, about 0.2 MB), so that the limit found is the server's
concurrency and SQLite's single writer, not photo work. Everything but a 201 with a reference is a
failure; the value is server errors (5xx, dropped connections, time-outs) per request, 4xx counted
apart. The server's log is then searched for "database is locked". Baseline: the same 200 clients
on GET /healthz, to tell the server's connection handling from the app.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .applicants import SUBMIT_DOCUMENTS
from .load import timed_loadgen
from .stats import fmt_kinds, percentile

SURGE_CLIENTS = 200
SURGE_PHOTO_SIZE = (1280, 960)  # "small photos": a phone's reduced-size upload, ~0.3 MB


def small_photo_files(tmp: Path) -> list[str]:
    from jiedao.ops.sample_photos import sample_document_photo

    folder = tmp / "small-photos"
    folder.mkdir(exist_ok=True)
    paths = []
    for seed, (_code, kind) in enumerate(SUBMIT_DOCUMENTS, start=1):
        path = folder / f"{seed}-{kind}.jpg"
        path.write_bytes(sample_document_photo(kind, seed=seed, size=SURGE_PHOTO_SIZE))
        paths.append(str(path))
    return paths


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
