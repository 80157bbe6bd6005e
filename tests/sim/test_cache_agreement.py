"""Caches and the CDN, in both planes, against models written here.

Expected figures come from an LRU + TTL simulation written in this file (not from the
engine's hit-rate model or its exact store): a CDN smaller than its catalogue of objects.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import OrderedDict

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.catalog import Catalog
from scaletui.sim.config import ScenarioEvent
from scaletui.sim.engine import Engine

ZIPF = 0.9  # the traffic's default skew


def zipf_probabilities(n: int, alpha: float) -> list[float]:
    w = [i ** (-alpha) for i in range(1, n + 1)]
    total = sum(w)
    return [x / total for x in w]


def simulate_lru_ttl(n_keys: int, rate: float, capacity: int, ttl: float, windows: list[tuple[float, float]],
                     end: float, down: tuple[float, float] | None = None, seeds: int = 1) -> list[float]:
    """Hit ratio in each window of an LRU store with expire-after-insertion TTL, fed
    Poisson Zipf requests from empty at 0 s. While `down` = (crashed, back) requests skip
    the store, which comes back empty. Averaged over `seeds` independent runs."""
    cdf = []
    acc = 0.0
    for p in zipf_probabilities(n_keys, ZIPF):
        acc += p
        cdf.append(acc)
    hits = [0] * len(windows)
    looks = [0] * len(windows)
    for seed in range(seeds):
        rng = random.Random(seed)
        store: OrderedDict[int, float] = OrderedDict()
        t = 0.0
        flushed = False
        while True:
            t += rng.expovariate(rate)
            if t >= end:
                break
            key = bisect.bisect_left(cdf, rng.random() * acc)
            if down is not None and t >= down[0]:
                if t < down[1]:
                    continue
                if not flushed:
                    store.clear()
                    flushed = True
            born = store.get(key)
            hit = born is not None and t - born < ttl
            if hit:
                store.move_to_end(key)
            else:
                store.pop(key, None)
                store[key] = t
                if len(store) > capacity:
                    store.popitem(last=False)
            for i, (a, b) in enumerate(windows):
                if a <= t < b:
                    looks[i] += 1
                    hits[i] += hit
    return [h / n for h, n in zip(hits, looks)]


# --- CDN ------------------------------------------------------------------------------------


def cdn_config(duration: float, items: int | None = None, events=()):
    cat = Catalog.default()
    if items is not None:
        cat = cat.with_overrides({"cdn": {"sizes": {"standard": {"items": items}}}})
    return make_config(spec("web", "xlarge"), spec("cdn", "standard"), users=1000, rps_per_user=0.2,
                       duration=duration, static_keys=10_000, catalog=cat, events=events)


def test_cdn_smaller_than_its_catalogue_evicts_in_both_planes():
    """1,000 objects fit in the edges, 10,000 are requested: an LRU, whose hit rate both
    planes must reproduce, including the warm-up after the CDN comes back empty from an
    outage. Regression: the exact CDN never evicted (0.86 where LRU gives 0.55)."""
    outage = ScenarioEvent(at=200.0, kind="fail", target="cdn-1", duration=20.0)
    cfg = cdn_config(duration=300.0, items=1_000, events=(outage,))
    ratios = {}
    back = {}
    for model in ("flow", "exact"):
        e = Engine(cfg, seed=1, model=model)
        cdn = e.topology["cdn-1"]
        seen = []
        for t in (180.0, 200.0, 250.0, 300.0):
            e.step(t)
            seen.append((cdn.hits, cdn.lookups))
        back[model] = cdn.started_at
        (h0, n0), (h1, n1), (h2, n2), (h3, n3) = seen
        ratios[model] = ((h1 - h0) / (n1 - n0), (h2 - h1) / (n2 - n1), (h3 - h2) / (n3 - n2))
    assert back["flow"] == back["exact"] and 200.0 <= back["flow"] <= 222.0
    expected = simulate_lru_ttl(10_000, 200.0, 1_000, math.inf, [(180.0, 200.0), (200.0, 250.0), (250.0, 300.0)],
                                end=300.0, down=(200.0, back["flow"]), seeds=4)
    assert 0.5 < expected[0] < 0.6  # an LRU of a tenth of the objects
    assert expected[1] < expected[0] - 0.03  # cold again after the outage
    for model in ("flow", "exact"):
        for got, want in zip(ratios[model], expected):
            assert got == pytest.approx(want, abs=0.02), (model, ratios[model], expected)
