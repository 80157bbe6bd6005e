"""Invariants that hold at every tick of any run (DESIGN.md section 3).

Random topologies (one or two regions), random scenario timelines (crashes,
slow-downs, hot keys, region outages, surges) and random player commands applied
between ticks. After every tick:

- requests are conserved: arrived == served + failed + in flight;
- no figure is negative (totals, per-component figures, queue depth, lag, cost);
- utilizations and rates that are fractions stay in [0, 1];
- async jobs are conserved: enqueued == done + waiting in the queues.

The last two tests force the failure paths (logged-out sessions, failover, region
outage, autoscaling) and check that every one of them was gone through.
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Add, AutoscaleRule, Configure, Promote, Remove, Upgrade
from scaletui.sim.components import Database, MessageQueue
from scaletui.sim.config import ClientPolicy, ComponentSpec, Mix, ScenarioEvent, TrafficChange
from scaletui.sim.engine import Engine

CATALOG = Catalog.default()
REGIONS = ("us-east", "eu-west")
KINDS = ("load_balancer", "web", "session_store", "cache", "cdn", "database", "replica", "shard", "queue",
         "worker")
IDS = ("web-1", "web-2", "web-3", "lb-1", "lb-2", "cache-1", "cache-2", "database-1", "replica-1", "replica-2",
       "shard-1", "shard-2", "queue-1", "worker-1", "worker-2", "cdn-1", "sessions-1", "dc-us-east", "dc-eu-west")
EPS = 1e-9


def sizes(kind: str):
    return st.sampled_from(CATALOG[kind].size_names)


@st.composite
def topologies(draw, regions: tuple[str, ...]):
    out: list[ComponentSpec] = []

    def some(kind: str, region: str, lo: int, hi: int) -> None:
        for _ in range(draw(st.integers(lo, hi))):
            out.append(ComponentSpec(kind, draw(sizes(kind)), region))

    for i, region in enumerate(regions):
        some("load_balancer", region, 0, 2)
        some("web", region, 1 if i == 0 else 0, 3)
        some("session_store", region, 0, 1)
        some("cache", region, 0, 2)
        some("queue", region, 0, 1)
        some("worker", region, 0, 2)
    db_region = draw(st.sampled_from(regions))
    if draw(st.booleans()):
        out.append(ComponentSpec("database", draw(sizes("database")), db_region))
        for _ in range(draw(st.integers(0, 2))):
            out.append(ComponentSpec("replica", draw(sizes("replica")), draw(st.sampled_from(regions))))
        for _ in range(draw(st.integers(0, 2))):
            out.append(ComponentSpec("shard", draw(sizes("shard")), db_region))
    if draw(st.booleans()):
        out.append(ComponentSpec("cdn", "standard", regions[0]))
    return tuple(out)




def amount(lo: float, hi: float):
    """0, or a value in [lo, hi]. Subnormal rates (1e-320 requests/s) are not traffic;
    test_edge_cases.py covers them on their own, so the runs here stay meaningful."""
    return st.one_of(st.just(0.0), st.floats(lo, hi))


mixes = st.builds(Mix, amount(0.001, 1.0), amount(0.001, 1.0), amount(0.001, 1.0), amount(0.001, 1.0),
                  amount(0.001, 1.0))


@st.composite
def scenario_events(draw, duration: float, regions: tuple[str, ...], max_users: float, max_rps: float):
    kind = draw(st.sampled_from(("fail", "slow", "hot_key", "outage", "traffic", "say", "errors")))
    at = draw(st.floats(0, duration))
    length = draw(st.one_of(st.none(), st.floats(1, duration)))
    target = None
    traffic = None
    if kind in ("fail", "slow", "errors"):
        target = draw(st.one_of(st.sampled_from(KINDS), st.sampled_from(IDS)))
    elif kind == "outage":
        target = draw(st.sampled_from(regions))
    elif kind == "traffic":
        traffic = TrafficChange(
            users=draw(st.one_of(st.none(), amount(0.01, max_users))),
            users_factor=draw(st.one_of(st.none(), st.floats(0.1, 5))),
            rps_per_user=draw(st.one_of(st.none(), st.floats(0.01, max_rps))),
            mix=draw(st.one_of(st.none(), mixes)),
        )
    return ScenarioEvent(
        at=at,
        kind=kind,
        target=target,
        duration=length,
        over=draw(st.sampled_from((0.0, 5.0, 30.0))),
        factor=draw(st.floats(1, 20)),
        share=draw(amount(0.001, 0.9)),
        traffic=traffic,
        say="something happens" if kind == "say" or draw(st.booleans()) else None,
    )


@st.composite
def commands(draw, regions: tuple[str, ...]):
    what = draw(st.sampled_from(("add", "remove", "upgrade", "promote", "configure")))
    if what == "add":
        kind = draw(st.sampled_from(KINDS + ("datacenter",)))
        size = draw(st.one_of(st.none(), sizes(kind)))
        return Add(kind, size, draw(st.integers(1, 2)), draw(st.one_of(st.none(), st.sampled_from(regions))))
    if what == "remove":
        return Remove(draw(st.sampled_from(IDS)))
    if what == "upgrade":
        target = draw(st.sampled_from(IDS))
        return Upgrade(target, draw(st.sampled_from(("small", "medium", "large", "xlarge", "standard"))))
    if what == "promote":
        return Promote(draw(st.sampled_from(("replica-1", "replica-2", "replica-3", "shard-1"))))
    target = draw(st.sampled_from(IDS + ("web", "cache", "cdn", "database")))
    setting = draw(st.sampled_from(("ttl", "failover", "autoscale", "autoscale_off", "shards", "invalidate",
                                    "max_in_flight", "denormalize")))
    if setting == "ttl":
        return Configure(target, ttl=draw(st.sampled_from((0.5, 5.0, 60.0, math.inf))))
    if setting == "failover":
        return Configure(target, failover=draw(st.sampled_from(("auto", "manual"))))
    if setting == "autoscale":
        lo = draw(st.integers(1, 3))
        return Configure("web", autoscale=AutoscaleRule(min=lo, max=lo + draw(st.integers(0, 4)),
                                                        target=draw(st.floats(0.3, 0.9)),
                                                        warmup=draw(st.sampled_from((15.0, 60.0)))))
    if setting == "autoscale_off":
        return Configure("web", autoscale_off=True)
    if setting == "shards":
        return Configure(target, shards=draw(st.integers(1, 6)))
    if setting == "max_in_flight":
        return Configure(draw(st.sampled_from(("lb-1", "lb-2", "load_balancer", target))),
                         max_in_flight=draw(st.sampled_from((0, 1, 20, 500))))
    if setting == "denormalize":
        return Configure(target, denormalize=draw(st.booleans()))
    return Configure(target, invalidate=True)


@st.composite
def runs(draw, max_users: float, max_duration: int, max_rps: float = 1.0):
    n_regions = draw(st.integers(1, 2))
    regions = REGIONS[:n_regions]
    user_regions = regions if draw(st.booleans()) else REGIONS
    tick = draw(st.sampled_from((1.0, 1.0, 0.5, 2.0)))
    duration = tick * draw(st.integers(int(30 / tick), int(max_duration / tick)))  # whole ticks
    shares = tuple((r, draw(st.floats(0.1, 1.0))) for r in user_regions)
    cfg = make_config(
        *draw(topologies(regions)),
        users=draw(st.floats(1.0, max_users)),
        rps_per_user=draw(st.floats(0.01, max_rps)),
        mix=draw(mixes),
        duration=duration,
        events=draw(st.lists(scenario_events(duration, regions, max_users, max_rps), min_size=1, max_size=6)),
        key_count=draw(st.sampled_from((1_000, 100_000))),
        zipf=draw(st.sampled_from((0.7, 1.0))),
        regions=shares,
        session_minutes=draw(st.sampled_from((1.0, 10.0))),
        tick=tick,
        client=ClientPolicy(timeout=draw(st.sampled_from((0.05, 0.5, 10.0))), retries=draw(st.integers(0, 3)),
                            backoff=draw(st.sampled_from(("none", "exponential"))), jitter=draw(st.booleans())),
    )
    plan = draw(st.lists(st.tuples(st.floats(0, duration), commands(regions)), min_size=1, max_size=8))
    return cfg, sorted(plan, key=lambda p: p[0]), draw(st.integers(0, 2**31 - 1))


def check_invariants(e: Engine, removed_depth: float) -> None:
    m = e.metrics
    tag = f"t={e.now}"
    assert m.arrived >= 0 and m.served >= -EPS and m.failed >= -EPS and m.in_flight >= -EPS, tag
    if e.model == "flow":
        # Between ticks, only requests waiting to be retried are in flight.
        assert m.in_flight == pytest.approx(e.plane.retry_backlog.waiting, abs=1e-6 * max(1.0, m.arrived)), tag
        # Attempts are conserved too: every retried failure came back or is still waiting.
        assert m.retried == pytest.approx(m.retries + e.plane.retry_backlog.waiting, abs=1e-6 * max(1.0, m.arrived))
    assert m.retries >= 0 and m.wasted >= 0, tag
    balance = m.arrived - (m.served + m.failed + m.in_flight)
    assert abs(balance) <= 1e-6 * max(1.0, m.arrived), (tag, m.arrived, m.served, m.failed, m.in_flight)

    t = m.totals()
    assert t.requests == t.served + t.failed + t.in_flight, tag
    for name in ("requests", "served", "failed", "in_flight", "lost_writes", "sessions_lost", "jobs_enqueued",
                 "jobs_done"):
        assert getattr(t, name) >= 0, (tag, name)
    assert t.cost >= 0 and 0 <= t.availability <= 100, tag
    lat = t.latency
    assert 0 <= lat.mean_ms and 0 <= lat.p50_ms <= lat.p95_ms <= lat.p99_ms, (tag, lat)
    assert all(n > 0 for _, n in t.failures_by_cause), tag
    assert sum(n for _, n in t.failures_by_cause) <= t.failed + len(t.failures_by_cause), tag

    row = m.recent[-1]
    for name in ("users", "offered_rps", "served_rps", "failed_rps", "p95_ms", "cost_per_hour", "db_utilization",
                 "lag_s", "queue_depth"):
        v = getattr(row, name)
        assert v >= -EPS and not math.isnan(v), (tag, name, v)
    assert 0 <= row.error_rate <= 1, tag
    assert row.db_utilization <= 1 + EPS, tag
    assert row.hit_rate is None or -EPS <= row.hit_rate <= 1 + EPS, (tag, row.hit_rate)

    assert e.cost_per_hour() >= 0 and e.queue_depth() >= -EPS and e.max_lag() >= 0, tag
    for c in e.topology:
        ctag = (tag, c.id)
        assert -EPS <= c.utilization <= 1 + EPS, (ctag, c.utilization)
        assert c.peak_utilization <= 1 + EPS, ctag
        for name in ("queue_length", "offered", "tick_served", "tick_failed", "total_served", "total_failed",
                     "busy_seconds", "alive_seconds"):
            v = getattr(c, name)
            assert v >= -EPS and not math.isnan(v), (ctag, name, v)
        assert c.busy_seconds <= c.alive_seconds + EPS, ctag
        s = c.state
        assert 0 <= s.blocking <= 1 and 0 <= s.utilization <= 1 + EPS and s.mean_queue >= 0, ctag
        if isinstance(c, Database):
            assert c.lag >= 0 and c.apply_backlog >= -EPS and c.tick_writes >= -EPS, (ctag, c.lag, c.apply_backlog)
        if isinstance(c, MessageQueue):
            assert c.depth >= -EPS, (ctag, c.depth)
        if hasattr(c, "hit_rate"):
            assert -EPS <= c.hit_rate <= 1 + EPS, (ctag, c.hit_rate)
            assert c.hits <= c.lookups + EPS, ctag

    # Async jobs: what was accepted is done or still waiting (removed queues held < 1 each).
    waiting = e.queue_depth()
    if e.model == "exact":
        waiting = e.plane.jobs_held()
    jobs_gap = m.jobs_enqueued - m.jobs_done - waiting
    assert -1e-6 * max(1.0, m.jobs_enqueued) <= jobs_gap <= removed_depth + 1e-6 * max(1.0, m.jobs_enqueued), (
        tag, m.jobs_enqueued, m.jobs_done, waiting)

    view = e.snapshot()
    for cv in view.components:
        assert 0 <= cv.utilization <= 1 + EPS and cv.queue >= -EPS, (tag, cv)
        assert cv.served_rps >= -EPS and cv.failed_rps >= -EPS and cv.offered_rps >= -EPS, (tag, cv)
        assert cv.latency_ms >= 0 and cv.cost_per_hour >= 0, (tag, cv)
        assert cv.lag_s is None or cv.lag_s >= 0, (tag, cv)
        assert cv.depth is None or cv.depth >= -EPS, (tag, cv)
        assert cv.hit_rate is None or -EPS <= cv.hit_rate <= 1 + EPS, (tag, cv)


def play(cfg, plan, seed: int, model: str) -> Engine:
    return play_engine(Engine(cfg, seed=seed, model=model), cfg, plan)


def play_engine(e: Engine, cfg, plan) -> Engine:
    """Apply the plan's commands at their times, checking the invariants after every tick."""
    removed_depth = 0.0
    i = 0
    for _ in range(int(round(cfg.duration / cfg.tick))):
        while i < len(plan) and plan[i][0] <= e.now:
            cmd = plan[i][1]
            queue = e.topology.get(cmd.target) if isinstance(cmd, Remove) else None
            depth = queue.depth if isinstance(queue, MessageQueue) else 0.0
            res = e.apply(cmd)
            assert isinstance(res.message, str) and res.message
            if res.ok:
                removed_depth += depth
            i += 1
        before = e.now
        e.step(e.now + e.dt)
        assert e.now == before + e.dt
        check_invariants(e, removed_depth)
    assert e.finished
    return e


