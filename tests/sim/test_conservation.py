"""Requests are conserved on the raw counters, each counted where it happens.

arrived = served + failed + in flight, with none of the four derived from the others,
both for the whole run and for each component's own served and failed counts.
"""

from __future__ import annotations

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.config import Mix, ScenarioEvent
from scaletui.sim.engine import Engine
from scaletui.sim.metrics import Metrics, round_parts


def test_totals_report_what_was_counted_not_a_difference():
    m = Metrics(60.0)
    m.arrive(10)
    m.serve(7, 0.1)
    m.fail(2, "down")  # one request neither served nor failed: the report must show it
    t = m.totals()
    assert (t.requests, t.served, t.failed, t.in_flight) == (10, 7, 2, 0)
    m.fail(1, "down")
    m.serve(1, 0.1)  # one more answer than arrivals: counted twice
    t = m.totals()
    assert t.served + t.failed + t.in_flight == 11 != t.requests


def test_rounding_keeps_the_identity_when_the_raw_counts_hold_it():
    # 3.4 + 3.3 + 3.3 = 10: rounded one by one they would make 9.
    assert round_parts(10.0, [3.4, 3.3, 3.3]) == (10, [4, 3, 3])
    assert round_parts(2.5, [1.25, 1.25, 0.0]) == (2, [1, 1, 0])
    assert round_parts(5.0, [-1e-13, 5.0, 1e-13]) == (5, [0, 5, 0])


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_each_component_counts_every_request_it_handled_to_the_last_tick(model):
    """Every request passes the one web server: what it served and failed adds up to
    what arrived, the last tick (and the exact model's drain after it) included."""
    cfg = make_config(spec("web", "large", id="web-1"), users=100, rps_per_user=1.0, mix=Mix(1.0, 0.0, 0.0, 0.0),
                      duration=10.0, events=[ScenarioEvent(at=4, kind="fail", target="web-1", duration=2)])
    e = Engine(cfg, seed=2, model=model)
    e.run()
    if model == "exact":
        e.plane.drain()
    m = e.metrics
    web = e.topology["web-1"]
    assert m.in_flight == 0
    assert web.total_failed > 50  # the crash
    assert web.total_served + web.total_failed == pytest.approx(m.arrived, abs=1e-6)
    assert m.served + m.failed == pytest.approx(m.arrived, abs=1e-6)


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_retried_attempts_are_conserved_and_counted_once_as_requests(model):
    """Clients retry (3 times, timeout 50 ms) a web server pushed past its capacity for a
    while: each user request is counted once in `arrived` and ends served or failed
    once; the attempts in between are `retried` and come back as `retries`. The web
    server sees every attempt: what it served and failed adds up to first tries plus
    retries (a timed-out request it still served counts as served there: wasted work)."""
    from scaletui.sim.config import ClientPolicy

    cfg = make_config(spec("web", "small", id="web-1"), users=150, rps_per_user=1.0, mix=Mix(1.0, 0.0, 0.0, 0.0),
                      duration=30.0, client=ClientPolicy(timeout=0.05, retries=3),
                      events=[ScenarioEvent(at=5, kind="slow", target="web-1", factor=2.0, duration=10)])
    e = Engine(cfg, seed=3, model=model)
    e.run()
    if model == "exact":
        e.plane.drain(horizon=30.0)
    m = e.metrics
    assert m.retries > 100 and m.wasted > 0
    assert m.arrived == pytest.approx(m.served + m.failed + m.in_flight, abs=1e-6)
    if model == "flow":
        waiting = e.plane.retry_backlog.waiting
        assert m.in_flight == pytest.approx(waiting, abs=1e-6)
        assert m.retried == pytest.approx(m.retries + waiting, abs=1e-6)
    else:
        assert m.in_flight == 0 and m.retried == m.retries
    web = e.topology["web-1"]
    # The exact model's drain stops when every client has its outcome; the web server may
    # still hold requests whose clients gave up.
    held = 0
    if model == "exact":
        station = e.plane.stations[web]
        held = station.busy + len(station.queue)
    assert web.total_served + web.total_failed + held == pytest.approx(m.arrived + m.retries, abs=1e-6)
    t = m.totals()
    assert t.requests == t.served + t.failed + t.in_flight
