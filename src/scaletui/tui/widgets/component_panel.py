"""The selected component: its figures and the actions that apply to it."""

from __future__ import annotations

import math

from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scaletui.game.theory import Theory, erlang_c_prediction
from scaletui.sim.snapshot import ComponentView
from scaletui.tui.palette import palette_of
from scaletui.tui.render import ms, si


def actions_for(c: ComponentView, sizes: tuple[str, ...]) -> list[tuple[str, str]]:
    """(key, description) of the actions that apply to this component."""
    out: list[tuple[str, str]] = []
    if len(sizes) > 1 and c.health in ("up", "degraded"):
        out.append(("u", "upgrade"))
    if c.kind == "replica" and c.health in ("up", "degraded"):
        out.append(("p", "promote"))
    if c.kind in ("cache", "cdn", "database", "shard", "replica", "web", "load_balancer"):
        out.append(("c", "conf"))  # the footer's words: "configure" did not fit at 80x24
    if not (c.kind in ("database", "shard") and c.role == "primary"):
        out.append(("x", "remove"))
    return out


class ComponentPanel(Static):
    component: reactive[ComponentView | None] = reactive(None, always_update=True)
    sizes: reactive[tuple[str, ...]] = reactive(())
    former_primary: bool = False  # set with the component: a dead primary a promotion replaced
    undoable: bool = False  # set with the component: part of the last addition, still booting

    def render(self) -> Group | Text:
        c = self.component
        if c is None:
            return Text("select a component (↑/↓ or click)", style="dim")
        pal = palette_of(self)
        lines = []
        head = Text(c.id, style="bold")
        what = c.kind.replace("_", " ")
        if c.role == "primary":
            what = "primary" if c.kind == "database" else f"shard {c.group} primary"
        elif self.former_primary:
            # Calling it a replica hid what it had been and why it is down.
            what = "former primary, replaced"
        head.append(f"  {what} {c.size}", style="dim")
        lines.append(head)
        state = Text(c.health, style=pal.health(c.health))
        if c.note:
            state.append(f" ({c.note})", style="dim")
        if c.health != "down":
            state.append(f" · {c.cost_per_hour:.1f}/h", style=pal.warn)
        lines.append(state)
        if c.health == "down":
            # Every machine bills until it is removed, dead or not.
            lines.append(Text(f"still billed {c.cost_per_hour:.1f}/h: x removes it", style=f"bold {pal.warn}"))
        # The key facts first (at 80x24 the panel shows five lines; the rest scrolls): the
        # load, what the simulation does and what Erlang C predicts, then the keys, then the levers.
        if c.kind not in ("datacenter", "cdn"):
            lines.append(Text(f"load {100 * c.utilization:.0f}%  queue {si(c.queue)}"))
            cap = "∞" if math.isinf(c.capacity_rps) else si(c.capacity_rps)
            lines.append(Text(f"{si(c.served_rps)}/{cap} rps  {ms(c.latency_ms)}"))
            theory = erlang_c_prediction(c.workers, c.capacity_rps, c.offered_rps) if c.health != "down" else None
            if theory is not None:
                lines.append(_theory_line(theory, c, pal.warn, max(10, self.content_size.width)))
            if c.failed_rps > 0:
                lines.append(Text(f"failing {si(c.failed_rps)} rps", style=f"bold {pal.bad}"))
        acts = Text()
        for key, what in actions_for(c, self.sizes) + ([("z", "undo")] if self.undoable else []):
            if acts:
                acts.append(" ")
            acts.append(f"{key}", style="reverse bold")
            acts.append("\u00a0" + what.replace(" ", "\u00a0"))
        if acts.plain:
            lines.append(acts)
        # The levers after the keys: a long line of them wraps, and must not push the keys out of view.
        if c.levers:
            lines.append(Text(" · ".join(c.levers)))
        if c.hit_rate is not None:
            ttl = "" if c.ttl_s is None or math.isinf(c.ttl_s) else f"  ttl {c.ttl_s:g}s"
            # The write policy shows once the player chose one (none is the default).
            policy = f"  on write {c.on_write}" if c.on_write not in (None, "none") else ""
            lines.append(Text(f"hit rate {100 * c.hit_rate:.1f}%{ttl}{policy}"))
        if c.lag_s is not None:
            if c.health == "down":  # a dead replica applies nothing: its growing lag would only alarm
                lines.append(Text(f"serves nothing; would follow {c.follows}"))
            else:
                lines.append(Text(f"follows {c.follows}  lag {c.lag_s:.2f}s"))
        if c.failover is not None and c.role == "primary":
            lines.append(Text(f"failover {c.failover}", style=pal.ok if c.failover == "auto" else "dim"))
        if c.depth is not None:
            lines.append(Text(f"depth {si(c.depth)} messages"))
        if c.share is not None and c.kind == "web":
            lines.append(Text(f"share {100 * c.share:.0f}% of its DC"))
        if c.held is not None:
            # Thread-per-request: workers waiting on the database are busy doing nothing.
            busy = c.utilization * c.workers
            style = f"bold {pal.warn}" if busy > 0 and c.held > 0.5 * busy else "dim"
            lines.append(Text(f"threads: {c.held:.1f} of {c.workers} workers held waiting downstream", style=style))
        return Group(*lines)


def _theory_line(t: Theory, c: ComponentView, warn: str, width: int) -> Text:
    """What Erlang C predicts at this load, flagged where the simulation leaves its regime.
    One line: the load it assumes is left out where the line would wrap (the line above
    shows the load)."""
    rho = f"{100 * t.utilization:.0f}%"
    line = Text("Erlang C ", style="dim")
    if t.queue is None or t.latency_s is None:
        full = f"{rho}: no steady state"
        line.append(full if len(line) + len(full) <= width else "no steady state", style=warn)
        return line
    drift = " ≠ sim" if c.latency_ms > 0 and t.drifts_from(c.latency_ms / 1000.0) else ""
    figures = f"q {si(t.queue)}  {ms(1000 * t.latency_s)}"
    if len(line) + len(rho) + 2 + len(figures) + len(drift) <= width:
        figures = f"{rho}  {figures}"
    line.append(figures, style="dim")
    if drift:
        line.append(drift, style=f"bold {warn}")
    return line

