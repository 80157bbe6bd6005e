"""Reads are served by a copy of the data in the users' own region when there is one.

The case of issue 8: the primary in us-east, its only replica in eu-west, users in
both. us-east reads go to the local primary, eu-west reads to the local replica; a
read crosses regions (80 ms more, the documented default) only when its region has no
copy that can serve it.
"""

from __future__ import annotations

import pytest
from tests.sim.simtools import make_config, spec, window

from scaletui.sim.config import Mix, ScenarioEvent
from scaletui.sim.engine import Engine

TWO_REGIONS = (("us-east", 1.0), ("eu-west", 1.0))
READS = Mix(0.0, 1.0, 0.0, 0.0)
CROSS_REGION_MS = 80.0
HOP_MS = 0.5


def split_config(events=(), duration=60.0):
    return make_config(spec("web", "xlarge"), spec("web", "xlarge", "eu-west"), spec("database", "large"),
                       spec("replica", "large", "eu-west"), users=1000, rps_per_user=0.1, mix=READS,
                       duration=duration, regions=TWO_REGIONS, trace_samples=10, events=events)


def db_hops(e: Engine, region: str) -> list[tuple[str, float]]:
    """(database node, ms spent on the hop to it and back) of the traced reads of a region."""
    out = []
    for t in e.metrics.traces:
        if t.region == region and t.ok:
            out += [(h.component, h.ms) for h in t.hops if h.component in ("database-1", "replica-1")]
    return out


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_reads_stay_in_their_region_when_it_has_a_copy(model):
    e = Engine(split_config(), model=model)
    e.run()
    if model == "exact":
        e.plane.drain()
    t = e.metrics.totals()
    assert t.failed == 0
    # Half the users in each region: each copy serves its own region's half.
    db, rep = e.topology["database-1"].total_served, e.topology["replica-1"].total_served
    assert db == pytest.approx(t.requests / 2, rel=0.05)
    assert rep == pytest.approx(t.requests / 2, rel=0.05)
    for region, local in (("us-east", "database-1"), ("eu-west", "replica-1")):
        if model == "exact":
            break  # it traces no requests hop by hop; its mean latency below says it
        hops = db_hops(e, region)
        assert len(hops) >= 10
        assert {cid for cid, _ in hops} == {local}
        # A large node answers in 10 ms on average: nowhere near a cross-region trip.
        assert sum(ms for _, ms in hops) / len(hops) < CROSS_REGION_MS / 2
    # Mean latency: the web server (20 ms) and the database (10 ms) plus two local hops,
    # at low load (no waiting to speak of), and no cross-region trip for anybody.
    assert t.latency.mean_ms == pytest.approx(20 + 10 + 2 * HOP_MS, rel=0.05)


def test_reads_cross_to_a_remote_replica_when_the_local_primary_is_down():
    """us-east loses its only copy at 30 s: after the 5 s health check its reads go to
    the eu-west replica, paying the cross-region trip, and none of them fails."""
    e = Engine(split_config(events=(ScenarioEvent(at=30.0, kind="fail", target="database-1"),), duration=90))
    e.step(36)
    w = window(e, 90)
    assert w.failed == 0
    assert w.comp_served("replica-1") == pytest.approx(w.arrived, rel=1e-6)
    hops = [ms for cid, ms in db_hops(e, "us-east") if cid == "replica-1"]
    assert len(hops) >= 10
    assert sum(hops) / len(hops) == pytest.approx(CROSS_REGION_MS + HOP_MS + 10, rel=0.2)
