"""How systems fall over, against theory: client timeouts and retries (issue 11).

- Timeouts are time limits: the share of requests that time out is the tail of the
  station's response time beyond the client's timeout T.
    M/M/1:  P(R > T) = exp(-(mu - lambda) T)
    M/M/c:  R = S + W, S ~ Exp(mu); W = 0 with probability 1 - C, else Exp(c mu - lambda),
            C = Erlang C. With theta = c mu - lambda (theta != mu):
            P(R > T) = (1 - C) e^(-mu T) + C (theta e^(-mu T) - mu e^(-theta T)) / (theta - mu)
  The servers still do the work of a timed-out request: the station is loaded as if
  no one gave up, so these formulas of the untouched queue hold.
- Retry amplification: each attempt fails with probability p, a client tries n more
  times: offered = lambda (1 + p + ... + p^n) = lambda (1 - p^(n+1)) / (1 - p).
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import HOME, STATIC, make_config, run

from scaletui.sim.catalog import Catalog
from scaletui.sim.config import ClientPolicy, ComponentSpec, Network

MU = 50.0  # 20 ms per request


def erlang_c(c: int, a: float) -> float:
    """P(wait) in M/M/c, from Erlang B's recursion (written here, not the engine's)."""
    b = 1.0
    for n in range(1, c + 1):
        b = a * b / (n + a * b)
    rho = a / c
    return b / (1.0 - rho + rho * b)


def mmc_response_tail(c: int, mu: float, lam: float, t: float) -> float:
    if c == 1:
        return math.exp(-(mu - lam) * t)
    pw = erlang_c(c, lam / mu)
    theta = c * mu - lam
    conv = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - pw) * math.exp(-mu * t) + pw * conv


def pool(c: int, lam: float, duration: float, client: ClientPolicy):
    """One pool of c workers; its own queue is long enough never to shed."""
    cat = Catalog.default().with_overrides(
        {"web": {"timeout_ms": 600_000, "sizes": {"pool": {"workers": c, "service_ms": 1000.0 / MU}}}}
    )
    return make_config(ComponentSpec("web", "pool", HOME), users=lam, rps_per_user=1.0, mix=STATIC,
                       duration=duration, catalog=cat, network=Network(hop_ms=0.0), client=client)


def timed_out_share(e) -> float:
    m = e.metrics
    late = sum(v for k, v in m.failures.items() if k.startswith("timeout:"))
    assert set(m.failures) <= {k for k in m.failures if k.startswith("timeout:")}
    return late / m.arrived


# T picked so that a good share times out at each load (the tail is then well measured).
CASES = [(1, 0.5, 0.05), (1, 0.8, 0.1), (1, 0.95, 0.3), (4, 0.5, 0.03), (4, 0.8, 0.05), (4, 0.95, 0.12)]


@pytest.mark.parametrize("c,rho,timeout", CASES)
def test_flow_timed_out_share_is_the_response_time_tail(c, rho, timeout):
    lam = rho * c * MU
    e = run(pool(c, lam, 60.0, ClientPolicy(timeout=timeout)), seed=3)
    expected = mmc_response_tail(c, MU, lam, timeout)
    assert 0.05 < expected < 0.8
    assert timed_out_share(e) == pytest.approx(expected, rel=0.02)
    # Every timed-out request was still served by the pool: wasted work.
    assert e.metrics.wasted == pytest.approx(e.metrics.failed, rel=1e-9)
    assert e.topology["web-1"].total_served == pytest.approx(e.metrics.arrived, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_exact_timed_out_share_agrees_with_theory_and_the_flow_plane(seed):
    """The exact plane times each request out on its own deadline. c = 8 at 80% busy,
    ~38,000 requests: the share varies by about 1.5% across seeds."""
    c, rho, timeout = 8, 0.8, 0.03
    lam = rho * c * MU
    cfg = pool(c, lam, 120.0, ClientPolicy(timeout=timeout))
    exact = run(cfg, seed=seed, model="exact")
    flow = run(cfg, seed=seed)
    expected = mmc_response_tail(c, MU, lam, timeout)
    assert 0.2 < expected < 0.6
    assert timed_out_share(exact) == pytest.approx(expected, rel=0.05)
    assert timed_out_share(exact) == pytest.approx(timed_out_share(flow), rel=0.05)
    assert exact.metrics.wasted == pytest.approx(exact.metrics.failed, rel=0.01)
