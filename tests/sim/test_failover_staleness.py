"""Data across data centres: a failover across the ocean loses the writes in the
replication window, and the database then serves older values of their keys.

The primary is in us-east, its replica (and all users) in eu-west; us-east goes out and
automatic failover promotes the replica. Writes it had not received are lost: about
W x (hop + replication batching + ocean). Each lost write leaves its key without its last
value; n of them fall on key i (popularity p_i) with probability 1 - e^(-n p_i), and
reads of it (R p_i per second) are stale until the key is written again (W p_i per
second, once writes resume PROMOTE_S after the promotion).
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.commands import Configure
from scaletui.sim.config import Mix, Network, ScenarioEvent
from scaletui.sim.engine import Engine

PROMOTE_S = 10  # writes resume this long after a promotion (README)
KEYS = 1_000
W = R = 100.0  # writes and reads per second: 2,000 users x 0.1 requests/s, half each
NET = Network(hop_ms=0.5, cross_region_ms=80.0, replication_ms=2000.0)  # a wide window: a clear count
END = 60.0


def regional_failover(model: str) -> Engine:
    cfg = make_config(spec("load_balancer", "small", "eu-west"), spec("web", "xlarge", "eu-west"),
                      spec("database", "large", "us-east"), spec("replica", "xlarge", "eu-west"),
                      users=2000, rps_per_user=0.1, mix=Mix(0.0, 0.5, 0.5, 0.0), duration=END,
                      regions=(("eu-west", 1.0),), network=NET, key_count=KEYS,
                      events=[ScenarioEvent(at=10.0, kind="outage", target="us-east")])
    e = Engine(cfg, model=model, seed=2)
    assert e.apply(Configure("database-1", failover="auto")).ok
    e.run()
    if model == "exact":
        e.plane.drain()
    return e


def stale_reads_after(lost: float, promoted_at: float) -> float:
    """Reads of keys whose last write was lost, from the promotion to the end."""
    p = [i ** -0.9 for i in range(1, KEYS + 1)]
    total = sum(p)
    rewrites_for = END - promoted_at - PROMOTE_S
    out = 0.0
    for q in (x / total for x in p):
        missing = -math.expm1(-lost * q)
        out += missing * R * q * (PROMOTE_S + -math.expm1(-W * q * rewrites_for) / (W * q))
    return out


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_a_regional_failover_loses_and_serves_stale_the_replication_window(model: str) -> None:
    """Within 10% of W x window (208 writes) and of the stale reads that many lost writes
    make. Each plane's count is noisy: the exact one is Poisson (sd 7%), the flow one
    scales one tick's Poisson count of writes by the window (sd 10%); seed 2 is within."""
    e = regional_failover(model)
    window = (NET.hop_ms + NET.replication_ms + NET.cross_region_ms) / 1000.0
    lost = e.metrics.lost_writes
    assert lost == pytest.approx(W * window, rel=0.10)
    promoted = [ev.t for ev in e.events.events if ev.kind == "promote"]
    assert promoted == [40.0]  # outage at 10 s, detected 30 s later
    stale = e.metrics.stale_after_failover
    assert stale == pytest.approx(stale_reads_after(lost, promoted[0]), rel=0.10)
    assert e.metrics.stale_reads >= stale  # counted among the stale reads
    report = e.metrics.totals()
    assert report.stale_after_failover == round(stale) and report.lost_writes == round(lost)

