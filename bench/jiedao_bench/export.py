"""export_100k_s and export_100k_peak_rss_mb: the Excel export of about 100,000 cases, as a reviewer
downloads it, against openpyxl alone writing as many rows.

GET /staff/export/applications.xlsx with the run of consecutive days whose applications come
closest to 100,000 (city.py picks it), timed to the last byte; the file is opened with openpyxl
and must have exactly as many rows as a direct COUNT of that range. The baseline, openpyxl's
write-only mode writing the same ten columns from memory in a fresh interpreter, is the part no
export can avoid, so the ratio is what the query, the chunked reading and the response add. The
serving worker's peak RSS is read from /proc (VmHWM, reset with clear_refs just before), because
an export that holds its rows in memory is what would take a small server down.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import urllib.parse
from pathlib import Path

from .procfs import cpu_seconds, kib_to_mb, vm_kib, worker_pids
from .staff import staff_browser
from .stats import ratio

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


def export_rows(common: dict, export: dict, window: dict) -> list[dict]:
    mean = statistics.mean
    total = window["total"]
    export_s, alone_s = mean(export["export_s"]), mean(export["alone_s"])
    # The worst peak of any round, against the leanest worker before an export: a worker keeps
    # what an export made it grow, so a later round can start where the first one peaked.
    peak_mb, idle_mb = max(export["peak_mb"]), min(export["idle_mb"])
    rounds = len(export["export_s"])
    return [
        {
            **common,
            "dataset_size": export["rows"],
            "name": "export_100k_s",
            "value": round(export_s, 2),
            "unit": "s",
            "baseline_name": "openpyxl_alone_s",
            "baseline_value": round(alone_s, 2),
            "ratio": ratio(export_s, alone_s, 2),
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
            "ratio": ratio(peak_mb, idle_mb, 2),
            "notes": "Peak RSS (VmHWM, reset through /proc/PID/clear_refs before each export) of the gunicorn "
            "worker that served the export, worst round; baseline: the smallest RSS of a worker just before "
            "an export (a worker keeps what an export made it grow, so a second export into it starts high). "
            f"The export adds up to {peak_mb - idle_mb:.0f} MB (each round, RSS before -> peak: "
            f"{', '.join(f'{i:.0f} -> {p:.0f}' for i, p in zip(export['idle_mb'], export['peak_mb']))} MB); "
            f"openpyxl alone adds {max(export['alone_mb']):.0f} MB for the same rows.",
        },
    ]
