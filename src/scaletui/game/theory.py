"""What queueing theory predicts for a pool of workers at the load it is offered.

Shown beside what the simulation does, so a player sees when the system leaves the
regime the formula covers: Erlang C (M/M/c, an unbounded queue, steady state) has no
answer at or above full load, where the simulation's queue grows and sheds instead, and
it knows nothing of restarts, backlogs carried from a surge or mixed work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaletui.sim.mmck import erlang_c

DRIFT = 0.25  # the simulation this far (relative) from the formula's latency is off its regime


@dataclass(frozen=True)
class Theory:
    utilization: float  # rho = lambda / (c mu)
    queue: float | None  # Erlang C mean number waiting; None: no steady state (rho >= 1)
    latency_s: float | None  # mean response time by Little's law; None: no steady state

    @property
    def stable(self) -> bool:
        return self.queue is not None

    def drifts_from(self, latency_s: float) -> bool:
        """Whether an observed mean latency is off this prediction (or there is none)."""
        if self.latency_s is None:
            return True
        return abs(latency_s - self.latency_s) > DRIFT * self.latency_s


def erlang_c_prediction(workers: int, capacity_rps: float, offered_rps: float) -> Theory | None:
    """M/M/c at `offered_rps` for `workers` serving `capacity_rps` in all (None: not a pool)."""
    if workers <= 0 or offered_rps <= 0 or not math.isfinite(capacity_rps) or capacity_rps <= 0:
        return None
    mu = capacity_rps / workers
    a = offered_rps / mu
    rho = a / workers
    if rho >= 1.0:
        return Theory(rho, None, None)
    lq = erlang_c(workers, a) * rho / (1.0 - rho)  # mean queue
    return Theory(rho, lq, lq / offered_rps + 1.0 / mu)  # Little: Wq = Lq / lambda
