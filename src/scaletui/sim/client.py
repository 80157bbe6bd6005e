"""The rulebook of users' clients: when they give up, when they try again, what it is called.

Both planes read these names and rules; each counts what happens on its own. A client
waits at most its timeout for an answer: past it the request fails as a timeout (the
servers may still finish it: wasted work). A request that failed, timed out or was shed
comes back as a new attempt after the backoff, until the retries run out; only its last
outcome is what the user sees.
"""

from __future__ import annotations

import math
from collections import defaultdict

from scaletui.sim.config import ClientPolicy
from scaletui.sim.summation import plain_sum

TIMEOUT_PREFIX = "timeout"


def _span(seconds: float) -> str:
    return f"{seconds * 1000:g} ms" if seconds < 1 else f"{seconds:g}s"


def timeout_reason(policy: ClientPolicy) -> str:
    """What a timed-out request failed of (one text per scenario, so causes add up)."""
    return f"{TIMEOUT_PREFIX}: no answer within {_span(policy.timeout)}, the client gave up"


def shed_reason(lb_id: str, limit: int) -> str:
    """A request a load balancer refused at once because too many were in flight behind it."""
    return f"shed by {lb_id} (max in flight {limit})"


def error_reason(comp_id: str) -> str:
    """A request a server worked on and answered with an error (a bad deploy, a bug)."""
    return f"{comp_id} answered with an error"


def is_timeout(reason: str) -> bool:
    return reason.startswith(TIMEOUT_PREFIX + ":")


def is_shed(reason: str) -> bool:
    return reason.startswith("shed by ")


class RetryBacklog:
    """The flow plane's retries on their way back, by the tick they are due in.

    A retry is due `delay` seconds after the failed attempt ended: a failure met within
    a tick ends with it, a timeout `timeout` seconds after the tick began. With jitter
    the retries of one moment spread evenly over [delay, delay + backoff] (the fluid
    form of a uniform draw). Keyed by (user region, request class); each entry holds the
    count per retry number (1 = first retry).
    """

    def __init__(self, policy: ClientPolicy, dt: float) -> None:
        self.policy = policy
        self.dt = dt
        self._due: dict[int, dict[tuple[str, str], dict[int, float]]] = defaultdict(dict)
        self.waiting = 0.0
        # How one moment's retries spread over the ticks after the one they failed in, by
        # (seconds into it, retry number): the backoff and [(ticks later, seconds of the
        # spread in it)] (None without jitter). It depends on nothing else, and failures
        # come back every tick.
        self._spreads: dict[tuple[float, int], tuple[float, list[tuple[int, float]] | None]] = {}

    def add_attempts(self, tick: int, ended_after: float, region: str, cls: str, counts: list[float]) -> None:
        """Attempts that failed in tick `tick`, `ended_after` seconds into it: counts[k] of
        them come back as retry number k + 1. One call for all the retries of one failure
        (the flow plane's every failure comes here)."""
        due = self._due
        spreads = self._spreads
        for k, count in enumerate(counts):
            if count <= 0:
                continue
            retry = k + 1
            known = spreads.get((ended_after, retry))
            if known is None:
                policy = self.policy
                wait = policy.backoff_s(retry)
                # Evenly over [start, start + wait]: each tick gets the part it covers.
                known = spreads[(ended_after, retry)] = (
                    wait, self._spread(ended_after, wait) if policy.jitter and wait > 0 else None)
            wait, spread = known
            if spread is not None:
                for later, part in spread:  # self._put, written out: this runs for every failure
                    n = count * part / wait
                    if n > 0:
                        slot = due[tick + later].setdefault((region, cls), {})
                        slot[retry] = slot.get(retry, 0.0) + n
            else:
                self._put(self._tick_of(tick, ended_after + wait), region, cls, retry, count)
            self.waiting += count

    def _spread(self, start: float, wait: float) -> list[tuple[int, float]]:
        """The parts of [start, start + wait] (seconds into a tick) in the ticks after it."""
        dt = self.dt
        lo, hi = start, start + wait
        out = []
        for k in range(self._tick_of(0, lo), self._tick_of(0, hi) + 1):
            a = lo if k == 1 else max(lo, k * dt)
            b = min(hi, (k + 1) * dt)
            if b > a:
                out.append((k, b - a))
        return out

    def _tick_of(self, tick: int, after: float) -> int:
        """The tick an attempt `after` seconds past the start of tick `tick` arrives in:
        the one holding that moment, and never the tick it failed in."""
        return tick + max(1, int(math.floor(after / self.dt + 1e-9)))

    def _put(self, k: int, region: str, cls: str, retry: int, count: float) -> None:
        if count <= 0:
            return
        slot = self._due[k].setdefault((region, cls), {})
        slot[retry] = slot.get(retry, 0.0) + count

    def take(self, tick: int) -> dict[tuple[str, str], dict[int, float]]:
        """The retries due in this tick (removed from the backlog)."""
        due = self._due.pop(tick, {})
        self.waiting -= plain_sum([plain_sum(v.values()) for v in due.values()])
        if self.waiting < 1e-9:
            self.waiting = max(0.0, self.waiting)
        return due
