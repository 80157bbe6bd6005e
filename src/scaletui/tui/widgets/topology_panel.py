"""The topology panel: each data centre's tiers as rows of components.

A component shows its id, a load bar (dropped when the panel is short of room) and
its utilization, coloured by health (booting components count down to ready). The
selected one is highlighted; clicking one selects it. Identical components of a tier
(same kind, size and role) draw as one line, "web ×24 large avg 71% max 93% 2 booting",
until the selection enters them; a data centre can be folded to its header line. When
the regions do not fit together, those without the selection fold to one summary line
each. The CDN's edges are in no data centre: it draws above the regions.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from scaletui.sim.snapshot import ComponentView, Snapshot
from scaletui.tui.palette import DEFAULT, Palette, palette_of
from scaletui.tui.render import HEALTH_ICON, bar, si

EDGE_KINDS = ("cdn",)  # served from edges near every user, outside every data centre
TIERS = (
    ("LB", ("load_balancer",)),
    ("WEB", ("web",)),
    ("SESS", ("session_store",)),
    ("CACHE", ("cache",)),
    ("DB", ("database", "shard", "replica")),
    ("ASYNC", ("queue", "worker")),
)
LABEL_W = 7
GROUP_MIN = 3  # this many identical components draw as one line
OPEN_MAX = 24  # an open group larger than this draws its line and the selection's neighbours
NEIGHBOURS = 4  # on each side of the selection in a large open group


def ordered_ids(snapshot: Snapshot | None, selected: str | None = None,
                folded: frozenset[str] = frozenset()) -> list[str]:
    """The stops of the selection, in the order the panel draws them: the CDN first, a
    collapsed group is one stop (its first member), a folded data centre only its header."""
    if snapshot is None:
        return []
    out: list[str] = [c.id for c in _edges(snapshot)]
    for region in _regions(snapshot):
        has_dc = snapshot.component(f"dc-{region}") is not None
        if has_dc:
            out.append(f"dc-{region}")
        members = [c for _, kinds in TIERS for c in _tier(snapshot, region, kinds)]
        if region in folded and members:
            if not has_dc:
                out.append(members[0].id)
            continue
        for _, kinds in TIERS:
            for group in _groups(snapshot, region, kinds):
                if collapsed(group, selected):
                    out.append(group[0].id)
                else:
                    out.extend(c.id for c in group)
    return out


def _edges(snapshot: Snapshot) -> list[ComponentView]:
    return [c for c in snapshot.components if c.kind in EDGE_KINDS]


def groups(comps: list[ComponentView]) -> list[list[ComponentView]]:
    """Runs of identical components (kind, size, role), in the tier's order."""
    out: list[list[ComponentView]] = []
    for c in comps:
        if out and (out[-1][0].kind, out[-1][0].size, out[-1][0].role) == (c.kind, c.size, c.role):
            out[-1].append(c)
        else:
            out.append([c])
    return out


def collapsed(group: list[ComponentView], selected: str | None) -> bool:
    return len(group) >= GROUP_MIN and all(c.id != selected for c in group)


class _Layout:
    """A snapshot's regions and each region's tiers, sorted and grouped: a frame asks for
    them several times (the selection's stops, then each way the panel tries to fit)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.regions = _find_regions(snapshot)
        by_region: dict[str, list[ComponentView]] = {}
        for c in snapshot.components:
            by_region.setdefault(c.region, []).append(c)
        self.tiers: dict[tuple[str, tuple[str, ...]], list[ComponentView]] = {}
        self.groups: dict[tuple[str, tuple[str, ...]], list[list[ComponentView]]] = {}
        for region in self.regions:
            comps = by_region.get(region, [])
            for _, kinds in TIERS:
                tier = _sorted_tier([c for c in comps if c.kind in kinds], kinds)
                self.tiers[region, kinds] = tier
                self.groups[region, kinds] = groups(tier)


_last_layout: _Layout | None = None


def _layout(snapshot: Snapshot) -> _Layout:
    global _last_layout
    if _last_layout is None or _last_layout.snapshot is not snapshot:
        _last_layout = _Layout(snapshot)
    return _last_layout


def _regions(snapshot: Snapshot) -> list[str]:
    return _layout(snapshot).regions


def _groups(snapshot: Snapshot, region: str, kinds: tuple[str, ...]) -> list[list[ComponentView]]:
    """The tier's groups (shared: read only)."""
    return _layout(snapshot).groups[region, kinds]


def _find_regions(snapshot: Snapshot) -> list[str]:
    seen: list[str] = []
    for c in snapshot.components:
        if c.kind == "datacenter" and c.region not in seen:
            seen.append(c.region)
    for c in snapshot.components:
        if c.region not in seen and c.kind not in EDGE_KINDS:
            seen.append(c.region)
    return seen


