"""How long an M/M/c/K station keeps a caller who gives up after T seconds.

A caller that waits at most T for a station (a web server's db_timeout) gives up on
the share P(R > T) of its calls, and is held min(R, T) on average E[min(R, T)]. R is
the admitted request's wait plus its own exponential service (mean `service`). Given
that it waits, the number ahead of it j is truncated-geometric on 0..q-1 with ratio
rho, and its wait is Erlang(j + 1, c mu); summed over j, the wait's tail has a closed
form in two Poisson distribution functions (N ~ Poisson(c mu t)):

  P(W > t | waits) = [e^(-m(1 - rho)) F(q-1; m rho) - rho^q F(q-1; m)] / (1 - rho^q),  m = c mu t.

The service is added by convolution on a grid over [0, T].
"""

from __future__ import annotations

import math

from scaletui.sim.mmck import StationState

GRID = 64  # intervals over [0, T]


def _log_pmf(i: int, m: float) -> float:
    return -m + i * math.log(m) - math.lgamma(i + 1)


def log_poisson_cdf(k: int, m: float) -> float:
    """log P(N <= k) for N ~ Poisson(m)."""
    if k < 0:
        return -math.inf
    if m <= 0:
        return 0.0
    if k < m:
        # Terms fall away below k: sum downward from it.
        top = _log_pmf(k, m)
        acc, i, term = 1.0, k, 1.0
        while i > 0 and term > 1e-17:
            term *= i / m
            acc += term
            i -= 1
        return top + math.log(acc)
    # Most of the mass is at or below k: one minus the upper tail.
    first = _log_pmf(k + 1, m)
    if first < -745:
        return 0.0
    acc, i, term = 1.0, k + 1, 1.0
    while term > 1e-17:
        i += 1
        term *= m / i
        acc += term
    upper = math.exp(first) * acc
    return math.log1p(-min(upper, 1.0 - 1e-300))


def wait_tail(rho: float, q: int, theta: float, t: float) -> float:
    """P(W > t) for a request that waits: Erlang(j + 1, theta) with j truncated-geometric."""
    if t <= 0:
        return 1.0
    if q <= 1:
        return math.exp(-theta * t)
    m = theta * t
    if abs(rho - 1.0) < 1e-9:
        # Uniform j: F(q-1; m) - (m/q) F(q-2; m).
        return max(0.0, math.exp(log_poisson_cdf(q - 1, m)) - (m / q) * math.exp(log_poisson_cdf(q - 2, m)))
    a = -m * (1.0 - rho) + log_poisson_cdf(q - 1, m * rho)
    b = log_poisson_cdf(q - 1, m)
    lr = q * math.log(rho)
    if rho < 1.0:
        num = math.exp(a) - math.exp(lr + b)
        den = -math.expm1(lr)
    else:
        # Divided by rho^q, so that nothing overflows.
        num = math.exp(a - lr) - math.exp(b) if a - lr < 700 else math.inf
        den = math.expm1(-lr)
        if num == math.inf:
            return 1.0
    return min(1.0, max(0.0, num / den))


def timeout_figures(state: StationState, workers: int, mu: float, capacity: int, service: float,
                    limit: float) -> tuple[float, float]:
    """(P(R > limit), E[min(R, limit)]) of an admitted request (R: wait + its service)."""
    if limit <= 0:
        return 1.0, 0.0
    pw = state.wait_probability
    if service <= 0:
        return pw * wait_tail(state.rho, max(1, capacity - workers), workers * mu, limit), 0.0
    n = max(GRID, min(4 * GRID, math.ceil(4 * limit / service)))
    h = limit / n
    q = max(1, capacity - workers)
    theta = workers * mu
    wt = [wait_tail(state.rho, q, theta, k * h) for k in range(n + 1)] if pw > 0 else [0.0] * (n + 1)
    # P(S + W > t) = P(S > t) + conv(t), conv(t) = integral_0^t f_S(x) P(W > t - x) dx, with
    # P(W > .) linear between grid points and the exponential kernel integrated exactly.
    r = math.exp(-h / service)
    k0 = 1.0 - r  # weight of the segment's near end
    k1 = (service / h) * (1.0 - r) - r  # of its slope
    decay = [r ** i for i in range(n + 1)]
    conv = [0.0] * (n + 1)
    for k in range(1, n + 1):
        s = 0.0
        for i in range(k):
            g0 = wt[k - i]
            s += decay[i] * (g0 * k0 + (wt[k - i - 1] - g0) * k1)
        conv[k] = s
    tail_end = math.exp(-limit / service) + pw * conv[n]
    mean = service * (1.0 - math.exp(-limit / service)) + pw * h * (sum(conv) - 0.5 * conv[n])
    return min(1.0, max(0.0, tail_end)), min(limit, mean)
