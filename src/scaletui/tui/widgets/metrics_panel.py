"""Metric sparklines: the last minutes of the headline figures, one line each.

Each line says its scale: the figure now (the last tick), the sparkline from zero (an
empty cell is zero) up to the scale's top, and beside it the data's maximum "of" that
top: a round number above the data (flat data is not a full bar), 100% for the
percentages. Where an SLO sets a target (p95, the error rate the availability allows)
the scale holds it, and the cells over it take the error colour.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scaletui.sim.snapshot import Snapshot, TickRow
from scaletui.tui.palette import palette_of
from scaletui.game.sparkline import buckets, sparkline
from scaletui.tui.render import ms, nice_top, si

WINDOW_S = 600.0  # the sparklines show the last ten simulated minutes
TITLE = "Metrics · 10 min · now = last 1 s"


def _rows(snap: Snapshot) -> list[TickRow]:
    if not snap.recent:
        return []
    start = snap.recent[-1].t - WINDOW_S
    return [r for r in snap.recent if r.t > start]


class MetricsPanel(Static):
    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    p95_target_ms: float | None = None  # the latency SLO, a reference line
    error_target: float | None = None  # the error rate the availability SLO allows
    _lines = 0

    def watch_snapshot(self, snap: Snapshot | None) -> None:
        # Relayout only when the number of lines changes (a cache or a queue appears).
        n = self._count(snap)
        if n != self._lines:
            self._lines = n
            self.refresh(layout=True)

    def _count(self, snap: Snapshot | None) -> int:
        if snap is None or not snap.recent:
            return 1
        rows = _rows(snap)
        n = 6
        n += any(r.hit_rate is not None for r in rows)
        n += any(r.lag_s > 0 for r in rows)
        n += any(r.queue_depth > 0 for r in rows)
        return n

    def render(self) -> Table | Text:
        snap = self.snapshot
        if snap is None or not snap.recent:
            return Text("no data yet", style="dim")
        pal = palette_of(self)
        rows = _rows(snap)
        last = rows[-1]
        label_w, now_w = 7, 8
        lines: list[tuple[str, list[float], str | Text, str, float | None, float, Text]] = []

        def line(label: str, values: list[float], now: str | Text, style: str, fmt, top: float | None = None,
                 target: float | None = None, top_fmt=None, ceiling: float | None = None) -> None:
            peak = max(values) if values else 0.0
            # A percentage's top is 100%; any other is a round number above the data and the target
            # (never above the ceiling: an error rate's round number above 100% would be 200%).
            scale = top if top is not None else nice_top(max(peak, target or 0.0))
            if ceiling is not None:
                scale = min(scale, ceiling)
            of = f" of {(top_fmt or fmt)(scale)}" if scale > 0 else ""
            lines.append((label, values, now, style, target, scale, Text(f"max {fmt(peak)}{of}", style="dim")))

        offered = [r.offered_rps for r in rows]
        line("traffic", offered, si(last.offered_rps), pal.busy, si, top_fmt=_round_si)
        line("served", [r.served_rps for r in rows], si(last.served_rps), pal.ok, si, nice_top(max(offered)),
             top_fmt=_round_si)
        err_style = f"bold {pal.bad}" if last.error_rate > 0.01 else (pal.warn if last.error_rate > 0 else pal.ok)
        line("errors", [r.error_rate for r in rows], Text(_pct(last.error_rate), style=err_style), pal.warn,
             _pct, target=self.error_target, top_fmt=lambda x: f"{100 * x:g}%", ceiling=1.0)
        line("p95", [r.p95_ms for r in rows], ms(last.p95_ms), pal.accent, ms, target=self.p95_target_ms,
             top_fmt=lambda x: f"{x / 1000:g}s" if x >= 1000 else f"{x:g}ms")
        line("cost/h", [r.cost_per_hour for r in rows], f"{last.cost_per_hour:.1f}", pal.warn,
             lambda x: f"{x:.1f}", top_fmt=lambda x: f"{x:g}")
        if any(r.hit_rate is not None for r in rows):
            # All the caches' reads together (the topology shows each node's own).
            line("caches", [r.hit_rate or 0.0 for r in rows], f"hit {100 * (last.hit_rate or 0):.0f}%",
                 pal.busy, lambda x: f"{100 * x:.0f}%", 1.0)
        line("db", [r.db_utilization for r in rows], f"{100 * last.db_utilization:.0f}%", pal.warn,
             lambda x: f"{100 * x:.0f}%", 1.0)
        if any(r.lag_s > 0 for r in rows):
            line("lag", [r.lag_s for r in rows], f"{last.lag_s:.2f}s", pal.warn, lambda x: f"{x:.2f}s",
                 top_fmt=lambda x: f"{x:g}s")
        if any(r.queue_depth > 0 for r in rows):
            line("queue", [r.queue_depth for r in rows], si(last.queue_depth), pal.warn, si, top_fmt=_round_si)
        top_w = max(len(top.plain) for *_, top in lines)
        width = max(8, self.size.width - label_w - now_w - top_w - 3)
        t = Table.grid(padding=(0, 1))
        t.add_column(width=label_w, style="bold", no_wrap=True)
        t.add_column(width=width, no_wrap=True)
        t.add_column(width=now_w, justify="right", no_wrap=True)
        t.add_column(width=top_w, justify="right", no_wrap=True)
        for label, values, now, style, target, scale, top in lines:
            spark = Text(sparkline(values, width, scale), style=style)
            if target is not None and scale > 0:
                # The cells over the target: every bucket drawn from values above it.
                n = len(values)
                for i, (lo, hi) in enumerate(buckets(n, width)):
                    if max(values[lo:hi]) > target:
                        spark.stylize(f"bold {pal.bad}", width - min(n, width) + i, width - min(n, width) + i + 1)
            t.add_row(label, spark, now, top)
        return t


def targets_caption(p95_target_ms: float | None, error_target: float | None) -> str:
    """The SLO references the red cells stand for (the panel's bottom border)."""
    parts = []
    if error_target is not None:
        parts.append(f"errors ≤ {_pct(error_target)}")
    if p95_target_ms is not None:
        parts.append(f"p95 ≤ {ms(p95_target_ms)}")
    return "red: over SLO " + ", ".join(parts) if parts else ""


def _round_si(x: float) -> str:
    """A scale's round top without a needless decimal: 5k, not 5.0k."""
    return si(x).replace(".0", "")


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"