# derandomize: the same examples on every run (fixed seeds); a failure prints its example.
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=25, **SETTINGS)
@given(runs(max_users=200_000, max_duration=240))
def test_flow_invariants_hold_at_every_tick(case):
    cfg, plan, seed = case
    play(cfg, plan, seed, "flow")


@settings(max_examples=12, **SETTINGS)
@given(runs(max_users=300, max_duration=90, max_rps=0.3))
def test_exact_invariants_hold_at_every_tick(case):
    cfg, plan, seed = case
    e = play(cfg, plan, seed, "exact")
    e.plane.drain()
    m = e.metrics
    assert abs(m.arrived - (m.served + m.failed + m.in_flight)) <= 1e-6 * max(1.0, m.arrived)


# --- failure paths, forced ---------------------------------------------------------------
# The strategies above rarely line up a failure path; these force each of them early in
# the run (random commands come only in its second half, so they cannot undo it):
# a stateful web tier losing a server (logged-out sessions), a primary crash with
# automatic failover to a replica, a region outage, and a surge under an autoscaling
# rule. Requests must stay conserved on the raw counters at every tick.


@st.composite
def failure_runs(draw, max_users: float, max_duration: int, max_rps: float):
    two = draw(st.booleans())
    regions = REGIONS if two else REGIONS[:1]
    home, far = regions[0], regions[-1]
    tick = draw(st.sampled_from((1.0, 0.5)))
    duration = tick * draw(st.integers(int(90 / tick), int(max_duration / tick)))
    early = st.floats(0, duration / 3)
    # No session store at home: a stateful tier of two web servers behind a balancer.
    topo = [ComponentSpec("load_balancer", draw(sizes("load_balancer")), home),
            ComponentSpec("web", draw(sizes("web")), home), ComponentSpec("web", draw(sizes("web")), home),
            ComponentSpec("database", draw(sizes("database")), home),
            ComponentSpec("replica", draw(sizes("replica")), draw(st.sampled_from(regions)))]
    if two:
        topo += [ComponentSpec("web", draw(sizes("web")), far)]
        if draw(st.booleans()):
            topo.append(ComponentSpec("session_store", draw(sizes("session_store")), far))
    if draw(st.booleans()):
        topo.append(ComponentSpec("cache", draw(sizes("cache")), home))
    events = [
        ScenarioEvent(at=draw(early), kind="fail", target=draw(st.sampled_from(("web-1", "web-2"))),
                      duration=draw(st.one_of(st.none(), st.floats(1, 30)))),
        ScenarioEvent(at=draw(early), kind="fail", target="database-1"),
        ScenarioEvent(at=draw(early), kind="outage", target=far, duration=draw(st.floats(5, duration / 3))),
        ScenarioEvent(at=draw(early), kind="traffic", traffic=TrafficChange(users_factor=draw(st.floats(2, 6))),
                      over=draw(st.sampled_from((0.0, 10.0)))),
    ]
    events += draw(st.lists(scenario_events(duration, regions, max_users, max_rps), max_size=3))
    mix = Mix(draw(st.floats(0, 0.5)), draw(st.floats(0.2, 1)), draw(st.floats(0.05, 0.3)), draw(st.floats(0, 0.2)))
    cfg = make_config(
        *topo,
        users=draw(st.floats(50, max_users)),
        rps_per_user=draw(st.floats(0.05, max_rps)),
        mix=mix,
        duration=duration,
        events=events,
        key_count=1_000,
        regions=tuple((r, draw(st.floats(0.2, 1.0))) for r in regions),
        session_minutes=draw(st.sampled_from((1.0, 10.0))),
        tick=tick,
    )
    rule = AutoscaleRule(min=1, max=draw(st.integers(2, 5)), target=draw(st.floats(0.3, 0.7)), warmup=15.0)
    plan = [(0.0, Configure("database-1", failover="auto")), (0.0, Configure("web", autoscale=rule))]
    later = st.tuples(st.floats(duration / 2, duration), commands(regions))
    plan += sorted(draw(st.lists(later, max_size=4)), key=lambda p: p[0])
    return cfg, plan, draw(st.integers(0, 2**31 - 1))


