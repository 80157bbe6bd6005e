"""The log pane: announcements, failures, alerts, the player's actions and refusals."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from scaletui.sim.eventlog import Event
from scaletui.tui.palette import DEFAULT, Palette, palette_of
from scaletui.tui.render import clock

KIND_STYLE = {
    "say": ("◆", "bold warn"),
    "surge": ("↗", "warn"),
    "fail": ("✖", "bold bad"),
    "outage": ("✖", "bold bad"),
    "slow": ("≈", "warn"),
    "hot_key": ("✦", "warn"),
    "recover": ("✔", "ok"),
    "ready": ("✔", "ok"),
    "recovered": ("✔", "ok"),
    "saturated": ("▲", "bad"),
    "alert": ("⚠", "bold accent"),
    "action": ("»", "busy"),
    "refused": ("⊘", "dim bad"),
    "promote": ("⇧", "bold busy"),
    "failover": ("⇧", "bold busy"),
    "reshard": ("⇄", "busy"),
    "autoscale": ("±", "busy"),
    "breaker": ("⊘", "warn"),
    "held": ("⧗", "bad"),
    "outcome": ("■", "bold"),
}


def event_line(ev: Event, pal: Palette = DEFAULT) -> Text:
    icon, roles = KIND_STYLE.get(ev.kind, ("·", ""))
    style = pal.style(roles)
    t = Text(f"{clock(ev.t)} ", style="dim")
    t.append(f"{icon} ", style=style)
    t.append(ev.message, style=style if ev.severity != "info" or ev.kind in ("action", "say") else "")
    return t


class EventLog(RichLog):
    def add_events(self, events: list[Event]) -> None:
        pal = palette_of(self)
        for ev in events:
            self.write(event_line(ev, pal))
