"""The M/M/c/K station: c workers, room for K requests in all, Poisson arrivals.

Every queueing component of the flow engine is one of these, evaluated pointwise
stationary on each tick's arrival rate. With finite K the stationary distribution
exists at any load, so overload needs no special case: arrivals that find the
station full are shed (a bounded accept queue is how real servers time out fast).

Formulas (a = lambda/mu offered load, rho = a/c, Q = K - c waiting places):
  pi_n is proportional to a^n/n! for n < c and to pi_c * rho^(n-c) for n >= c.
  An arrival that is admitted waits only if it sees n >= c; given that, the number
  ahead of it in the queue j is truncated-geometric on 0..Q-1 with ratio rho and its
  wait is Erlang(j+1, c*mu). With Q -> infinity this is Erlang C exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability, by the numerically stable recursion."""
    b = 1.0
    for n in range(1, c + 1):
        b = a * b / (n + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c (a < c)."""
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    rho = a / c
    return b / (1.0 - rho + rho * b)


@dataclass(frozen=True, slots=True)
class StationState:
    """Stationary figures of one M/M/c/K station at one arrival rate."""

    arrival_rate: float
    blocking: float  # probability an arrival is shed
    wait_probability: float  # probability an admitted arrival queues
    mean_wait: float  # mean queueing delay of admitted arrivals, seconds
    mean_response: float  # mean wait + mean service of admitted arrivals, seconds
    utilization: float  # busy workers / workers, in [0, 1]
    mean_queue: float  # mean number waiting (not in service)
    rho: float  # offered load per worker, may exceed 1

    @property
    def throughput(self) -> float:
        return self.arrival_rate * (1.0 - self.blocking)


IDLE = StationState(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _geometric_sums(rho: float, q: int) -> tuple[float, float, float]:
    """Return (S, T, scale) describing the queue part of the distribution.

    With everything divided by `scale` (1 when rho <= 1, rho**q otherwise, so nothing
    overflows): S = sum_{j=0}^{q-1} rho^j, T = rho^q, both divided by scale.
    """
    if q <= 0:
        return 0.0, 1.0, 1.0
    if abs(rho - 1.0) < 1e-12:
        return float(q), 1.0, 1.0
    if rho < 1.0:
        t = rho**q if q * -math.log(rho) < 700 else 0.0
        return (1.0 - t) / (1.0 - rho), t, 1.0
    # rho > 1: divide by rho^q; inv = rho^-q may underflow to 0, which is fine.
    inv = rho ** (-q) if q * math.log(rho) < 700 else 0.0
    # sum_{j=0}^{q-1} rho^j / rho^q = (1 - rho^-q) / (rho - 1)
    return (1.0 - inv) / (rho - 1.0), 1.0, 1.0 / inv if inv > 0 else math.inf


def station_state(workers: int, mu: float, capacity: int, arrival_rate: float) -> StationState:
    """Stationary M/M/c/K figures. `capacity` is K (in service + waiting), >= workers."""
    c = workers
    if arrival_rate <= 0.0 or c <= 0 or mu <= 0.0:
        return IDLE if arrival_rate <= 0.0 else StationState(
            arrival_rate, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, math.inf
        )
    q = max(0, capacity - c)
    a = arrival_rate / mu
    rho = a / c
    b = erlang_b(c, a)
    if b < 1e-300:
        # So lightly loaded that waiting is impossible in floating point.
        return StationState(arrival_rate, 0.0, 0.0, 0.0, 1.0 / mu, min(1.0, rho), 0.0, rho)
    s_wait, t_full, scale = _geometric_sums(rho, q)
    # Unnormalised with pi_c = 1: sum_{n<c} pi_n = 1/b - 1; queue part n=c..K-1 is
    # s_wait (includes n = c) and n = K is t_full; all divided by `scale`.
    below = (1.0 / b - 1.0) / scale if scale != math.inf else 0.0
    total = below + s_wait + t_full
    blocking = t_full / total
    admitted = 1.0 - blocking
    if admitted <= 0.0:
        admitted = 1e-300
    p_wait = (s_wait / total) / admitted
    # Mean number ahead j given waiting, truncated geometric on 0..q-1.
    mean_j = truncated_geometric_mean(rho, q)
    mean_wait_given = (mean_j + 1.0) / (c * mu)
    mean_wait = p_wait * mean_wait_given
    utilization = min(1.0, arrival_rate * admitted / (c * mu))
    mean_queue = arrival_rate * admitted * mean_wait  # Little's law on the queue
    return StationState(
        arrival_rate=arrival_rate,
        blocking=blocking,
        wait_probability=p_wait,
        mean_wait=mean_wait,
        mean_response=mean_wait + 1.0 / mu,
        utilization=utilization,
        mean_queue=mean_queue,
        rho=rho,
    )


def truncated_geometric_mean(rho: float, q: int) -> float:
    """Mean of j on 0..q-1 with P(j) proportional to rho^j."""
    if q <= 1:
        return 0.0
    if abs(rho - 1.0) < 1e-9:
        return (q - 1) / 2.0
    if rho < 1.0:
        t = rho**q if q * -math.log(rho) < 700 else 0.0
        return rho / (1.0 - rho) - q * t / (1.0 - t)
    # Mirror: j' = q-1-j has ratio 1/rho.
    return (q - 1) - truncated_geometric_mean(1.0 / rho, q)


def sample_queue_position(rho: float, q: int, u: float) -> int:
    """Inverse CDF of the truncated geometric on 0..q-1 with ratio rho."""
    if q <= 1:
        return 0
    if abs(rho - 1.0) < 1e-9:
        return min(q - 1, int(u * q))
    if rho < 1.0:
        t = rho**q if q * -math.log(rho) < 700 else 0.0
        # P(j <= m) = (1 - rho^(m+1)) / (1 - t)
        j = math.floor(math.log1p(-u * (1.0 - t)) / math.log(rho))
        return min(q - 1, max(0, j))
    return q - 1 - sample_queue_position(1.0 / rho, q, u)


def sample_response(
    state: StationState,
    workers: int,
    mu: float,
    capacity: int,
    service_mean: float,
    rng: random.Random,
) -> float:
    """One admitted request's time in the station: wait (if any) plus its own service."""
    t = rng.expovariate(1.0 / service_mean) if service_mean > 0 else 0.0
    if state.wait_probability > 0.0 and rng.random() < state.wait_probability:
        j = sample_queue_position(state.rho, capacity - workers, rng.random())
        t += rng.gammavariate(j + 1, 1.0 / (workers * mu))
    return t


def erlang_c_response_quantile(c: int, mu: float, lam: float, p: float) -> float:
    """The p-quantile of M/M/c response time (wait + exponential service), by bisection.

    Used by tests as the theory to agree with; independent of station_state.
    """
    a = lam / mu
    pw = erlang_c(c, a)
    theta = c * mu - lam  # rate of the exponential wait given waiting

    def cdf(t: float) -> float:
        # P(T <= t) with T = S + W, S ~ Exp(mu), W = 0 w.p. 1-pw else Exp(theta).
        no_wait = 1.0 - math.exp(-mu * t)
        if abs(theta - mu) < 1e-12:
            conv = 1.0 - math.exp(-mu * t) - mu * t * math.exp(-mu * t)
        else:
            conv = 1.0 - (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
        return (1.0 - pw) * no_wait + pw * conv

    lo, hi = 0.0, 1.0 / mu
    while cdf(hi) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def erlang_c_mean_response(c: int, mu: float, lam: float) -> float:
    return erlang_c(c, lam / mu) / (c * mu - lam) + 1.0 / mu