def exercised(e: Engine) -> set[str]:
    """Which failure paths a run went through."""
    kinds = {ev.kind for ev in e.events.events}
    out = set()
    if any(k.startswith("session lost") for k in e.metrics.failures) and e.metrics.sessions_lost > 0:
        out.add("logged out")
    if "promote" in kinds:
        out.add("failover")
    if "outage" in kinds:
        out.add("outage")
    if "autoscale" in kinds:
        out.add("autoscaling")
    return out


def play_forced(cfg, plan, seed: int, model: str) -> Engine:
    e = Engine(cfg, seed=seed, model=model)
    if model == "flow":
        # Flow: nothing is in flight between ticks, so each tick's own figures balance too.
        def tick_balance(eng: Engine, row) -> None:
            assert row.offered_rps == pytest.approx(row.served_rps + row.failed_rps, rel=1e-9, abs=1e-9), row.t

        e.tick_hooks.append(tick_balance)
    return play_engine(e, cfg, plan)


FAILURE_PATHS = {"logged out", "failover", "outage", "autoscaling"}


def test_flow_conserves_requests_on_every_failure_path():
    seen: set[str] = set()

    @settings(max_examples=14, **SETTINGS)
    @given(failure_runs(max_users=50_000, max_duration=150, max_rps=1.0))
    def check(case):
        cfg, plan, seed = case
        seen.update(exercised(play_forced(cfg, plan, seed, "flow")))

    check()
    assert seen == FAILURE_PATHS


def test_exact_conserves_requests_on_every_failure_path():
    seen: set[str] = set()

    @settings(max_examples=8, **SETTINGS)
    @given(failure_runs(max_users=300, max_duration=120, max_rps=0.3))
    def check(case):
        cfg, plan, seed = case
        e = play_forced(cfg, plan, seed, "exact")
        e.plane.drain()
        m = e.metrics
        assert abs(m.arrived - (m.served + m.failed + m.in_flight)) <= 1e-6 * max(1.0, m.arrived)
        seen.update(exercised(e))

    check()
    assert seen == FAILURE_PATHS
