"""Thread-per-request web servers, the web tier's database timeout and its circuit breaker.

Theory, written here and independent of the engine:
- A thread-per-request web server holds a worker for its own work plus the time the
  database takes to answer, so its utilization is
      arrivals x (own service + downstream response) / workers,
  with the database an M/M/c queue: mean response = C(c, a) / (c mu - lam) + 1/mu.
- With a timeout T on that call the worker waits min(R, T): utilization is
      arrivals x (own service + E[min(R, T)]) / workers,   E[min(R, T)] = integral_0^T P(R > t) dt,
  and the share of calls given up on is P(R > T). For M/M/c (theta = c mu - lam):
      P(R > t) = (1 - C) e^(-mu t) + C (theta e^(-mu t) - mu e^(-theta t)) / (theta - mu).
"""

from __future__ import annotations

import bisect
import math
import random

import pytest

from simtools import HOME, make_config, run, window
from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Configure
from scaletui.sim.config import ComponentSpec, Mix, Network, ScenarioEvent
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.engine import Engine
from scaletui.sim.mmck import station_state
from scaletui.sim.response_tail import timeout_figures

READS = Mix(0.0, 1.0, 0.0, 0.0)


def erlang_c(c: int, a: float) -> float:
    """P(wait) in M/M/c, from the stationary distribution summed directly."""
    terms = [a ** n / math.factorial(n) for n in range(c)]
    last = a ** c / math.factorial(c) * c / (c - a)
    return last / (sum(terms) + last)


def mmc_tail(c: int, mu: float, lam: float, t: float) -> float:
    pw = erlang_c(c, lam / mu)
    theta = c * mu - lam
    both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - pw) * math.exp(-mu * t) + pw * both


def mmc_capped_mean(c: int, mu: float, lam: float, limit: float, steps: int = 4000) -> float:
    """E[min(R, T)] by Simpson's rule over the tail."""
    h = limit / steps
    s = mmc_tail(c, mu, lam, 0.0) + mmc_tail(c, mu, lam, limit)
    for k in range(1, steps):
        s += (4 if k % 2 else 2) * mmc_tail(c, mu, lam, k * h)
    return s * h / 3


def threads_config(lam: float, web_workers: int, db_workers: int, db_ms: float, duration: float,
                   concurrency: str = "threads", mix: Mix = READS, events=(), web_timeout_ms: float = 600_000):
    cat = Catalog.default().with_overrides({
        "web": {"timeout_ms": web_timeout_ms, "concurrency": concurrency,
                "sizes": {"pool": {"workers": web_workers, "service_ms": 20.0}}},
        "database": {"timeout_ms": 600_000, "sizes": {"pool": {"workers": db_workers, "service_ms": db_ms}}},
    })
    return make_config(ComponentSpec("web", "pool", HOME), ComponentSpec("database", "pool", HOME),
                       users=lam, rps_per_user=1.0, mix=mix, duration=duration, catalog=cat,
                       network=Network(hop_ms=0.0), events=events)


def utilization_after_warmup(cfg, model: str, seed: int = 1, warm: float = 30.0) -> tuple[float, Engine]:
    e = Engine(cfg, seed=seed, model=model)
    e.step(warm)
    w = window(e, cfg.duration)
    if model == "exact":
        e.plane.drain()
    return w.utilization("web-1"), e


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_thread_per_request_web_utilization_includes_the_database_response(model):
    lam, c_web, c_db, mu_db = 100.0, 8, 4, 50.0
    cfg = threads_config(lam, c_web, c_db, 1000.0 / mu_db, duration=240.0)
    util, e = utilization_after_warmup(cfg, model)
    db_response = erlang_c(c_db, lam / mu_db) / (c_db * mu_db - lam) + 1.0 / mu_db
    expected = lam * (0.020 + db_response) / c_web
    assert util == pytest.approx(expected, rel=0.02)
    # The held part is visible: workers waiting on the database, not working.
    held = e.topology["web-1"].held_seconds / e.topology["web-1"].alive_seconds
    assert held == pytest.approx(lam * db_response, rel=0.05)


def test_event_loop_web_utilization_is_its_own_work_only():
    lam = 100.0
    cfg = threads_config(lam, 8, 4, 20.0, duration=120.0, concurrency="event_loop")
    util, e = utilization_after_warmup(cfg, "flow")
    assert util == pytest.approx(lam * 0.020 / 8, rel=0.01)
    assert e.topology["web-1"].held_seconds == 0.0


