"""Burn-rate alerts, as SRE practice defines them, scaled to a game's length.

The burn rate is the error rate divided by the error rate the objective allows: at 1
the budget lasts exactly the whole run. An alert needs a long window (is it
significant?) and a short one (is it still happening?) both above the threshold.
The Google SRE workbook pages at 14.4 (2% of a 30-day budget in an hour) and opens a
ticket at 6 (5% in six hours); a game of a couple of hours uses the same thresholds
with windows of minutes, so an alert comes well before the budget is gone.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class BurnRule:
    name: str  # "fast burn" / "slow burn"
    threshold: float
    long_s: float
    short_s: float
    severity: str


FAST = BurnRule("fast burn", 14.4, 60.0, 10.0, "critical")
SLOW = BurnRule("slow burn", 6.0, 600.0, 60.0, "warning")


class _Window:
    def __init__(self, span: float) -> None:
        self.span = span
        self.items: deque[tuple[float, float, float, float]] = deque()
        self.req = 0.0
        self.fail = 0.0
        self.seconds = 0.0  # time the window holds: less than its span early in a run

    def add(self, t: float, dt: float, req: float, fail: float) -> None:
        self.items.append((t, dt, req, fail))
        self.req += req
        self.fail += fail
        self.seconds += dt
        while self.items and self.items[0][0] <= t - self.span:
            _, d, r, f = self.items.popleft()
            self.seconds -= d
            self.req -= r
            self.fail -= f

    def rate(self) -> float:
        return self.fail / self.req if self.req > 0 else 0.0


class BurnRateAlerts:
    def __init__(self, availability: float, rules: tuple[BurnRule, ...] = (FAST, SLOW)) -> None:
        self.allowed_error = max(1e-9, 1.0 - availability / 100.0)
        self.rules = rules
        self.windows = {r.name: (_Window(r.long_s), _Window(r.short_s)) for r in rules}
        self.firing: dict[str, bool] = {r.name: False for r in rules}
        self.calm_since: dict[str, float | None] = {r.name: None for r in rules}

    def failure_rate(self, rule: BurnRule) -> float:
        """Failures per second now: over the rule's short window (or as much of it as has run).

        The long window says whether the burn is significant, but it also holds the calm
        before the burn began, so it would put the end of the budget far too late.
        """
        _, short_w = self.windows[rule.name]
        return short_w.fail / short_w.seconds if short_w.seconds > 0 else 0.0

    def burn(self, rule: BurnRule) -> tuple[float, float]:
        long_w, short_w = self.windows[rule.name]
        return long_w.rate() / self.allowed_error, short_w.rate() / self.allowed_error

    def update(self, t: float, dt: float, requests: float, failed: float) -> list[tuple[BurnRule, bool, float]]:
        """Feed one tick; returns (rule, started?, burn rate) for alerts that start or end."""
        changes = []
        for rule in self.rules:
            long_w, short_w = self.windows[rule.name]
            long_w.add(t, dt, requests, failed)
            short_w.add(t, dt, requests, failed)
            b_long, b_short = self.burn(rule)
            hot = b_long >= rule.threshold and b_short >= rule.threshold
            if hot and not self.firing[rule.name]:
                self.firing[rule.name] = True
                self.calm_since[rule.name] = None
                changes.append((rule, True, b_long))
            elif self.firing[rule.name] and not hot:
                since = self.calm_since[rule.name]
                if since is None:
                    self.calm_since[rule.name] = t
                elif t - since >= rule.short_s and b_short < rule.threshold / 2:
                    self.firing[rule.name] = False
                    self.calm_since[rule.name] = None
                    changes.append((rule, False, b_long))
            elif hot:
                self.calm_since[rule.name] = None
        return changes
