"""The client side of an overload, as events: timeouts, retry storms and shed load.

A component's saturation is logged by the engine's own watch; these are what users'
clients do about it, which is what turns an overload into one that outlives its
trigger. Each is logged when it has lasted a few seconds and again when it has been
over for a while, so the postmortem and the event log can name it as a cause.
"""

from __future__ import annotations

from typing import Callable

from scaletui.sim.config import ClientPolicy
from scaletui.sim.eventlog import WARNING

ONSET_S = 3.0
OVER_S = 10.0
TIMEOUT_SHARE = 0.05  # of the attempts of a tick
RETRY_SHARE = 0.25  # retries per first try
SHED_SHARE = 0.01

Log = Callable[..., object]


class _Episode:
    __slots__ = ("on", "hot_for", "calm_for")

    def __init__(self) -> None:
        self.on = False
        self.hot_for = 0.0
        self.calm_for = 0.0

    def update(self, hot: bool, calm: bool, dt: float) -> str | None:
        """'start' or 'end' when the episode begins or ends this tick."""
        if hot:
            self.hot_for += dt
            self.calm_for = 0.0
            if not self.on and self.hot_for >= ONSET_S:
                self.on = True
                return "start"
            return None
        self.hot_for = 0.0
        if self.on:
            self.calm_for = self.calm_for + dt if calm else 0.0
            if self.calm_for >= OVER_S:
                self.on = False
                return "end"
        return None


class OverloadWatch:
    def __init__(self, policy: ClientPolicy, log: Log) -> None:
        self.policy = policy
        self.log = log
        self.timeouts = _Episode()
        self.retries = _Episode()
        self.shed = _Episode()

    def update(self, dt: float, attempts: tuple[float, float, float, float]) -> None:
        first, retries, timed_out, shed = attempts
        total = first + retries
        if total <= 0:
            return
        t_share, s_share = timed_out / total, shed / total
        r_share = retries / first if first > 0 else (1.0 if retries > 0 else 0.0)
        span = _span(self.policy.timeout)
        change = self.timeouts.update(t_share > TIMEOUT_SHARE, t_share < TIMEOUT_SHARE / 5, dt)
        if change == "start":
            self.log("timeouts", f"{t_share:.0%} of requests time out: clients give up after {span}, "
                                 "and the servers still do the work (wasted)", None, WARNING)
        elif change == "end":
            self.log("timeouts", "requests are answered within the clients' timeout again")
        change = self.retries.update(r_share > RETRY_SHARE, r_share < RETRY_SHARE / 5, dt)
        if change == "start":
            self.log("retry_storm", f"retry storm: {retries / dt:,.0f} retries/s on top of {first / dt:,.0f} "
                                    f"new requests/s (clients retry up to {self.policy.retries} times)",
                     None, WARNING)
        elif change == "end":
            self.log("retry_storm", "the retry storm is over")
        change = self.shed.update(s_share > SHED_SHARE, s_share < SHED_SHARE / 5, dt)
        if change == "start":
            self.log("shedding", f"load shedding: {s_share:.0%} of requests refused at once "
                                 "by the load balancer's limit in flight", None, WARNING)
        elif change == "end":
            self.log("shedding", "no more load shed")


def _span(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else f"{seconds:g}s"
