"""Metastable failure through the web tier's own retries toward the database, and the
breaker that ends it (behavioural).

A database that can answer 200 calls/s gets 140 reads/s. A 60 s slowdown makes it too
slow: calls pass the web tier's 200 ms timeout, and with 3 retries each read makes up to
4 calls (1 + p + p^2 + p^3 with p near 1: 560 calls/s, 2.8 times what it answers even at
full speed). So after the slowdown ends it is still swamped: the overload sustains
itself. Without retries it recovers at once; with a breaker switched on after the
trigger, the calls stop, the database drains, the probes succeed and it closes.
"""

from __future__ import annotations

from simtools import HOME, make_config, window
from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Configure
from scaletui.sim.config import ComponentSpec, Mix, Network, ScenarioEvent
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.engine import Engine

TRIGGER_END = 90.0


def run(model: str, retries: int, breaker_at_end: bool) -> dict[str, float]:
    """Error rates while the database is slow (60-90 s) and 60-150 s after."""
    cat = Catalog.default().with_overrides({
        "web": {"timeout_ms": 600_000, "sizes": {"pool": {"workers": 64, "service_ms": 1.0}}},
        "database": {"timeout_ms": 10_000, "sizes": {"pool": {"workers": 4, "service_ms": 20.0}}},
    })
    slow = ScenarioEvent(at=30.0, kind="slow", target="database", duration=60.0, factor=3.0)
    cfg = make_config(ComponentSpec("web", "pool", HOME), ComponentSpec("database", "pool", HOME),
                      users=140.0, rps_per_user=1.0, mix=Mix(0.0, 1.0, 0.0, 0.0), duration=240.0,
                      catalog=cat, network=Network(hop_ms=0.0), events=[slow])
    e = Engine(cfg, seed=5, model=model)
    e.apply(Configure("web", db_timeout=0.2, db_retries=retries))
    e.step(60.0)
    during = window(e, TRIGGER_END)
    figures = {"during": during.failed / during.arrived}  # read now: a window reads the run so far
    if breaker_at_end:
        e.apply(Configure("web", breaker=BreakerRule(0.5, 10.0)))
    e.step(TRIGGER_END + 60.0)
    late = window(e, 240.0)  # one to two and a half minutes after the trigger ended
    figures["late"] = late.failed / late.arrived
    return figures


def test_retries_keep_the_overload_after_the_trigger_and_a_breaker_ends_it():
    # The flow engine only: the exact model runs up to four calls per read here, which
    # takes over 20 s on these machines.
    calm = run("flow", retries=0, breaker_at_end=False)
    storm = run("flow", retries=3, breaker_at_end=False)
    rescued = run("flow", retries=3, breaker_at_end=True)
    assert calm["during"] > 0.3 and storm["during"] > 0.3  # the trigger hurts all three
    assert calm["late"] < 0.01  # without retries the database recovers with its speed
    assert storm["late"] > 0.5  # with them the overload outlives its trigger
    assert rescued["late"] < 0.05  # the breaker sheds the retries; the probes close it
