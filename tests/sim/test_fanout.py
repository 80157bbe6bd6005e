"""Fan-out reads (a feed, a search, a join) and denormalization, against theory and
between the two planes.

- k shards, each an M/M/1 station at rate lambda with service rate mu, under independent
  load: a shard read's response time has F(t) = 1 - e^(-(mu - lambda) t), and the read
  that waits for all k has P(max <= t) = F(t)^k. Its p-quantile is
  t_p = -ln(1 - p^(1/k)) / (mu - lambda), and its mean H_k / (mu - lambda), with H_k the
  k-th harmonic number (the mean of the largest of k exponentials).
- Denormalized, a write is written to the k shards a fan-out would read: the shards write
  k x (write rate) in all, and a fan-out read reads one shard.
- A fan-out read fails if any shard it needs fails; a cache that holds its assembled
  result answers it without any shard read.
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import HOME, make_config, run

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Configure
from scaletui.sim.config import ComponentSpec, Mix, Network, ScenarioEvent
from scaletui.sim.engine import Engine

SERVICE_MS = 10.0  # each shard: one worker, 10 ms mean service (mu = 100/s)
MU = 1000.0 / SERVICE_MS
FANOUT = Mix(0.0, 0.0, 0.0, 0.0, 1.0)
WRITES = Mix(0.0, 0.0, 1.0, 0.0, 0.0)


def shards_catalog() -> Catalog:
    """M/M/1 shards with room to queue for minutes (nothing is shed), behind a web tier
    that adds no time worth measuring."""
    one = {"workers": 1, "service_ms": SERVICE_MS}
    return Catalog.default().with_overrides({
        "web": {"sizes": {"instant": {"workers": 10_000, "service_ms": 0.001}}},
        "database": {"timeout_ms": 600_000, "sizes": {"one": one}},
        "shard": {"timeout_ms": 600_000, "sizes": {"one": one}},
        "cache": {"sizes": {"instant": {"workers": 10_000, "service_ms": 0.001}}},
    })


def sharded(k: int, rate: float, mix: Mix, duration: float, *extra: ComponentSpec,
            events: tuple[ScenarioEvent, ...] = (), zipf: float = 0.0, **traffic):
    topo = [ComponentSpec("web", "instant", HOME), ComponentSpec("database", "one", HOME)]
    topo += [ComponentSpec("shard", "one", HOME) for _ in range(k - 1)]
    return make_config(*topo, *extra, users=rate, rps_per_user=1.0, mix=mix, duration=duration,
                       catalog=shards_catalog(), network=Network(hop_ms=0.0), latency_samples=64,
                       events=events, key_count=100_000, zipf=zipf, **traffic)


def shard_ids(k: int) -> list[str]:
    return ["database-1"] + [f"shard-{i}" for i in range(1, k)]


def max_quantile(p: float, k: int, lam: float, mu: float) -> float:
    """Solve F(t)^k = p for the M/M/1 response-time cdf F."""
    return -math.log(1.0 - p ** (1.0 / k)) / (mu - lam)


@pytest.mark.parametrize("k", [2, 4, 16])
def test_fanout_p99_is_the_order_statistic_of_k_shards(k: int) -> None:
    lam = 50.0  # every fan-out reads every shard: each shard gets all of them (rho = 0.5)
    e = run(sharded(k, lam, FANOUT, duration=300.0))
    t = e.metrics.totals()
    assert t.failed == 0
    for sid in shard_ids(k):
        c = e.topology[sid]
        assert c.busy_seconds / c.alive_seconds == pytest.approx(lam / MU, rel=0.01)
    p99 = max_quantile(0.99, k, lam, MU) * 1000.0
    assert t.latency.p99_ms == pytest.approx(p99, rel=0.03)
    harmonic = sum(1.0 / i for i in range(1, k + 1))
    assert t.latency.mean_ms == pytest.approx(harmonic / (MU - lam) * 1000.0, rel=0.02)


def test_one_slow_shard_sets_the_tail_of_every_fanout() -> None:
    """Shard 1 of 4 at three times its service time: its own M/M/1 cdf joins the product,
    P(max <= t) = F_slow(t) F(t)^3."""
    lam = 20.0
    slow = ScenarioEvent(at=0.0, kind="slow", target="database-1", factor=3.0)
    e = run(sharded(4, lam, FANOUT, duration=300.0, events=(slow,)))
    mu_slow = MU / 3.0

    def cdf(x: float) -> float:
        return (1 - math.exp(-(mu_slow - lam) * x)) * (1 - math.exp(-(MU - lam) * x)) ** 3

    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < 0.99 else (lo, mid)
    p99 = e.metrics.totals().latency.p99_ms
    assert p99 == pytest.approx(lo * 1000.0, rel=0.03)
    assert p99 > 2.0 * max_quantile(0.99, 4, lam, MU) * 1000.0  # the slow shard, not the fan-out, sets it


def test_exact_plane_agrees_with_the_flow_plane() -> None:
    """Reads of one shard and fan-out reads of all four, on both planes. In the exact plane
    the shard reads of one fan-out arrive together (a fork-join), which the flow plane's
    independent shards leave out; with fan-outs a third of each shard's load the two
    agree within a few percent."""
    cfg = sharded(4, 100.0, Mix(0.0, 0.8, 0.0, 0.0, 0.2), duration=300.0)
    flow = run(cfg).metrics.totals()
    exact = run(cfg, model="exact").metrics.totals()
    assert exact.failed == flow.failed == 0
    assert exact.latency.mean_ms == pytest.approx(flow.latency.mean_ms, rel=0.04)
    assert exact.latency.p95_ms == pytest.approx(flow.latency.p95_ms, rel=0.05)
    assert exact.latency.p99_ms == pytest.approx(flow.latency.p99_ms, rel=0.05)


@pytest.mark.parametrize("model", ["flow", "exact"])
@pytest.mark.parametrize("width", [None, 2])
def test_denormalized_writes_cost_k_writes(model: str, width: int | None) -> None:
    """Shard write load = k x write rate, k the shards a fan-out would read."""
    n, rate, duration = 4, 40.0, 120.0
    e = Engine(sharded(n, rate, WRITES, duration, fanout_shards=width), model=model)
    assert e.apply(Configure("database-1", denormalize=True)).ok
    e.run()
    if model == "exact":
        e.plane.drain()
    k = width or n
    written = sum(e.topology[s].total_served for s in shard_ids(n))
    answered = e.metrics.totals().served
    assert e.metrics.totals().failed == 0
    assert written == pytest.approx(k * answered, rel=1e-9)
    assert answered == pytest.approx(rate * duration, rel=0.05)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_a_denormalized_fanout_reads_one_shard(model: str) -> None:
    n, rate, duration = 4, 40.0, 120.0
    e = Engine(sharded(n, rate, FANOUT, duration), model=model)
    assert e.apply(Configure("database", denormalize=True)).ok
    e.run()
    if model == "exact":
        e.plane.drain()
    read = sum(e.topology[s].total_served for s in shard_ids(n))
    assert read == pytest.approx(e.metrics.totals().served, rel=1e-9)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_a_fanout_fails_when_any_shard_it_needs_fails(model: str) -> None:
    """One shard of four is down from the start: every fan-out read fails (and each of
    them once), while reads of one key fail only on that shard's keys."""
    crash = ScenarioEvent(at=0.0, kind="fail", target="shard-2")
    rate, duration = 40.0, 60.0
    e = run(sharded(4, rate, Mix(0.0, 0.5, 0.0, 0.0, 0.5), duration, events=(crash,)), model=model)
    t = e.metrics.totals()
    fanouts = reads = rate * duration / 2
    assert t.requests == pytest.approx(fanouts + reads, rel=0.05)
    assert t.failed == pytest.approx(fanouts + reads / 4, rel=0.08)
    assert t.failed + t.served == pytest.approx(t.requests, abs=1e-6)
    assert all("shard-2" in cause for cause in e.metrics.failures)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_a_cached_result_reads_no_shard(model: str) -> None:
    """Every shard reads once per miss of the result cache (k = all), never for a hit."""
    cache = ComponentSpec("cache", "instant", HOME)
    e = run(sharded(4, 40.0, FANOUT, 120.0, cache, zipf=1.1), model=model)
    node = e.topology["cache-1"]
    misses = node.lookups - node.hits
    assert 0.2 < node.hits / node.lookups < 0.95
    for sid in shard_ids(4):
        assert e.topology[sid].total_served == pytest.approx(misses, rel=1e-9)


def test_denormalize_is_a_setting_of_the_database() -> None:
    e = Engine(sharded(2, 10.0, FANOUT, 10.0))
    res = e.apply(Configure("web-1", denormalize=True))
    assert not res.ok and res.message == "denormalizing is a setting of the database"
    assert not e.topology.denormalized
    assert e.apply(Configure("shard-1", denormalize=True)).ok and e.topology.denormalized
    res = e.apply(Configure("database", denormalize=False))
    assert res.ok and "normalized" in res.message and not e.topology.denormalized
