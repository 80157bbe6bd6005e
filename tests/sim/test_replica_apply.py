"""Replicas pay for replaying writes: the apply work takes their workers from reads.

Replaying a logged write costs half of executing it (the documented apply cost), so a
replica with c workers of service time s serving R reads/s while its primary commits
W writes/s is busy (R s + W s / 2) / c of the time, and its reads wait behind the
applies. Checked in both planes; the exact plane is the independent simulation the
flow plane's read latency is compared with.
"""

from __future__ import annotations

import random

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.catalog import Catalog
from scaletui.sim.config import Mix
from scaletui.sim.engine import Engine

REPLICA_WORKERS = 4  # a small replica
REPLICA_SERVICE_S = 0.010
DURATION = 60.0


def write_heavy_config():
    """100 reads/s and 400 writes/s. A fast web tier and primary (1 ms), so that the
    time reads spend at the replica is what the mean latency is made of."""
    cat = Catalog.default().with_overrides({"web": {"sizes": {"xlarge": {"service_ms": 1}}},
                                            "database": {"sizes": {"xlarge": {"service_ms": 1}}}})
    return make_config(spec("web", "xlarge"), spec("database", "xlarge"), spec("replica", "small"),
                       users=5000, rps_per_user=0.1, mix=Mix(0, 0.2, 0.8, 0), duration=DURATION, catalog=cat)


LAGS: dict[str, list[float]] = {}  # replica-1's lag at each of the last 30 ticks, per plane


@pytest.fixture(scope="module")
def runs() -> dict[str, Engine]:
    out = {}
    for model in ("flow", "exact"):
        e = Engine(write_heavy_config(), seed=3, model=model)
        e.plane.rng = random.Random(1_000_006)  # its own stream: both planes draw the same arrivals
        LAGS[model] = []
        for t in range(1, int(DURATION) + 1):
            e.step(t)
            if t > DURATION / 2:
                LAGS[model].append(e.topology["replica-1"].lag)
        if model == "exact":
            e.plane.drain()
        out[model] = e
    return out


def test_replica_utilization_counts_the_writes_it_applies(runs):
    """Each plane against the formula, with the reads and writes that plane served."""
    ratio = {}
    for model, e in runs.items():
        replica, primary = e.topology["replica-1"], e.topology["database-1"]
        reads, writes = replica.total_served, primary.total_served
        assert reads > 5000 and writes > 4 * 5000 * 0.9
        expected = (reads * REPLICA_SERVICE_S + writes * REPLICA_SERVICE_S / 2) / (REPLICA_WORKERS * DURATION)
        assert expected == pytest.approx(0.75, rel=0.02)  # two thirds of it is applying writes
        util = replica.busy_seconds / DURATION
        assert util == pytest.approx(expected, rel=0.02), model
        ratio[model] = util / expected
    assert ratio["flow"] == pytest.approx(ratio["exact"], rel=0.02)


def test_reads_on_a_replica_wait_behind_its_applies_in_both_planes(runs):
    """Reads alone would keep the replica 25% busy (hardly any waiting); with the applies
    it is 75% busy and reads queue. The flow plane's mean latency matches the exact
    simulation of the same station."""
    flow, exact = runs["flow"], runs["exact"]
    f, x = flow.metrics.totals(), exact.metrics.totals()
    assert f.requests == x.requests and f.failed == 0 and x.failed == 0
    # Without any waiting: 1 ms of web, then 10 ms on the replica or 1 ms on the primary.
    no_wait_ms = 1 + 0.2 * 10 + 0.8 * 1 + 2 * 0.5
    assert x.latency.mean_ms > no_wait_ms * 1.1
    assert f.latency.mean_ms == pytest.approx(x.latency.mean_ms, rel=0.05)


def test_replication_lag_includes_the_wait_for_a_worker(runs):
    """A write reaches the replica after the network and batching delay (100.5 ms) and
    is applied when a worker is free: with the replica 75% busy that wait is several
    ms, the same in the flow plane's lag as in the exact plane's writes."""
    flow = sum(LAGS["flow"]) / len(LAGS["flow"])
    exact = sum(LAGS["exact"]) / len(LAGS["exact"])
    assert flow > (100 + 0.5 + REPLICA_SERVICE_S / 2 * 1000 + 1) / 1000
    # The exact lag of one tick averages about 400 writes: sd about 1 ms, 0.2 ms over 30.
    assert flow == pytest.approx(exact, abs=0.002)
