"""Identical stations are evaluated once per tick, and each still reports its own figures.

A load balancer in front of 12 medium web servers (8 workers, 20 ms: the catalog's
documented numbers), all static traffic and no CDN, so every request crosses the
load balancer and one web server. web-5 is slowed 2x: it takes the same share (the
balancer weighs nominal capacity) but is in another state, so it is evaluated apart.
"""

from __future__ import annotations

import pytest
from simtools import make_config, spec

from scaletui.sim import mmck
from scaletui.sim.components import base
from scaletui.sim.config import DailyCycle, ScenarioEvent
from scaletui.sim.engine import Engine

WEBS = 12
WEB_MU = 1000.0 / 20.0  # medium web server: 20 ms per request
SLOW = 2.0


def _config(daily_cycle: DailyCycle | None = None):
    topo = [spec("load_balancer", "small")] + [spec("web", "medium", id=f"web-{i}") for i in range(1, WEBS + 1)]
    return make_config(*topo, users=30_000.0, rps_per_user=0.1, duration=60.0, daily_cycle=daily_cycle,
                       events=[ScenarioEvent(0.0, "slow", "web-5", factor=SLOW)])


@pytest.mark.python_source
def test_identical_web_servers_share_one_evaluation_per_tick(monkeypatch):
    calls: list[float] = []
    real = mmck.station_state

    def spy(workers, mu, capacity, rate):
        calls.append(mu)
        return real(workers, mu, capacity, rate)

    monkeypatch.setattr(base, "station_state", spy)
    # A strong daily cycle changes the rate every tick, so no memo hides an evaluation.
    e = Engine(_config(DailyCycle(amplitude=0.5, peak_at=0.0, start_at=6 * 3600.0)), seed=3)
    ticks = 20
    for k in range(1, ticks + 1):
        calls.clear()
        e.step(k * 1.0)
        assert calls.count(pytest.approx(WEB_MU)) == 1, f"tick {k}: the 11 identical web servers"
        assert calls.count(pytest.approx(WEB_MU / SLOW)) == 1, f"tick {k}: the slowed one"


def test_grouped_figures_equal_each_station_evaluated_on_its_own():
    e = Engine(_config(), seed=5)
    e.step(5.0)
    rate = 30_000.0 * 0.1
    lb = e.topology.get("load_balancer-1") or e.topology.of_kind("load_balancer")[0]
    lb_state = mmck.station_state(lb.workers, lb.mu, lb.capacity, rate)
    each = rate * (1.0 - lb_state.blocking) / WEBS  # equal nominal capacity: equal shares
    webs = e.topology.of_kind("web")
    assert len(webs) == WEBS
    accepted = {}
    for c in webs:
        slow = SLOW if c.id == "web-5" else 1.0
        mu = WEB_MU / slow
        capacity = c.workers + max(1, round(c.workers * 2.0 / (1.0 / mu)))  # web timeout: 2000 ms
        want = mmck.station_state(8, mu, capacity, each)
        assert c.offered == pytest.approx(each, rel=1e-12), c.id
        assert c.utilization == pytest.approx(want.utilization, rel=1e-9), c.id
        assert c.queue_length == pytest.approx(want.mean_queue, rel=1e-9, abs=1e-12), c.id
        assert c.state.mean_response == pytest.approx(want.mean_response, rel=1e-9), c.id
        accepted[c.id] = 1.0 - want.blocking
    # What each served this tick: its share of the same arrivals, less what it shed.
    ref = e.topology.get("web-1")
    for c in webs:
        assert c.tick_served / ref.tick_served == pytest.approx(accepted[c.id] / accepted["web-1"], rel=1e-9)
    slowed, normal = e.topology.get("web-5"), e.topology.get("web-1")
    assert slowed.utilization > normal.utilization * 1.5  # the slowed one is not merged into the run
