"""Where the bench and the project live, and how big and how long each phase is.

Every phase takes its durations and dataset sizes from one profile, so that `--quick` shrinks the
whole run consistently (under 3 minutes, for trying a change) and a full run's numbers all come
from the same settings (about 30 minutes, a million applications per database).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BENCH_DIR = PACKAGE_DIR.parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent  # the venv's bin/, as `make bench` runs .venv/bin/python
ENTRY = BENCH_DIR / "run.py"  # `make bench` runs it; the load generator is the same file with --loadgen

# Quick and full settings.
PROFILES = {
    "quick": {"photo_rounds": 2, "rss_photos": 2, "http_seconds": 8, "http_warmup": 1, "submit_seconds": 5,
              "surge_seconds": 10, "surge_baseline_seconds": 3,
              "applications": 5_000, "export_rows": 2_500, "dashboard_requests": 20, "export_rounds": 1,
              "notices": 1_000, "notice_rounds": 1, "ledger_rows": 20_000},
    "full": {"photo_rounds": 12, "rss_photos": 6, "http_seconds": 30, "http_warmup": 3, "submit_seconds": 20,
             "surge_seconds": 60, "surge_baseline_seconds": 15,
             "applications": 1_000_000, "export_rows": 100_000, "dashboard_requests": 30, "export_rounds": 2,
             "notices": 10_000, "notice_rounds": 2, "ledger_rows": 1_000_000},
}  # fmt: skip


def run_temp_dir(prefix: str) -> Path:
    """A temporary folder kept for the whole bench run and removed when the process exits."""
    import atexit

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
