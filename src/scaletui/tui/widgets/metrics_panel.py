"""Metric sparklines: the last minutes of the headline figures, one line each."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scaletui.sim.snapshot import Snapshot, TickRow
from scaletui.tui.render import ms, si, sparkline

WINDOW_S = 600.0  # the sparklines show the last ten simulated minutes


def _rows(snap: Snapshot) -> list[TickRow]:
    if not snap.recent:
        return []
    start = snap.recent[-1].t - WINDOW_S
    return [r for r in snap.recent if r.t > start]


class MetricsPanel(Static):
    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    compact: reactive[bool] = reactive(False, layout=True)
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
        if self.compact:
            return 5
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
        rows = _rows(snap)
        last = rows[-1]
        label_w, value_w = 7, 14
        width = max(8, self.size.width - label_w - value_w - 3)
        t = Table.grid(padding=(0, 1))
        t.add_column(width=label_w, style="bold")
        t.add_column(width=width, no_wrap=True)
        t.add_column(width=value_w, justify="right", no_wrap=True)

        def line(label: str, values: list[float], value: str, style: str, top: float | None = None) -> None:
            t.add_row(label, Text(sparkline(values, width, top), style=style), value)

        offered = [r.offered_rps for r in rows]
        peak = max(offered) if offered else None
        line("traffic", offered, f"{si(last.offered_rps)} rps", "cyan", peak)
        line("served", [r.served_rps for r in rows], f"{si(last.served_rps)} rps", "green", peak)
        err_style = "bold red" if last.error_rate > 0.01 else ("yellow" if last.error_rate > 0 else "green")
        line("errors", [r.error_rate for r in rows], f"{100 * last.error_rate:.2f}%", err_style)
        line("p95", [r.p95_ms for r in rows], ms(last.p95_ms), "magenta")
        line("cost/h", [r.cost_per_hour for r in rows], f"{last.cost_per_hour:.1f}/h", "yellow")
        if not self.compact:
            hits = [r.hit_rate or 0.0 for r in rows]
            if any(r.hit_rate is not None for r in rows):
                line("cache", hits, f"hit {100 * (last.hit_rate or 0):.0f}%", "blue", 1.0)
            line("db", [r.db_utilization for r in rows], f"{100 * last.db_utilization:.0f}% busy", "yellow", 1.0)
            if any(r.lag_s > 0 for r in rows):
                line("lag", [r.lag_s for r in rows], f"{last.lag_s:.2f}s", "yellow")
            if any(r.queue_depth > 0 for r in rows):
                line("queue", [r.queue_depth for r in rows], f"{si(last.queue_depth)} msgs", "yellow")
        return t
