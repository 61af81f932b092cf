"""What Linux's /proc says about the processes the bench started: CPU time and resident memory.

The server's CPU per request is the steadiest figure on a machine whose neighbours steal CPU, and
peak RSS (VmHWM, which writing 5 to /proc/PID/clear_refs resets) is the one memory figure that
belongs to one process alone (ru_maxrss carries a parent's peak through fork+exec).
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def children_pids(pid: int) -> list[int]:
    """The live children of a process (a gunicorn master's workers); OSError if it is gone."""
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def worker_pids(master: int) -> list[int]:
    try:
        return children_pids(master)
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its children (the gunicorn master and its workers): the live
    ones, and those that ended (a worker recycled after max_requests: its time is in the master's
    cutime+cstime once reaped), so that the sum never goes down during a phase."""
    total = 0.0
    try:
        for p in [pid, *children_pids(pid)]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ended = int(fields[13]) + int(fields[14]) if p == pid else 0
            total += (int(fields[11]) + int(fields[12]) + ended) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return float("nan")
    return total


def vm_kib(pid: int, key: str) -> int:
    match = re.search(rf"{key}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) if match else 0


def kib_to_mb(kib: float) -> float:
    return kib * 1024 / 1e6
