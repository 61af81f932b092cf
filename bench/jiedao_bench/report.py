"""The results files: bench/results.json (one object per number) and bench/RESULTS.md (the same as
a table, with the date and the machine), and each goal's verdict.

Numbers from a 2-core machine with neighbours mean little without the machine, so every report
carries the cores, CPU, Python, Pillow, Django and the load average at the start. Both files are
rewritten by every run; a partial run (--only) replaces its own metrics and keeps the others' last
numbers, marked "(earlier run, not re-measured in this one)", and the hand-written analysis at the
end of RESULTS.md (below ANALYSIS_MARK) is kept by every run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from pathlib import Path

from .config import BENCH_DIR
from .goals import CITY_SCALE_METRICS, GOALS

RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_MD = BENCH_DIR / "RESULTS.md"

FIELDS = ("name", "value", "unit", "database", "dataset_size", "baseline_name", "baseline_value", "ratio", "notes")

# Whatever follows this line in RESULTS.md is written by hand and kept by every run. (The text
# names bench/run.py, the entry point; it must stay as it is to match the RESULTS.md on file.)
ANALYSIS_MARK = "<!-- analysis: written by hand below this line; bench/run.py keeps it -->"


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


def write_reports(rows: list[dict], facts: dict, mode: str, elapsed: float) -> None:
    rows = [{**{field: row[field] for field in FIELDS}, "goal": verdict(row, mode)} for row in rows]
    # A partial run (--only) replaces its own metrics and keeps the others' last numbers, marked,
    # with the verdict they were given in their own run (a quick run's goal reads differently).
    if RESULTS_JSON.exists():
        measured = {(row["name"], row["database"]) for row in rows}
        on_file = _goals_on_file()
        kept = [row for row in json.loads(RESULTS_JSON.read_text()) if (row["name"], row["database"]) not in measured]
        for row in kept:
            if not row["notes"].startswith("(earlier run"):
                row["notes"] = f"(earlier run, not re-measured in this one) {row['notes']}"
            row.setdefault("goal", on_file.get((row["name"], row["database"]), verdict(row, mode)))
        rows = kept + rows
    RESULTS_JSON.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
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
            f"{row['baseline_name']} | {row['baseline_value']} {row['unit']} | {ratio} | {row['goal']} |"
        )
    lines += ["", "## Notes", ""]
    lines += [
        f"- **{row['name']}** (database: {row['database']}; dataset size: {row['dataset_size']:,}): {row['notes']}"
        for row in rows
    ]
    kept = RESULTS_MD.read_text().partition(ANALYSIS_MARK)[2] if RESULTS_MD.exists() else ""
    if kept:
        lines += ["", ANALYSIS_MARK + kept.rstrip("\n")]
    RESULTS_MD.write_text("\n".join(lines) + "\n")


def _goals_on_file() -> dict[tuple[str, str], str]:
    """The goal column of the RESULTS.md on file, by (metric, database): for rows written before
    results.json kept each row's verdict."""
    if not RESULTS_MD.exists():
        return {}
    goals = {}
    for line in RESULTS_MD.read_text().partition("## Notes")[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] not in ("metric", "---"):
            goals[(cells[0], cells[1])] = cells[7]
    return goals


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
