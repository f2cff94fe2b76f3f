"""Geometry for the workbench's inline SVG chart (no script, no library): bars for one series, a line for another.

The template draws what this computes: only attributes (x, y, width, height, points), never a style attribute,
so the page's CSP needs nothing more than its nonce.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 600, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 8, 8, 16, 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    line_points: str
    ticks: list[Tick]
    bar_max: str
    line_max: str


def bar_line_chart(
    labels: list[str], bars: list[int], line: list[int], *, bar_text: list[str], tick_every: int = 1
) -> Chart:
    """Bars scaled to the largest bar, the line to its own largest value; a tick label every ``tick_every`` days."""
    count = max(1, len(labels))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / count
    bar_top, line_top = max(bars, default=0) or 1, max(line, default=0) or 1
    baseline = PAD_TOP + plot_h
    drawn = []
    for n, (label, value) in enumerate(zip(labels, bars, strict=True)):
        height = plot_h * value / bar_top
        drawn.append(
            Bar(
                x=round(PAD_LEFT + n * slot + slot * 0.15, 1),
                y=round(baseline - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=label,
                value=bar_text[n],
            )
        )
    points = " ".join(
        f"{round(PAD_LEFT + (n + 0.5) * slot, 1)},{round(baseline - plot_h * value / line_top, 1)}"
        for n, value in enumerate(line)
    )
    ticks = [
        Tick(x=round(PAD_LEFT + (n + 0.5) * slot, 1), label=label)
        for n, label in enumerate(labels)
        if n % tick_every == 0 or n == len(labels) - 1
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        baseline=baseline,
        bars=drawn,
        line_points=points,
        ticks=ticks,
        bar_max=bar_text[bars.index(max(bars))] if bars else "0",
        line_max=str(max(line, default=0)),
    )
