"""Stale cache reads against theory, and the two planes against each other.

A key written w times/s (Poisson) whose cache entry lives exactly T (the TTL) is hit
evenly over the entry's life; a hit at age a is stale when the key was written since,
with probability 1 - e^(-wa). Averaged over the life: 1 - (1 - e^(-wT))/(wT). With the
write policy `invalidate` a write deletes the entry: only the race window (a read that
took the old value before the write and stored it after) is stale.
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Configure
from scaletui.sim.config import Mix
from scaletui.sim.engine import Engine


def stale_on_hit(w: float, ttl: float) -> float:
    """Probability that a hit on an entry kept for `ttl` finds its key written since."""
    x = w * ttl
    return 1.0 - (1.0 - math.exp(-x)) / x


def cache_run(model: str, *, keys: int, items: int, ttl: float, policy: str, users: float, mix: Mix,
              duration: float, seed: int = 1) -> Engine:
    cat = Catalog.default().with_overrides({"cache": {"sizes": {"small": {"items": items}}}})
    cfg = make_config(spec("web", "xlarge"), spec("cache", "small"), spec("database", "large"), users=users,
                      rps_per_user=0.1, mix=mix, key_count=keys, duration=duration, catalog=cat)
    e = Engine(cfg, seed=seed, model=model)
    assert e.apply(Configure("cache-1", ttl=ttl, on_write=policy)).ok
    e.run()
    if model == "exact":
        e.plane.drain()
    return e


def test_the_formula_for_one_key() -> None:
    """The formula's own checks: near 0 for rare writes (wT/2), near 1 for frequent ones."""
    assert stale_on_hit(0.01, 1.0) == pytest.approx(0.005, rel=0.01)
    assert stale_on_hit(100.0, 1.0) == pytest.approx(0.99, rel=1e-3)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_one_key_under_a_ttl_is_stale_as_theory_says(model: str) -> None:
    """One key read 29.4 times/s and written 0.6 times/s, a 2 s TTL and no invalidation:
    a hit is stale with probability 1 - (1 - e^-1.2)/1.2 = 0.418. The exact plane sees
    about 300 entry lives, each stale from its first write on (sd of the mean ~0.015)."""
    w, ttl = 0.6, 2.0
    e = cache_run(model, keys=1, items=10, ttl=ttl, policy="none", users=300, mix=Mix(0.0, 0.98, 0.02, 0.0),
                  duration=600.0)
    node = e.topology["cache-1"]
    share = e.metrics.stale_reads / node.hits
    tolerance = 0.002 if model == "flow" else 0.05
    assert share == pytest.approx(stale_on_hit(w, ttl), abs=tolerance)


ZIPF_READS = Mix(0.0, 0.9, 0.1, 0.0)


@pytest.mark.parametrize(("items", "ttl"), [(50_000, 10.0), (500, 10.0)])
def test_zipf_keys_stale_share_agrees_between_the_planes(items: int, ttl: float) -> None:
    """2,000 Zipf keys, 90 reads and 10 writes/s, a 10 s TTL, no invalidation: the stale
    share of all reads agrees within 1 point, when every key fits and when LRU holds a
    quarter of them. It is also what the one-key formula gives summed over the keys when
    every key fits, times the hit rate of each (rT/(1+rT), every key held for its TTL)."""
    shares = {}
    for model in ("flow", "exact"):
        e = cache_run(model, keys=2_000, items=items, ttl=ttl, policy="none", users=1000, mix=ZIPF_READS,
                      duration=200.0)
        shares[model] = e.metrics.stale_reads / e.metrics.reads
    assert shares["flow"] == pytest.approx(shares["exact"], abs=0.01), shares
    if items >= 2_000:
        p = [i ** -0.9 for i in range(1, 2_001)]
        total = sum(p)
        reads, writes = 90.0, 10.0
        theory = sum(q / total * (reads * q / total * ttl) / (1 + reads * q / total * ttl)
                     * stale_on_hit(writes * q / total, ttl) for q in p)
        # The first TTL of the run warms the cache from empty: a little less stale.
        assert shares["exact"] == pytest.approx(theory, abs=0.02)
        assert theory > 0.2


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_invalidation_leaves_only_the_race_window(model: str) -> None:
    """The same cache with `invalidate`: a write deletes its key's entry, so only a read
    that took the value just before a write and stored it just after is stale (the
    database's wait and service time, ~1 ms here): well under half a percent, against
    about 30% without invalidation."""
    e = cache_run(model, keys=2_000, items=50_000, ttl=10.0, policy="invalidate", users=1000, mix=ZIPF_READS,
                  duration=200.0)
    assert e.metrics.stale_reads / e.metrics.reads < 0.005
    node = e.topology["cache-1"]
    assert node.hits / node.lookups > 0.5


@pytest.mark.parametrize("ttl", [10.0, math.inf])
def test_invalidation_costs_hits_in_both_planes_alike(ttl: float) -> None:
    """Writes take entries out: the hit rate drops under `invalidate`, and both planes agree
    on it within 1 point (the flow plane's entry life min(TTL, next write); without a TTL,
    a key is held when its last read came after its last write)."""
    rates = {}
    for model in ("flow", "exact"):
        e = cache_run(model, keys=2_000, items=50_000, ttl=ttl, policy="invalidate", users=1000,
                      mix=ZIPF_READS, duration=200.0)
        node = e.topology["cache-1"]
        rates[model] = node.hits / node.lookups
    assert rates["flow"] == pytest.approx(rates["exact"], abs=0.01), rates


def test_invalidation_in_front_of_a_lagging_replica_refills_old_values() -> None:
    """Reads go to a replica 0.1 s behind its primary. After a write invalidates a key,
    its next read comes Exp(r) later and, within the lag, stores the old value again:
    a fill after an invalidation is stale with probability 1 - e^(-r L), and popular keys
    (r large) are refilled stale. 200 keys, 80 reads and 20 writes/s: the planes agree
    within 3 points, far above the race window at the primary alone."""
    shares = {}
    for model in ("flow", "exact"):
        cfg = make_config(spec("web", "xlarge"), spec("cache", "small"), spec("database", "large"),
                          spec("replica", "large"), users=1000, rps_per_user=0.1, mix=Mix(0.0, 0.8, 0.2, 0.0),
                          key_count=200, duration=200.0)
        e = Engine(cfg, seed=1, model=model)
        assert e.apply(Configure("cache-1", on_write="invalidate")).ok
        e.run()
        if model == "exact":
            e.plane.drain()
        assert 0.1 <= e.topology["replica-1"].lag <= 0.12  # batching + hop + apply
        shares[model] = e.metrics.stale_reads / e.metrics.reads
    assert shares["flow"] == pytest.approx(shares["exact"], abs=0.03), shares
    assert shares["exact"] > 0.1
