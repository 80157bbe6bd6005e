"""Load shedding at the load balancer: `max_in_flight` refuses at once what would exceed it.

One web server (16 workers, 20 ms: 800 requests/s) is offered 1,200/s. Unlimited, its
queue (2 s of work) fills and every answer waits about 2 s. With at most 48 requests in
flight behind the load balancer, the queue behind it holds at most 48 - 16 = 32, so an
answered request waits at most about 32 / 800 s = 40 ms; the excess, a third, fails
fast with the load balancer's reason. Both planes, each on its own.
"""

from __future__ import annotations

import pytest
from tests.sim.simtools import HOME, STATIC, make_config

from scaletui.sim.commands import Configure
from scaletui.sim.config import ComponentSpec
from scaletui.sim.engine import Engine

LIMIT = 48
SHED = f"shed by lb-1 (max in flight {LIMIT})"


def overloaded(model: str, limit: int | None) -> Engine:
    cfg = make_config(ComponentSpec("load_balancer", "small", HOME, "lb-1"),
                      ComponentSpec("web", "large", HOME, "web-1"),
                      users=1200, rps_per_user=1.0, mix=STATIC, duration=8.0)
    e = Engine(cfg, seed=4, model=model)
    if limit is not None:
        assert e.apply(Configure("lb-1", max_in_flight=limit)).ok
    if model == "exact":
        peak = [0]
        plane = e.plane
        e.tick_hooks.append(lambda eng, row: peak.__setitem__(0, max(peak[0], *plane.behind.values(), 0)))
        e.peak = peak  # type: ignore[attr-defined]  # the test's own record
    e.run()
    if model == "exact":
        e.plane.drain()
    return e


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_a_limit_in_flight_turns_slow_answers_into_fast_refusals(model):
    free = overloaded(model, None)
    held = overloaded(model, LIMIT)
    ft, ht = free.metrics.totals(), held.metrics.totals()
    assert ft.latency.p50_ms > 1500  # unlimited: the full queue, ~2 s
    causes = dict(ht.failures_by_cause)
    assert set(causes) == {SHED}
    assert causes[SHED] / ht.requests == pytest.approx(1 / 3, abs=0.03)  # 1,200 offered, 800 answered
    # At most a queue of 32 (40 ms) and the service (p95 60 ms): about 105 ms, not 2 s.
    assert ht.latency.p95_ms < 130
    if model == "exact":
        assert held.peak[0] <= LIMIT  # type: ignore[attr-defined]


def test_max_in_flight_is_refused_on_anything_but_a_load_balancer():
    cfg = make_config(ComponentSpec("web", "large", HOME, "web-1"), duration=10.0)
    e = Engine(cfg)
    res = e.apply(Configure("web-1", max_in_flight=10))
    assert not res.ok and "load balancers" in res.message
