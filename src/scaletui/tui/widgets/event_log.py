"""The log pane: announcements, failures, alerts, the player's actions and refusals."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from scaletui.sim.eventlog import Event
from scaletui.tui.render import clock

KIND_STYLE = {
    "say": ("◆", "bold yellow"),
    "surge": ("↗", "yellow"),
    "fail": ("✖", "bold red"),
    "outage": ("✖", "bold red"),
    "slow": ("≈", "yellow"),
    "hot_key": ("✦", "yellow"),
    "recover": ("✔", "green"),
    "ready": ("✔", "green"),
    "recovered": ("✔", "green"),
    "saturated": ("▲", "red"),
    "alert": ("⚠", "bold magenta"),
    "action": ("»", "cyan"),
    "refused": ("⊘", "dim red"),
    "promote": ("⇧", "bold cyan"),
    "failover": ("⇧", "bold cyan"),
    "reshard": ("⇄", "cyan"),
    "autoscale": ("±", "cyan"),
    "outcome": ("■", "bold"),
}


def event_line(ev: Event) -> Text:
    icon, style = KIND_STYLE.get(ev.kind, ("·", ""))
    t = Text(f"{clock(ev.t)} ", style="dim")
    t.append(f"{icon} ", style=style)
    t.append(ev.message, style=style if ev.severity != "info" or ev.kind in ("action", "say") else "")
    return t


class EventLog(RichLog):
    def add_events(self, events: list[Event]) -> None:
        for ev in events:
            self.write(event_line(ev))