def _tier(snapshot: Snapshot, region: str, kinds: tuple[str, ...]) -> list[ComponentView]:
    """The tier's components in drawing order (shared: read only)."""
    return _layout(snapshot).tiers[region, kinds]


def _sorted_tier(comps: list[ComponentView], kinds: tuple[str, ...]) -> list[ComponentView]:
    if "database" in kinds:
        # primaries first (by shard), then replicas by the primary they follow
        comps.sort(key=lambda c: (c.role != "primary", c.group or 0, c.id))
    else:
        comps.sort(key=lambda c: (c.kind, c.size))  # stable: identical ones side by side
    return comps


def group_chip(group: list[ComponentView], pal: Palette) -> Text:
    """One line for many identical components: count, size, average and worst load."""
    first = group[0]
    serving = [c for c in group if c.health in ("up", "degraded")]
    booting = sum(c.health == "booting" for c in group)
    down = sum(c.health == "down" for c in group)
    worst = max(serving, key=lambda c: c.utilization, default=None)
    shedding = any(c.failed_rps > 0.001 * max(1.0, c.offered_rps) for c in serving)
    style = pal.load(worst.utilization, worst.health, shedding) if worst else pal.health(first.health)
    t = Text()
    t.append(HEALTH_ICON.get(worst.health if worst else first.health, "?"), style=style)
    t.append(f"{first.id.rsplit('-', 1)[0]} ×{len(group)}", style="bold")
    t.append(f" {first.size}", style="dim")
    if worst is not None:
        avg = sum(c.utilization for c in serving) / len(serving)
        t.append(f" avg {100 * avg:.0f}% max {100 * worst.utilization:.0f}%", style=style)
    if booting:
        t.append(f" {booting} booting", style=pal.busy)
    if down:
        t.append(f" {down} down", style=f"bold {pal.bad}")
    t.stylize(f"@click=screen.select_component('{first.id}')")
    return t


def chip(c: ComponentView, now: float, selected: bool, compact: bool = False, pal: Palette = DEFAULT) -> Text:
    shedding = c.failed_rps > 0.001 * max(1.0, c.offered_rps)
    style = pal.load(c.utilization, c.health, shedding)
    t = Text()
    t.append(HEALTH_ICON.get(c.health, "?"), style=style)
    name = c.id
    if c.kind in ("database", "shard") and c.role == "primary":
        name += "*"
    t.append(name, style=("reverse " if selected else "") + "bold")
    if c.health == "booting":
        left = max(0.0, (c.ready_at or now) - now)
        t.append(f" ⟳{left:.0f}s", style=pal.busy)
    elif c.health == "down":
        t.append(" down", style=f"bold {pal.bad}")
    elif c.kind == "cdn":
        t.append(f" hit {100 * (c.hit_rate or 0):.0f}%", style=style)
    elif c.kind == "datacenter":
        t.append(" up", style=pal.ok)
    else:
        if compact:  # the percentage alone, so that more fit on a line
            t.append(f" {100 * c.utilization:.0f}%", style=style)
        else:
            t.append(" " + bar(c.utilization, 4, "▮", "▯"), style=style)
            t.append(f"{100 * c.utilization:3.0f}%", style=style)
        if c.kind == "cache" and c.hit_rate is not None:
            t.append(f" hit {100 * c.hit_rate:.0f}%", style="dim")
        if c.lag_s is not None and c.lag_s >= 1.0:
            t.append(f" lag {c.lag_s:.0f}s", style=pal.warn)
        if c.depth is not None and c.depth >= 1:
            t.append(f" q {si(c.depth)}", style=pal.warn)
    t.stylize(f"@click=screen.select_component('{c.id}')")
    return t


