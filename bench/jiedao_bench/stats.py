"""The arithmetic every benchmark shares: percentiles, ratios to the baseline, and failures
tallied by kind ("HTTP 403", "ConnectionResetError", "case not shown"...).

Kept in one place so that every metric reads a p95 and a ratio the same way.
"""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def ratio(value: float, baseline: float, digits: int = 3) -> float | None:
    """value / baseline, rounded; None when there is no baseline to divide by."""
    return round(value / baseline, digits) if baseline else None


def add_kinds(into: dict[str, int], kinds: dict[str, int]) -> dict[str, int]:
    """Adds failure counts by kind into `into` (and returns it)."""
    for failure, count in kinds.items():
        into[failure] = into.get(failure, 0) + count
    return into


def merged_kinds(runs: list[dict]) -> dict[str, int]:
    """The failures by kind of several load phases together."""
    kinds: dict[str, int] = {}
    for run in runs:
        add_kinds(kinds, run["error_kinds"])
    return kinds


def fmt_kinds(kinds: dict) -> str:
    return ", ".join(f"{count} {failure}" for failure, count in sorted(kinds.items())) or "none"
