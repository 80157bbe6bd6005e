"""One timing rule: a change meant for time t takes effect from the first tick at or after t.

That holds for scenario events (even at 0 s), for commands applied between steps, and
for any tick length. A single web server with static traffic shows it: the tick rows
serve everything before the change and nothing from the tick it takes effect at.
"""

from __future__ import annotations

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.commands import Add, Remove, Upgrade
from scaletui.sim.config import ScenarioEvent
from scaletui.sim.engine import Engine


def one_web(tick: float, events=(), duration: float = 62.0):
    # 100 requests/s on a large web server: nothing fails while it is up.
    return make_config(spec("web", "large", id="web-1"), users=100, rps_per_user=1.0, duration=duration,
                       tick=tick, events=events)


def rows(e: Engine) -> dict[float, tuple[float, float]]:
    """(served, failed) per tick start."""
    return {r.t: (r.served_rps, r.failed_rps) for r in e.metrics.recent}


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_a_crash_at_zero_fails_second_zero(model):
    # A one-second run: every request of second 0 fails (the exact model answers them
    # after the tick, so read the totals once it has drained).
    e = Engine(one_web(1.0, [ScenarioEvent(at=0, kind="fail", target="web-1")], duration=1.0), seed=3, model=model)
    e.run()
    if model == "exact":
        e.plane.drain()
    m = e.metrics
    assert m.arrived > 50 and m.served == 0 and m.failed == m.arrived


@pytest.mark.parametrize("tick, last_up, first_down", [(1.0, 59.0, 60.0), (0.25, 59.25, 59.5)])
def test_an_event_off_the_grid_fires_at_the_next_tick(tick, last_up, first_down):
    e = Engine(one_web(tick, [ScenarioEvent(at=59.5, kind="fail", target="web-1")]), seed=3)
    e.run()
    r = rows(e)
    assert r[last_up][0] > 50 and r[last_up][1] == 0
    assert r[first_down][0] == 0 and r[first_down][1] > 50
    assert [ev.t for ev in e.events.events if ev.kind == "fail"] == [first_down]


@pytest.mark.parametrize("tick, last_up, first_down", [(1.0, 59.0, 60.0), (0.25, 59.25, 59.5)])
def test_a_command_at_an_off_grid_time_applies_from_the_next_tick(tick, last_up, first_down):
    e = Engine(one_web(tick), seed=3)
    e.step(59.5)
    assert e.now == first_down
    assert e.apply(Upgrade("web-1", "xlarge")).ok  # a restart: down from the tick it applies at
    e.run()
    r = rows(e)
    assert r[last_up][0] > 50 and r[last_up][1] == 0
    assert r[first_down][0] == 0 and r[first_down][1] > 50


def arrival_times_of_failures(e: Engine) -> list[float]:
    """The arrival time of every request the exact plane fails from now on."""
    failed_at: list[float] = []
    fail = e.plane.fail

    def spy(req, reason):
        failed_at.append(req.t0)
        fail(req, reason)

    e.plane.fail = spy
    return failed_at


def test_the_exact_model_sees_a_command_only_from_its_tick():
    """Between steps the exact model's requests of the tick before have all arrived, so
    removing the web server at 60 s fails only those of them still in service then:
    Little's law, 100 requests/s x 20 ms (catalog: web service_ms) = 2 on average. Had
    the step stopped half a tick early, the 50 or so arriving in [59.5, 60) would fail."""
    e = Engine(one_web(1.0, duration=61.0), seed=3, model="exact")
    e.step(60)
    failed_at = arrival_times_of_failures(e)
    assert e.apply(Remove("web-1")).ok
    e.run()
    e.plane.drain()
    early = [t for t in failed_at if t < 60.0]
    assert len(failed_at) > 50 and len(early) <= 10


def test_the_exact_model_routes_by_the_tick_a_request_arrives_in():
    """web-1 crashes at 30 s; the load balancer notices 5 s later (README: health check
    5 s). Until then half the requests still go to it and fail: in the exact model those
    arriving anywhere in [30, 35), second 34 included, and none after, as in the flow plane."""
    cfg = make_config(spec("load_balancer", "small"), spec("web", "large", id="web-1"),
                      spec("web", "large", id="web-2"), spec("session_store"), users=100, rps_per_user=1.0,
                      duration=40.0, events=[ScenarioEvent(at=30, kind="fail", target="web-1")])
    e = Engine(cfg, seed=3, model="exact")
    failed_at = arrival_times_of_failures(e)
    e.run()
    e.plane.drain()
    # (the few before 30 s were in service on web-1 when it crashed)
    assert min(failed_at) >= 29.5 and max(failed_at) < 35.0
    assert sum(1 for t in failed_at if t >= 34.0) > 20  # about half of 100 requests/s
