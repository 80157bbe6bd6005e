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
from scaletui.sim.config import ClientPolicy, ComponentSpec, Network, ScenarioEvent

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


# --- retry amplification ----------------------------------------------------------------


def failing_pool(p: float, retries: int, lam: float, duration: float):
    """A pool well under capacity that answers a share p of what it works on with an
    error (a scenario `errors` event from the start): every attempt fails with p."""
    cat = Catalog.default().with_overrides({"web": {"sizes": {"pool": {"workers": 64, "service_ms": 20.0}}}})
    return make_config(ComponentSpec("web", "pool", HOME, "web-1"), users=lam, rps_per_user=1.0, mix=STATIC,
                       duration=duration, catalog=cat, network=Network(hop_ms=0.0), report_every=15.0,
                       client=ClientPolicy(retries=retries),
                       events=[ScenarioEvent(at=0.0, kind="errors", target="web-1", share=p)])


@pytest.mark.parametrize("model", ["flow", "exact"])
@pytest.mark.parametrize("p,n", [(0.3, 1), (0.5, 3)])
def test_retries_multiply_the_offered_load(model, p, n):
    lam = 100.0
    e = run(failing_pool(p, n, lam, 60.0), seed=5, model=model)
    rows = e.metrics.series[1:3]  # 15-45 s: first tries and their retries both in steady state
    first = sum(r.rps for r in rows) / 2  # lambda as drawn (Poisson arrivals)
    assert first == pytest.approx(lam, rel=0.05)
    offered = first + sum(r.retry_rps for r in rows) / 2
    assert offered == pytest.approx(first * (1 - p ** (n + 1)) / (1 - p), rel=0.02)
    # What users see: a request fails only if all n + 1 attempts do.
    failed = sum(r.failed for r in rows) / sum(r.requests for r in rows)
    assert failed == pytest.approx(p ** (n + 1), rel=0.15 if model == "exact" else 0.03)
    m = e.metrics
    assert m.retries > 0 and set(m.retry_causes) == {"web-1 answered with an error"}


# --- metastable failure -------------------------------------------------------------------

TRIGGER_AT, TRIGGER_FOR = 120.0, 120.0  # the database's disk is slow (2x) for 2 minutes
TRIGGER_END = TRIGGER_AT + TRIGGER_FOR


def storm(retries: int, duration: float = 900.0):
    """600 requests/s through a load balancer and two web servers to a database that is
    75% busy. Clients give up after 500 ms; the database's queue holds 1 s of work, so
    once it is full every answer comes too late: served, and wasted."""
    from scaletui.sim.config import Mix
    return make_config(
        spec_("load_balancer", "small", "lb-1"), spec_("web", "large", "web-1"), spec_("web", "large", "web-2"),
        spec_("database", "medium", "database-1"),
        users=12000, rps_per_user=0.05, mix=Mix(0.0, 0.8, 0.2, 0.0), duration=duration,
        client=ClientPolicy(timeout=0.5, retries=retries),
        events=[ScenarioEvent(at=TRIGGER_AT, kind="slow", target="database-1", factor=2.0,
                              duration=TRIGGER_FOR)])


def spec_(kind: str, size: str, cid: str) -> ComponentSpec:
    return ComponentSpec(kind, size, HOME, cid)


def error_by_minute(e) -> list[float]:
    return [round(r.error_rate, 3) for r in e.metrics.series]


def test_an_overload_with_retries_outlives_its_trigger_until_load_is_shed():
    from scaletui.sim.commands import Configure
    from scaletui.sim.engine import Engine

    calm = run(storm(retries=0, duration=480.0))
    stormy = run(storm(retries=3))
    shed = Engine(storm(retries=3, duration=540.0), seed=1)
    shed.step(TRIGGER_END + 60.0)  # a minute after the trigger, still failing
    assert shed.apply(Configure("lb-1", max_in_flight=100)).ok
    shed.run()
    curves = {"retries 0": error_by_minute(calm), "retries 3": error_by_minute(stormy),
              "retries 3, shed at 5m": error_by_minute(shed)}
    for name, curve in curves.items():
        print(f"{name:>22}: " + " ".join(f"{x:.0%}" for x in curve))
    end_minute = int(TRIGGER_END // 60)
    for curve in curves.values():
        assert max(curve[:int(TRIGGER_AT // 60)]) < 0.001  # healthy before the trigger
    # Without retries it recovers within a minute of the trigger's end.
    assert max(calm.metrics.series[end_minute].error_rate, calm.metrics.series[end_minute + 1].error_rate) < 0.01
    assert max(r.error_rate for r in calm.metrics.series[end_minute + 1:]) < 0.001
    # With 3 immediate retries it is still failing over half its requests 10 minutes on.
    assert all(r.error_rate > 0.5 for r in stormy.metrics.series[end_minute:end_minute + 11])
    assert stormy.metrics.series[end_minute + 10].retry_rps > 2.5 * 600  # every attempt fails: 4 tries each
    # Shedding load at the load balancer breaks the loop within a minute.
    assert max(r.error_rate for r in shed.metrics.series[end_minute + 2:]) < 0.01
    assert any(k.startswith("shed by lb-1") for k in shed.metrics.retry_causes)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_exponential_backoff_waits_1_2_4_seconds(model):
    """Every attempt fails (errors on all requests); users arrive for 10 s only. With 3
    retries and exponential backoff each request is tried 4 times, the retries waiting
    1 s, 2 s and 4 s after the failure before them: none comes back within the first
    second, and the last within 10 s + 1 + 2 + 4 s (the flow plane ends each failure with
    its tick: up to one more second per attempt)."""
    from scaletui.sim.config import TrafficChange

    cfg = make_config(ComponentSpec("web", "large", HOME, "web-1"), users=50, rps_per_user=1.0, mix=STATIC,
                      duration=30.0, client=ClientPolicy(retries=3, backoff="exponential"),
                      events=[ScenarioEvent(at=0.0, kind="errors", target="web-1", share=1.0),
                              ScenarioEvent(at=10.0, kind="traffic", traffic=TrafficChange(users=0.0))])
    e = run(cfg, seed=2, model=model)
    m = e.metrics
    assert m.failed == pytest.approx(m.arrived) and m.served == 0
    assert m.retries == pytest.approx(3 * m.arrived)
    with_retries = [r.t for r in m.recent if r.retry_rps > 0]
    assert min(with_retries) >= 2.0 if model == "flow" else min(with_retries) >= 1.0
    # (the exact plane's arrivals of a tick are counted in the next tick's row)
    assert max(with_retries) <= 10 + 7 + (3 if model == "flow" else 1)
    assert max(with_retries) >= 10 + 7  # the last ones did wait the whole 7 s
