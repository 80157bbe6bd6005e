"""The engine's log: what happened, when, to what. Read by the UI, the game and reports."""

from __future__ import annotations

from dataclasses import dataclass

INFO = "info"
WARNING = "warning"
CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Event:
    t: float
    kind: str  # say, surge, fail, recover, slow, hot_key, outage, saturated, recovered, ...
    message: str
    component: str | None = None
    severity: str = INFO

    def to_json(self) -> dict:
        out = {"t": round(self.t, 3), "kind": self.kind, "message": self.message}
        if self.component:
            out["component"] = self.component
        if self.severity != INFO:
            out["severity"] = self.severity
        return out


class EventLog:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, t: float, kind: str, message: str, component: str | None = None, severity: str = INFO) -> Event:
        ev = Event(t, kind, message, component, severity)
        self.events.append(ev)
        return ev

    def insert(self, index: int, t: float, kind: str, message: str, component: str | None = None,
               severity: str = INFO) -> Event:
        """Add an event before the ones at `index` (a cause logged before its effects)."""
        ev = Event(t, kind, message, component, severity)
        self.events.insert(index, ev)
        return ev

    def since(self, cursor: int) -> tuple[list[Event], int]:
        return self.events[cursor:], len(self.events)

    def __len__(self) -> int:
        return len(self.events)
