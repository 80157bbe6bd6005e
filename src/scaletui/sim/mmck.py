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


@dataclass(slots=True, eq=True, unsafe_hash=True)
class StationState:
    """Stationary figures of one M/M/c/K station at one arrival rate. Never changed once
    built (treat it as frozen): `frozen=True` would enforce it, but makes it three times
    slower to build, and the flow plane builds one for each station whose arrival rate
    changed, every tick; a named tuple builds fast but reads its fields slower."""

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


def response_tail(state: StationState, workers: int, mu: float, capacity: int, service_mean: float,
                  t: float) -> float:
    """P(an admitted request spends more than t seconds in the station): wait + own service.

    Exact for M/M/c/K, by uniformization at the queue's drain rate theta = c*mu: in time
    t, N ~ Poisson(theta*t) events happen. A request that found j ahead of it in the
    queue needs j + 1 of them to reach a worker; then each further event ends its own
    service with probability nu/theta (nu = 1/service_mean, memoryless), so it is still
    there after n events with probability 1 (n <= j) or q^(n-j-1), q = 1 - nu/theta.
    One that did not wait is still in service with probability q^n. Summed over the
    truncated-geometric j (ratio rho on 0..Q-1) this is sum_n P(N = n) G(n) with
      G(n) = (1 - pw) q^n + pw [P(j >= n) + sum_{j < min(n, Q)} p_j q^(n-1-j)].
    With Q large it is the Erlang C tail convolved with the service time. If the own
    service is faster than theta (only mixed work can make it so) it is taken at theta:
    the tail is then a little long.
    """
    if t <= 0.0:
        return 1.0
    nu = 1.0 / service_mean if service_mean > 0 else math.inf
    pw = state.wait_probability
    theta = workers * mu
    if pw <= 0.0 or theta <= 0.0 or not math.isfinite(theta):
        return math.exp(-nu * t) if math.isfinite(nu) else 0.0
    q = max(0.0, 1.0 - nu / theta)
    big_q = max(1, capacity - workers)
    m = theta * t
    spread = 9.0 * math.sqrt(m) + 10.0  # Poisson mass beyond 9 sd is below 1e-18
    n_lo = max(0, int(m - spread))
    n_hi = int(m + spread) + 1
    if n_lo > big_q and (q == 0.0 or (n_lo - big_q) * math.log(q) < -30.0):
        return 0.0  # even the longest wait and a long service end well before t
    rho = state.rho
    # p_j of the queue position, as logs (rho^j over- or underflows for long queues).
    if abs(rho - 1.0) < 1e-12:
        log_p0, log_rho = -math.log(big_q), 0.0
    elif rho < 1.0:
        log_rho = math.log(rho)
        log_p0 = math.log1p(-rho) - math.log1p(-math.exp(big_q * log_rho))
    else:
        log_rho = math.log(rho)
        # p_{Q-1} = (1 - 1/rho) / (1 - rho^-Q); p_0 = p_{Q-1} rho^-(Q-1)
        log_last = math.log1p(-1.0 / rho) - math.log1p(-math.exp(-big_q * log_rho))
        log_p0 = log_last - (big_q - 1) * log_rho
    # Start at n_lo with the closed forms of P(j >= n), h(n) and q^n, then step.
    log_q = math.log(q) if q > 0 else -math.inf
    tail_j = _queue_tail(rho, log_rho, big_q, n_lo)
    h = _h_start(log_p0, log_rho, rho, q, log_q, big_q, n_lo)
    qn = math.exp(n_lo * log_q) if q > 0 else (1.0 if n_lo == 0 else 0.0)
    # G is non-increasing in n (more events, more chance to be done), so the tail is at
    # most P(N < n_lo) (below 1e-18) + G(n_lo): a light-tailed station ends here.
    if (1.0 - pw) * qn + pw * (max(0.0, tail_j) + h) < 1e-13:
        return 0.0
    pmf = math.exp(-m + n_lo * math.log(m) - math.lgamma(n_lo + 1)) if m > 0 else 1.0
    total = 0.0
    for n in range(n_lo, n_hi + 1):
        total += pmf * ((1.0 - pw) * qn + pw * (max(0.0, tail_j) + h))
        pmf *= m / (n + 1)
        p_n = math.exp(log_p0 + n * log_rho) if n < big_q else 0.0
        h = q * h + p_n
        tail_j -= p_n
        qn *= q
    return min(1.0, max(0.0, total))


def _queue_tail(rho: float, log_rho: float, big_q: int, n: int) -> float:
    """P(j >= n) for j truncated-geometric with ratio rho on 0..Q-1."""
    if n <= 0:
        return 1.0
    if n >= big_q:
        return 0.0
    if abs(rho - 1.0) < 1e-12:
        return (big_q - n) / big_q
    if rho < 1.0:
        return (math.exp(n * log_rho) - math.exp(big_q * log_rho)) / -math.expm1(big_q * log_rho)
    return -math.expm1((n - big_q) * log_rho) / -math.expm1(-big_q * log_rho)


def _h_start(log_p0: float, log_rho: float, rho: float, q: float, log_q: float, big_q: int, n: int) -> float:
    """sum_{j < min(n, Q)} p_j q^(n-1-j), with p_j = p_0 rho^j: a geometric sum."""
    if n <= 0:
        return 0.0
    k = min(n, big_q)
    if abs(rho - q) < 1e-12:
        s = k * math.exp(log_p0 + (k - 1) * log_q) if q > 0 else (math.exp(log_p0) if k == 1 else 0.0)
    elif rho > q:
        ratio = math.exp(k * (log_q - log_rho)) if q > 0 else 0.0
        s = math.exp(log_p0 + k * log_rho - math.log(rho - q)) * (1.0 - ratio)
    else:
        s = math.exp(log_p0 + k * log_q - math.log(q - rho)) * (1.0 - math.exp(k * (log_rho - log_q)))
    if n > k:
        s *= math.exp((n - k) * log_q) if q > 0 else 0.0
    return s
