"""Two runs side by side on the end screen: objectives, totals, and curves on one scale."""

from __future__ import annotations

from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scaletui.game.compare import Comparison, Curve, Row

SPARK_W = 30  # with the labels and scales, the curves fit 80 columns


def _cell(row: Row, side: str, st: Callable[[str], str]) -> Text:
    text = Text(row.a if side == "a" else row.b)
    if row.better == side:
        text.stylize(st("bold ok"))
    return text


def _spark(curve: Curve, values: list[float], n: int, st: Callable[[str], str], style: str) -> Text:
    cells, over = curve.line(values, n, SPARK_W)
    text = Text(cells, style=st(style))
    for i in over:
        text.stylize(st("bold bad"), i, i + 1)
    return text


def comparison_renderable(c: Comparison, st: Callable[[str], str]) -> Group:
    """`st`: the theme's style for a role name (palette_of(widget).style)."""
    figures = Table(expand=False, show_edge=False, box=None, padding=(0, 2))
    figures.add_column("", style="bold", no_wrap=True)
    figures.add_column(c.labels[0])  # values wrap rather than cut at 80 columns
    figures.add_column(c.labels[1])
    for row in c.heading[1:2] + c.objectives + [r for r in c.totals if r.name in ("failed", "latency p95", "cost")]:
        figures.add_row(row.name, _cell(row, "a", st), _cell(row, "b", st))
    n = max((max(len(cv.a), len(cv.b)) for cv in c.curves), default=1) or 1
    curves = Table(expand=False, show_edge=False, box=None, padding=(0, 1), show_header=False)
    curves.add_column(style="bold", no_wrap=True)
    curves.add_column(no_wrap=True)
    curves.add_column(no_wrap=True)
    curves.add_column(style="dim", no_wrap=True)
    for cv in c.curves:
        peak = max(cv.a + cv.b + [0.0])
        curves.add_row(cv.name, c.labels[0], _spark(cv, cv.a, n, st, "busy"), f"max {peak:,.4g}{cv.unit}")
        curves.add_row("", c.labels[1], _spark(cv, cv.b, n, st, "accent"),
                       f"target {cv.target:,.4g}{cv.unit}" if cv.target is not None else "")
    return Group(figures, Text(""), curves)