def test_the_timeout_tail_agrees_with_a_sampled_station():
    """P(R > T) and E[min(R, T)] of M/M/c/K (wait + exponential service), against requests
    drawn here: j ahead found on arrival, then Erlang(j + 1, c mu) and the service."""
    rng = random.Random(7)
    for c, mu, K, lam, limit in [(4, 50.0, 24, 160.0, 0.1), (8, 20.0, 40, 200.0, 0.2), (1, 100.0, 50, 80.0, 0.05)]:
        st = station_state(c, mu, K, lam)
        late, capped = timeout_figures(st, c, mu, K, 1.0 / mu, limit)
        # Stationary distribution seen by arrivals, by detailed balance.
        pi = [1.0]
        for n in range(1, K + 1):
            pi.append(pi[-1] * lam / (min(n, c) * mu))
        admitted = pi[:K]
        total = sum(admitted)
        draws, n_late, acc = 100_000, 0, 0.0
        cum = []
        run_sum = 0.0
        for p in admitted:
            run_sum += p / total
            cum.append(run_sum)
        for _ in range(draws):
            n = bisect.bisect_left(cum, rng.random())
            r = rng.expovariate(mu)
            if n >= c:
                r += rng.gammavariate(n - c + 1, 1.0 / (c * mu))
            n_late += r > limit
            acc += min(r, limit)
        assert late == pytest.approx(n_late / draws, abs=0.006)
        assert capped == pytest.approx(acc / draws, rel=0.015)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_db_timeout_bounds_the_held_worker_and_fails_the_tail(model):
    # Web workers to spare: when all of them are held, the web tier queues requests
    # instead of sending them on, which thins the database's worst moments (the exact
    # plane shows it: 2.3% late instead of 4.1% with 16 workers).
    lam, c_web, c_db, mu_db, limit = 160.0, 48, 4, 50.0, 0.1
    cfg = threads_config(lam, c_web, c_db, 1000.0 / mu_db, duration=150.0)
    e = Engine(cfg, seed=2, model=model)
    e.apply(Configure("web", db_timeout=limit))
    e.step(30.0)
    w = window(e, cfg.duration)
    if model == "exact":
        e.plane.drain()
    util = w.utilization("web-1")
    # The database still answers every call (nothing retries): its load is unchanged.
    expected = lam * (0.020 + mmc_capped_mean(c_db, mu_db, lam, limit)) / c_web
    assert util == pytest.approx(expected, rel=0.03)
    assert util < lam * (0.020 + limit) / c_web  # the bound the timeout sets
    given_up = w.failures("gave up waiting for the database") / w.arrived
    assert given_up == pytest.approx(mmc_tail(c_db, mu_db, lam, limit), abs=0.01)


def breaker_run(model: str, breaker: bool) -> dict[str, float]:
    """A database ten times slower from 40 s to 120 s under a thread-per-request web server
    (4 workers, 78% busy before) that gives up on a call after 250 ms; half the requests
    are static (no database)."""
    slow = ScenarioEvent(at=40.0, kind="slow", target="database", duration=80.0, factor=10.0)
    cfg = threads_config(100.0, 4, 4, 20.0, duration=200.0, mix=Mix(0.5, 0.5, 0.0, 0.0), events=[slow],
                         web_timeout_ms=2000.0)
    e = Engine(cfg, seed=3, model=model)
    e.apply(Configure("web", db_timeout=0.25, breaker=BreakerRule(0.5, 10.0) if breaker else None))
    e.step(50.0)
    web = e.topology["web-1"]
    held0 = web.held_seconds
    during = window(e, 115.0)
    # Read now: a window's figures are those of the run so far.
    figures = {
        "held": (web.held_seconds - held0) / during.seconds,
        "web_shed": during.failures("web-1") / during.arrived,
        "breaker": during.failures("breaker open") / during.arrived,
    }
    e.step(150.0)
    after = window(e, 200.0)
    figures["after_failed"] = after.failed / after.arrived
    figures["breaker_events"] = sum(ev.kind == "breaker" for ev in e.events.events)
    return figures


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_an_open_breaker_stops_holding_web_workers(model):
    without = breaker_run(model, breaker=False)
    with_breaker = breaker_run(model, breaker=True)
    assert without["breaker"] == 0 and without["breaker_events"] == 0
    # Without a breaker every read holds a worker for up to the timeout: the web server
    # is full of waiting workers and sheds static requests too.
    assert without["held"] > 0.7 * 4
    assert without["web_shed"] > 0.2
    # Open, the breaker fails the reads (half the requests) at once, so the workers are
    # free for the static half.
    assert with_breaker["breaker"] > 0.35
    assert with_breaker["held"] < 0.3 * without["held"]
    assert with_breaker["web_shed"] < 0.1 * without["web_shed"]
    assert with_breaker["breaker_events"] >= 2  # opened, and closed again after the slowdown
    assert with_breaker["after_failed"] < 0.01
    assert without["after_failed"] < 0.01


def test_a_thread_per_request_tier_in_front_of_a_full_database_settles():
    """Web threads held by a database at its capacity: the real system settles with the
    web tier shedding what its threads cannot hold. The flow plane evaluates the web tier
    before the database and must find that state, not swing between all threads held
    and none from one tick to the next."""
    cat = Catalog.default().with_overrides({
        "web": {"concurrency": "threads", "sizes": {"pool": {"workers": 16, "service_ms": 5.0}}},
        "database": {"timeout_ms": 30_000, "sizes": {"pool": {"workers": 16, "service_ms": 10.0}}},
    })
    cfg = make_config(ComponentSpec("web", "pool", HOME), ComponentSpec("web", "pool", HOME),
                      ComponentSpec("web", "pool", HOME), ComponentSpec("load_balancer", "small", HOME),
                      ComponentSpec("database", "pool", HOME), users=2000.0, rps_per_user=1.0,
                      mix=Mix(0.2, 0.8, 0.0, 0.0), duration=120.0, catalog=cat)
    e = Engine(cfg, seed=1)
    rates = []
    for t in range(60, 120):
        e.step(t)
        rates.append(e.metrics.recent[-1].error_rate)
    assert 0.01 < sum(rates) / len(rates) < 0.5  # the web tier sheds part, not all
    assert max(abs(a - b) for a, b in zip(rates, rates[1:])) < 0.1
    assert e.topology["database-1"].utilization > 0.9
