"""Visiting public pages at every phone width in both text sizes, as each service's browser test
does: the problems ``PAGE_PROBLEMS_JS`` finds (a page wider than the screen, text cut off …),
and whatever else a test checks on each page."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.test_layout_in_browser import PAGE_PROBLEMS_JS, WIDTHS


def problems_at_every_width(
    page, base_url: str, paths: list[str], *, statuses: dict[str, int] | None = None,
    each: Callable[[object, int, bool, str], list | None] | None = None,
) -> dict[str, list]:  # fmt: skip
    """Each of ``paths`` at 320, 360 and 390 px, in 标准版 then 长辈版; ``each(page, width, large,
    path)`` may return more findings (an accessibility audit) and take screenshots. Returns the
    findings by "<width>px <text size> <path>"; every page must answer ``statuses`` (200 by default)."""
    problems: dict[str, list] = {}
    for large in (False, True):
        page.context.clear_cookies()
        if large:
            page.context.add_cookies([{"name": "jiedao_large_text", "value": "1", "url": base_url}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for path in paths:
                response = page.goto(base_url + path)
                label = f"{width}px {'长辈版' if large else '标准版'} {path}"
                assert response.status == (statuses or {}).get(path, 200), label
                found = [*page.evaluate(PAGE_PROBLEMS_JS), *((each and each(page, width, large, path)) or [])]
                if found:
                    problems[label] = found
    return problems


def report(problems: dict[str, list]) -> str:
    return "\n".join(f"{label}: {found}" for label, found in problems.items())
