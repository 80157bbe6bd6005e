"""The topology panel: each data centre's tiers as rows of components.

A component shows its id, a load bar (dropped when the panel is short of room) and
its utilization, coloured by health
(booting components count down to ready). The selected one is highlighted; clicking
one selects it.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from scaletui.sim.snapshot import ComponentView, Snapshot
from scaletui.tui.render import HEALTH_ICON, bar, load_style, si

TIERS = (
    ("EDGE", ("cdn",)),
    ("LB", ("load_balancer",)),
    ("WEB", ("web",)),
    ("SESS", ("session_store",)),
    ("CACHE", ("cache",)),
    ("DB", ("database", "shard", "replica")),
    ("ASYNC", ("queue", "worker")),
)
LABEL_W = 7


def ordered_ids(snapshot: Snapshot | None) -> list[str]:
    """Components in the order the panel draws them (selection moves along it)."""
    if snapshot is None:
        return []
    out: list[str] = []
    for region in _regions(snapshot):
        if snapshot.component(f"dc-{region}") is not None:
            out.append(f"dc-{region}")
        for _, kinds in TIERS:
            out.extend(c.id for c in _tier(snapshot, region, kinds))
    return out


def _regions(snapshot: Snapshot) -> list[str]:
    seen: list[str] = []
    for c in snapshot.components:
        if c.kind == "datacenter" and c.region not in seen:
            seen.append(c.region)
    for c in snapshot.components:
        if c.region not in seen:
            seen.append(c.region)
    return seen


def _tier(snapshot: Snapshot, region: str, kinds: tuple[str, ...]) -> list[ComponentView]:
    comps = [c for c in snapshot.components if c.region == region and c.kind in kinds]
    if "database" in kinds:
        # primaries first (by shard), then replicas by the primary they follow
        comps.sort(key=lambda c: (c.role != "primary", c.group or 0, c.id))
    return comps


def chip(c: ComponentView, now: float, selected: bool, compact: bool = False) -> Text:
    shedding = c.failed_rps > 0.001 * max(1.0, c.offered_rps)
    style = load_style(c.utilization, c.health, shedding)
    t = Text()
    t.append(HEALTH_ICON.get(c.health, "?"), style=style)
    name = c.id
    if c.kind in ("database", "shard") and c.role == "primary":
        name += "*"
    t.append(name, style=("reverse " if selected else "") + "bold")
    if c.health == "booting":
        left = max(0.0, (c.ready_at or now) - now)
        t.append(f" ⟳{left:.0f}s", style="cyan")
    elif c.health == "down":
        t.append(" down", style="bold red")
    elif c.kind == "cdn":
        t.append(f" hit {100 * (c.hit_rate or 0):.0f}%", style=style)
    elif c.kind == "datacenter":
        t.append(" up", style="green")
    else:
        if compact:  # the percentage alone, so that more fit on a line
            t.append(f" {100 * c.utilization:.0f}%", style=style)
        else:
            t.append(" " + bar(c.utilization, 4, "▮", "▯"), style=style)
            t.append(f"{100 * c.utilization:3.0f}%", style=style)
        if c.kind == "cache" and c.hit_rate is not None:
            t.append(f" hit{'' if compact else ' '}{100 * c.hit_rate:.0f}%", style="dim")
        if c.lag_s is not None and c.lag_s >= 1.0:
            t.append(f" lag{c.lag_s:.0f}s", style="yellow")
        if c.depth is not None and c.depth >= 1:
            t.append(f" q{si(c.depth)}", style="yellow")
    t.stylize(f"@click=screen.select_component('{c.id}')")
    return t


class TopologyPanel(Static):
    """Draws a Snapshot's topology; `selected` is the highlighted component id."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    selected: reactive[str | None] = reactive(None)
    _height = 0
    selected_line = 0  # where the selected component is drawn, to keep it in view

    def render(self) -> Group | Text:
        group = self._draw()
        n = len(group.renderables) if isinstance(group, Group) else 1
        if n != self._height:
            # The panel's height follows its lines: relayout when their number changes.
            self._height = n
            self.call_after_refresh(self.refresh, layout=True)
        return group

    def _draw(self) -> Group | Text:
        snap = self.snapshot
        if snap is None:
            return Text("starting...", style="dim")
        box = self.parent
        if not isinstance(box, Widget) or box.size.height == 0:
            return self._lines(snap, False, self.size.width)
        # Lay out for the box's width without a scrollbar: when the lines fit, it goes.
        # Too tall for the box (80x24, big topologies): drop the load bars first.
        full = box.region.width - box.gutter.width
        for compact in (False, True):
            group = self._lines(snap, compact, full)
            if len(group.renderables) <= box.size.height:
                return group
        if self.size.width == full:
            return group
        return self._lines(snap, True, self.size.width)  # it scrolls: fit beside the scrollbar

    def _lines(self, snap: Snapshot, compact: bool, panel_width: int) -> Group:
        width = max(20, panel_width - 1)
        lines: list[Text] = []
        for region in _regions(snap):
            dc = snap.component(f"dc-{region}")
            head = Text(f"▌{region}", style="bold")
            if dc is not None:
                head.append(f"  data centre {dc.cost_per_hour:g}/h", style="dim")
                if dc.health == "down":
                    head.append("  OUT", style="bold red")
                elif dc.health == "booting":
                    head.append(f"  building ⟳{max(0.0, (dc.ready_at or snap.t) - snap.t):.0f}s", style="cyan")
                if dc.id == self.selected:
                    head.stylize("reverse")
                    self.selected_line = len(lines)
                head.stylize(f"@click=screen.select_component('{dc.id}')")
            lines.append(head)
            for label, kinds in TIERS:
                comps = _tier(snap, region, kinds)
                if not comps:
                    continue
                row = Text(f" {label:<{LABEL_W - 1}}", style="dim")
                col = LABEL_W
                for c in comps:
                    ch = chip(c, snap.t, c.id == self.selected, compact)
                    need = len(ch.plain) + 1
                    if col + need - 1 > width and col > LABEL_W:  # the last one needs no space after it
                        lines.append(row)
                        row = Text(" " * LABEL_W)
                        col = LABEL_W
                    if c.id == self.selected:
                        self.selected_line = len(lines)
                    row.append_text(ch)
                    row.append(" ")
                    col += need
                lines.append(row)
        return Group(*lines)