class TopologyPanel(Static):
    """Draws a Snapshot's topology; `selected` is the highlighted component id."""

    snapshot: reactive[Snapshot | None] = reactive(None, always_update=True)
    selected: reactive[str | None] = reactive(None)
    folded: reactive[frozenset[str]] = reactive(frozenset())  # regions drawn as their header only
    _height = 0
    selected_line = 0  # where the selected component is drawn, to keep it in view
    auto_folded: frozenset[str] = frozenset()  # regions folded in the last picture for want of room

    def keep_selected_in_view(self) -> None:
        """Scroll the box around the panel so that the selected line shows."""
        box = self.parent
        if not isinstance(box, Widget) or box.scrollable_content_region.height == 0:
            return
        line = self.selected_line
        top, height = box.scroll_y, box.scrollable_content_region.height
        if line < top or line >= top + height:
            box.scroll_to(y=max(0, line - height // 2), animate=False)

    def on_resize(self) -> None:
        # A group opening or a region folding changes the height after the selection moved.
        self.call_after_refresh(self.keep_selected_in_view)

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
        # Too tall for the box (80x24, big topologies): drop the load bars first, then fold
        # the regions without the selection to their summary lines.
        full = box.region.width - box.gutter.width
        for auto_fold in (False, True):
            for compact in (False, True):
                group = self._lines(snap, compact, full, auto_fold)
                if len(group.renderables) <= box.size.height:
                    return group
        if self.size.width == full:
            return group
        return self._lines(snap, True, self.size.width, True)  # it scrolls: fit beside the scrollbar

    def _lines(self, snap: Snapshot, compact: bool, panel_width: int, auto_fold: bool = False) -> Group:
        """One Text per row (none wraps: the panel's height is its number of lines)."""
        pal = palette_of(self)
        width = max(20, panel_width - 1)
        lines: list[Text] = []
        edges = _edges(snap)
        if edges:
            lines.extend(self._chip_rows(snap, "EDGE", groups(edges), compact, width, pal, lines))
            note = "  in no data centre"
            lines[-1].rstrip()
            if lines[-1].cell_len + len(note) <= width:
                lines[-1].append(note, style="dim")
        selected = snap.component(self.selected) if self.selected else None
        holding = selected.region if selected is not None and selected.kind not in EDGE_KINDS else None
        folded = set(self.folded)
        if auto_fold:
            folded |= {r for r in _regions(snap) if r != holding}
        self.auto_folded = frozenset(folded - set(self.folded))
        for region in _regions(snap):
            dc = snap.component(f"dc-{region}")
            members = [c for _, kinds in TIERS for c in _tier(snap, region, kinds)]
            fold = region in folded and bool(members)
            head = Text(f"{'▸' if fold else '▌'}{region}", style="bold")
            if dc is not None:
                if not fold:
                    head.append(f"  data centre {dc.cost_per_hour:g}/h", style="dim")
                if dc.health == "down":
                    head.append("  OUT", style=f"bold {pal.bad}")
                elif dc.health == "booting":
                    head.append(f"  building ⟳{max(0.0, (dc.ready_at or snap.t) - snap.t):.0f}s", style=pal.busy)
                if dc.id == self.selected:
                    head.stylize("reverse")
                    self.selected_line = len(lines)
                head.stylize(f"@click=screen.select_component('{dc.id}')")
            if fold:
                head.append_text(_summary(members, pal))
                if region in self.folded:
                    head.append(" (f unfolds)", style="dim")
            head.truncate(width, overflow="ellipsis")
            lines.append(head)
            if fold:
                continue
            for label, kinds in TIERS:
                comps = _tier(snap, region, kinds)
                if comps:
                    lines.extend(self._chip_rows(snap, label, _groups(snap, region, kinds), compact, width, pal,
                                                 lines))
        return Group(*lines)

    def _chip_rows(self, snap: Snapshot, label: str, tier_groups: list[list[ComponentView]], compact: bool,
                   width: int, pal: Palette, above: list[Text]) -> list[Text]:
        """A tier's chips under its label, wrapped onto as many rows as they need."""
        rows: list[Text] = []
        row = Text(f" {label:<{LABEL_W - 1}}", style="dim")
        col = LABEL_W
        for group in tier_groups:
            if collapsed(group, self.selected):
                chips = [(group_chip(group, pal), False)]
            else:
                shown = group
                chips = []
                if len(group) > OPEN_MAX:
                    # Hundreds of chips would push everything else away: the group's
                    # line, then the selection among its nearest neighbours.
                    at = next(i for i, c in enumerate(group) if c.id == self.selected)
                    lo = max(0, min(at - NEIGHBOURS, len(group) - 2 * NEIGHBOURS - 1))
                    shown = group[lo:lo + 2 * NEIGHBOURS + 1]
                    chips.append((group_chip(group, pal), False))
                chips += [(chip(c, snap.t, c.id == self.selected, compact, pal), c.id == self.selected)
                          for c in shown]
            for ch, is_selected in chips:
                need = len(ch.plain) + 1
                if col + need - 1 > width and col > LABEL_W:  # the last one needs no space after it
                    rows.append(row)
                    row = Text(" " * LABEL_W)
                    col = LABEL_W
                if is_selected:
                    self.selected_line = len(above) + len(rows)
                row.append_text(ch)
                row.append(" ")
                col += need
        rows.append(row)
        return rows


def _summary(members: list[ComponentView], pal: Palette) -> Text:
    """A folded region in one line: how many, the worst load, what is not serving."""
    serving = [c for c in members if c.health in ("up", "degraded")]
    worst = max((c.utilization for c in serving), default=0.0)
    t = Text(f"  {len(members)} components, max {100 * worst:.0f}%", style="dim")
    booting = sum(c.health == "booting" for c in members)
    down = sum(c.health == "down" for c in members)
    if booting:
        t.append(f", {booting} booting", style=pal.busy)
    if down:
        t.append(f", {down} down", style=f"bold {pal.bad}")
    return t
