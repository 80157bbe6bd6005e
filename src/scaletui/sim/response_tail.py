"""How long an M/M/c/K station keeps a caller who gives up after T seconds.

A caller that waits at most T for a station (a web server's db_timeout) gives up on
the share P(R > T) of its calls, and is held min(R, T) on average: E[min(R, T)] is the
integral of P(R > t) over [0, T]. R is the admitted request's wait plus its own
service; its tail is mmck.response_tail (exact for M/M/c/K), integrated here on a grid.
"""

from __future__ import annotations

import math

from scaletui.sim.mmck import StationState, response_tail
from scaletui.sim.summation import plain_sum

GRID = 64  # intervals over [0, T]


def timeout_figures(state: StationState, workers: int, mu: float, capacity: int, service: float,
                    limit: float) -> tuple[float, float]:
    """(P(R > limit), E[min(R, limit)]) of an admitted request (R: wait + its service)."""
    if limit <= 0:
        return 1.0, 0.0
    n = GRID if service <= 0 else max(GRID, min(4 * GRID, math.ceil(4 * limit / service)))
    h = limit / n
    tail = [response_tail(state, workers, mu, capacity, service, k * h) for k in range(n + 1)]
    mean = h * (plain_sum(tail) - 0.5 * (tail[0] + tail[n]))  # trapezoid: P(R > t) is smooth and falling
    return min(1.0, max(0.0, tail[n])), min(limit, mean)
