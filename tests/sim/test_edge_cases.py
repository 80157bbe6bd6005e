"""Corners of the engine's inputs: odd durations, degenerate traffic, overlapping events."""

from __future__ import annotations

import pytest
from tests.sim.simtools import make_config, run, spec

from scaletui.sim.commands import Add
from scaletui.sim.config import Mix, ScenarioEvent, TrafficChange
from scaletui.sim.engine import Engine


def test_empty_topology_fails_every_request_with_a_reason():
    e = run(make_config(users=100, duration=10))
    t = e.metrics.totals()
    assert t.requests > 0 and t.failed == t.requests
    assert t.failures_by_cause == (("there is no web server in us-east", t.failed),)


def test_no_users_no_requests_but_the_bill_runs():
    e = run(make_config(spec("web", "small"), users=0, duration=3600))
    t = e.metrics.totals()
    assert t.requests == 0 and t.failed == 0 and t.availability == 100.0
    assert t.cost == pytest.approx(e.cost_per_hour())  # one hour of the web server and its data centre


def test_reads_without_a_database_fail_with_a_reason():
    e = run(make_config(spec("web", "small"), users=100, mix=Mix(0, 1, 0, 0), duration=10))
    t = e.metrics.totals()
    assert t.failed == t.requests
    assert all("database" in cause for cause, _ in t.failures_by_cause)


def test_commands_after_the_end_are_refused():
    e = run(make_config(spec("web", "small"), users=10, duration=10))
    assert e.finished
    res = e.apply(Add("web"))
    assert not res.ok and res.message


def test_scenario_event_on_a_missing_target_is_logged_not_fatal():
    ev = (ScenarioEvent(at=2, kind="fail", target="nothing-here"), ScenarioEvent(at=3, kind="slow", target="cache"),
          ScenarioEvent(at=4, kind="outage", target="mars"))
    e = run(make_config(spec("web", "small"), users=100, duration=10, events=ev))
    assert e.metrics.totals().failed == 0
    assert len([x for x in e.events.events if x.kind in ("fail", "slow", "outage")]) == 3


@pytest.mark.parametrize("duration,tick", [(31.0, 2.0), (61.0, 2.0), (60.0, 0.7)])
def test_duration_not_a_multiple_of_the_tick_still_finishes(duration, tick):
    """Regression: the last partial tick used to be skipped and `finished` stayed False
    (a scenario with `tick: 2` and `duration: 61s` never ended)."""
    e = Engine(make_config(spec("web", "small"), users=100, duration=duration, tick=tick))
    e.run()
    assert e.finished
    # The whole duration was simulated: about users * rps_per_user * duration requests.
    assert e.metrics.arrived == pytest.approx(100 * 0.1 * duration, rel=0.25)


@pytest.mark.parametrize(
    "users,mix,kinds",
    [
        (5e-324, Mix(1, 0, 0, 0), ("web",)),  # flow.py FlowPlane._evaluate: work / rate underflows to 0
        (1.0, Mix(0, 5e-324, 0, 1), ("web", "cache", "database")),  # hit_rate.py warm_time: rate * p == 0
    ],
)
def test_vanishing_traffic_does_not_crash(users, mix, kinds):
    """Regression: a positive but subnormal request rate divided by zero."""
    e = run(make_config(*(spec(k, "small") for k in kinds), users=users, rps_per_user=1.0, mix=mix, duration=5))
    assert e.metrics.totals().failed == 0


def test_traffic_event_returns_to_the_level_before_it():
    ev = (ScenarioEvent(at=100, kind="traffic", traffic=TrafficChange(users_factor=2, rps_per_user=0.3),
                        duration=100),)
    e = Engine(make_config(spec("web", "xlarge"), users=1000, duration=300, events=ev))
    e.step(150)
    assert e.traffic.users(e.now) == 2000 and e.traffic.rps_per_user == 0.3
    e.step(250)
    assert e.traffic.users(e.now) == 1000 and e.traffic.rps_per_user == 0.1


def test_overlapping_traffic_events_return_to_the_baseline():
    """Regression: each surge restored the level it saw when it began, so after two
    overlapping surges traffic stayed at the first one's level for good."""
    ev = (
        ScenarioEvent(at=100, kind="traffic", traffic=TrafficChange(users_factor=2, rps_per_user=0.5), duration=100),
        ScenarioEvent(at=150, kind="traffic", traffic=TrafficChange(users_factor=3, rps_per_user=0.2), duration=100),
    )
    e = Engine(make_config(spec("web", "xlarge"), users=1000, rps_per_user=0.1, duration=400, events=ev))
    e.step(120)
    assert e.traffic.users(e.now) == 2000
    e.step(170)
    assert e.traffic.users(e.now) == 6000
    e.step(350)  # both surges are over
    assert e.traffic.users(e.now) == 1000
    assert e.traffic.rps_per_user == 0.1
