"""Tiny SVG charts drawn on the server: bars and a line, inline in the page, no script, nothing fetched.

Charts scale with their container (viewBox); colours come from the stylesheet through class names, so the
page's Content-Security-Policy needs no inline styles. Every mark carries a <title>: hovering (or a
screen reader) gives the exact figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 24, 28  # room for the axis labels and the unit
MAX_X_LABELS = 8
MIN_BAR_PX = 2.0
MAX_BAR_PX = 64.0  # a lone period is a bar, not a wall


@dataclass(frozen=True)
class Point:
    label: str
    value: float


def nice_ceiling(value: float) -> float:
    """The axis top: the value rounded up to 1, 2, 2.5 or 5 times a power of ten (0 stays 1)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop always returns)


def format_value(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0")  # 2.5, not 2.50


def bar_chart(
    points: Sequence[Point], *, title: str, unit: str = "", limit: float | None = None, chart_id: str
) -> Markup:
    """Bars, one per point; `limit` draws a dashed reference line (a quota) and counts in the scale."""
    top = nice_ceiling(max([p.value for p in points] + [limit or 0.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(title, chart_id, top, unit)
    if points:
        slot = plot_w / len(points)
        bar_w = min(max(1.0, slot * 0.7), MAX_BAR_PX)
        for index, point in enumerate(points):
            height = plot_h * point.value / top
            if point.value > 0:
                height = max(height, MIN_BAR_PX)  # a small use next to a large quota is still seen
            x = LEFT + index * slot + (slot - bar_w) / 2
            y = TOP + plot_h - height
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}">'
                f"<title>{escape(point.label)}: {format_value(point.value)} {escape(unit)}</title></rect>"
            )
        parts.extend(_x_labels([p.label for p in points], slot))
    else:
        parts.append(_empty())
    if limit is not None:
        y = TOP + plot_h - plot_h * limit / top
        parts.append(
            f'<line class="limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}">'
            f"<title>quota: {format_value(limit)} {escape(unit)}</title></line>"
        )
    return _svg(parts, title, chart_id)


def line_chart(points: Sequence[Point], *, title: str, unit: str = "", chart_id: str) -> Markup:
    top = nice_ceiling(max([p.value for p in points] + [0.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(title, chart_id, top, unit)
    if points:
        slot = plot_w / len(points)
        coords = [
            (LEFT + (index + 0.5) * slot, TOP + plot_h - plot_h * point.value / top)
            for index, point in enumerate(points)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{path}"/>')
        for (x, y), point in zip(coords, points, strict=True):
            parts.append(
                f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{escape(point.label)}: {format_value(point.value)} {escape(unit)}</title></circle>"
            )
        parts.extend(_x_labels([p.label for p in points], slot))
    else:
        parts.append(_empty())
    return _svg(parts, title, chart_id)


def _frame(title: str, chart_id: str, top: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<title id="{escape(chart_id)}-title">{escape(title)}</title>']
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = format_value(top * fraction)
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    if unit:
        parts.append(f'<text class="axis" x="4" y="{TOP - 12}">{escape(unit)}</text>')
    return parts


def _x_labels(labels: Sequence[str], slot: float) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    y = HEIGHT - BOTTOM + 16
    return [
        f'<text class="axis" x="{LEFT + (i + 0.5) * slot:.1f}" y="{y}" text-anchor="middle">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def _empty() -> str:
    x, y = (LEFT + WIDTH - RIGHT) / 2, TOP + (HEIGHT - TOP - BOTTOM) / 2
    return f'<text class="empty" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">No data yet</text>'


def _svg(parts: list[str], title: str, chart_id: str) -> Markup:
    body = "".join(parts)
    return Markup(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" preserveAspectRatio="xMidYMid meet">'
        f"{body}</svg>"
    )
