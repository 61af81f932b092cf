"""Charts drawn on the server as SVG: no script, no CDN, readable on a phone.

Each chart is hidden from screen readers (``aria-hidden``) because the same numbers follow it as a
table; sighted readers get the value printed at the end of every bar.
"""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
ROW = 38
LABEL = 140
VALUE = 48
BAR_COLOUR = "#0b4f91"
LINE_COLOUR = "#1d6b2f"


def _text(x, y, content, *, anchor="start", size=17, weight="normal", fill="#1b1b1b") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(content)}</text>'
    )


def bar_chart(rows: list[tuple[str, int]]) -> SafeString:
    """Horizontal bars, one per row, longest = the largest count."""
    largest = max((count for _label, count in rows), default=0) or 1
    span = WIDTH - LABEL - VALUE
    height = ROW * len(rows) + 4
    parts = []
    for index, (label, count) in enumerate(rows):
        top = index * ROW + 4
        middle = top + ROW / 2 + 5
        length = span * count / largest
        short = label if len(label) <= 7 else label[:6] + "…"  # the full label is in the table
        parts.append(_text(LABEL - 8, middle, short, anchor="end"))
        parts.append(
            f'<rect x="{LABEL}" y="{top + 5}" width="{max(length, 1.5):.1f}" height="{ROW - 12}" '
            f'rx="3" fill="{BAR_COLOUR}"/>'
        )
        parts.append(_text(LABEL + length + 6, middle, str(count), weight="bold"))
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" aria-hidden="true" focusable="false">{}</svg>',
        WIDTH,
        height,
        mark_safe("".join(parts)),
    )


def daily_chart(days) -> SafeString:
    """Applications per day as columns, the running total as a line on its own scale."""
    width, height, left, bottom, top = 360, 220, 36, 34, 16
    plot_w, plot_h = width - left - 40, height - bottom - top
    if not days:
        return mark_safe("")
    most = max(day.count for day in days) or 1
    total = days[-1].cumulative or 1
    step = plot_w / len(days)
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#4a4a4a"/>']
    points = []
    for index, day in enumerate(days):
        x = left + index * step
        column = plot_h * day.count / most
        if day.count:
            parts.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - column:.1f}" width="{max(step * 0.7, 1):.1f}" '
                f'height="{column:.1f}" fill="{BAR_COLOUR}"/>'
            )
        points.append(f"{x + step / 2:.1f},{top + plot_h - plot_h * day.cumulative / total:.1f}")
    parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE_COLOUR}" stroke-width="3"/>')
    parts.append(_text(left - 6, top + 12, str(most), anchor="end", size=16, fill=BAR_COLOUR, weight="bold"))
    parts.append(_text(left - 6, top + plot_h, "0", anchor="end", size=16))
    parts.append(_text(left + plot_w + 4, top + 12, str(days[-1].cumulative), size=16, fill=LINE_COLOUR, weight="bold"))
    parts.append(_text(left, height - 12, days[0].day.strftime("%m-%d"), size=16))
    parts.append(_text(left + plot_w, height - 12, days[-1].day.strftime("%m-%d"), anchor="end", size=16))
    return format_html(
        '<svg class="chart chart-daily" viewBox="0 0 {} {}" width="100%" aria-hidden="true" focusable="false">{}</svg>',
        width,
        height,
        mark_safe("".join(parts)),
    )
