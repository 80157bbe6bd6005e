"""Every concept of the scaling playbook is a mechanic (DESIGN.md section 1).

One behavioural test (or a few) per row of the table: the player's action has the
effect the design promises, seen through the engine's public figures (totals,
per-component counters, snapshots, the event log).
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import make_config, run, spec, window

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Add, AutoscaleRule, Configure, Promote, Remove, Upgrade
from scaletui.sim.config import Mix, Network, ScenarioEvent, SimConfig, TrafficChange
from scaletui.sim.engine import Engine

DYNAMIC_MIX = Mix(0.2, 0.6, 0.2, 0.0)


def fail(at: float, target: str, duration: float | None = None) -> ScenarioEvent:
    return ScenarioEvent(at=at, kind="fail", target=target, duration=duration)


def surge(at: float, factor: float, over: float = 10.0, duration: float | None = None) -> ScenarioEvent:
    return ScenarioEvent(at=at, kind="traffic", traffic=TrafficChange(users_factor=factor), over=over,
                         duration=duration)


def messages(e: Engine, kind: str | None = None) -> list[str]:
    return [ev.message for ev in e.events.events if kind is None or ev.kind == kind]


# --- vertical scaling ----------------------------------------------------------------


def test_vertical_scaling_adds_capacity_and_cost():
    # One small web server (4 workers x 20 ms = 200 requests/s) offered 300 requests/s.
    cfg = make_config(spec("web", "small"), users=3000, rps_per_user=0.1, duration=300)
    stay, grow = Engine(cfg, seed=1), Engine(cfg, seed=1)
    stay.step(60)
    grow.step(60)
    cost_before = grow.snapshot().cost_per_hour
    assert cost_before == grow.cost_per_hour()
    res = grow.apply(Upgrade("web-1", "large"))
    assert res.ok
    assert grow.cost_per_hour() == pytest.approx(cost_before + 3.0)  # small 1/h -> large 4/h
    view = grow.snapshot().component("web-1")
    assert view.cost_per_hour == 4.0
    assert view.size == "large" and view.workers == 16 and view.capacity_rps == pytest.approx(800.0)

    # While it restarts the only web server is down: a single point of failure.
    restart = Catalog.default()["web"].restart_s
    assert view.health == "booting" and view.ready_at == 60 + restart
    w = window(grow, 60 + restart)
    assert grow.snapshot().cost_per_hour == pytest.approx(cost_before + 3.0)  # billed while restarting
    assert w.failed == pytest.approx(w.arrived)
    assert w.failures("restarting") == pytest.approx(w.arrived)

    stay.step(120)
    grow.step(120)
    small, large = window(stay, 300), window(grow, 300)
    assert small.failed / small.arrived == pytest.approx(1 / 3, abs=0.02)  # sheds what 200/s cannot take
    assert large.failed == 0
    assert small.utilization("web-1") > 0.99
    assert large.utilization("web-1") == pytest.approx(300 / 800, abs=0.02)
    assert grow.metrics.cost > stay.metrics.cost


def test_vertical_scaling_has_a_ceiling():
    e = Engine(make_config(spec("web", "small"), users=100, duration=600))
    largest = Catalog.default()["web"].largest.name
    assert largest == "xlarge"
    assert e.apply(Upgrade("web-1", largest)).ok
    e.step(100)
    assert e.topology["web-1"].size == largest
    for bigger in ("xxlarge", "huge"):
        res = e.apply(Upgrade("web-1", bigger))
        assert not res.ok
        assert f"the largest is {largest}" in res.message
    assert not e.apply(Upgrade("web-1", largest)).ok  # already there
    assert e.topology["web-1"].size == largest and not e.topology["web-1"].booting(e.now)


@pytest.mark.parametrize(
    "kind,needs",
    [
        ("load_balancer", ("static", "read", "write", "async")),
        ("session_store", ("read", "write", "async")),
        ("queue", ("async",)),
    ],
)
def test_upgrading_the_only_node_of_a_tier_takes_it_down(kind, needs):
    """An upgrade restarts the node (catalog: restart_s is "downtime of an upgrade"): like
    the web server and the database, a single load balancer, session store or queue is a
    single point of failure while it restarts, as it is when it crashes.

    Regression: routing skipped the restarting node (traffic went straight to web-1, the
    web tier turned stateful, async work ran inline)."""
    mix = Mix(0.25, 0.25, 0.25, 0.25)
    topo = [spec("load_balancer", "small"), spec("web", "xlarge"), spec("web", "xlarge"),
            spec("session_store", "small"), spec("database", "large"), spec("queue", "small"),
            spec("worker", "large")]
    cfg = make_config(*topo, users=2000, rps_per_user=0.1, mix=mix, duration=200)
    node = {"load_balancer": "lb-1", "session_store": "sessions-1", "queue": "queue-1"}[kind]
    e = Engine(cfg)
    assert window(e, 60).failed == 0
    assert e.apply(Upgrade(node, "medium")).ok
    restart = Catalog.default()[kind].restart_s
    w = window(e, 60 + restart)
    share = sum(getattr(mix, "async_" if c == "async" else c) for c in needs)
    assert w.failed == pytest.approx(share * w.arrived, rel=0.05)


def test_single_server_crash_fails_everything():
    cfg = make_config(spec("web", "xlarge"), users=1000, duration=120, events=[fail(60, "web-1", 30)])
    e = Engine(cfg)
    assert window(e, 60).failed == 0
    w = window(e, 90)
    assert w.failed == pytest.approx(w.arrived)
    assert window(e, 120).failed == 0


# --- horizontal scaling + load balancer ----------------------------------------------


def three_behind_lb(users: float, events=(), duration: float = 300.0, **kw):
    return make_config(spec("load_balancer", "small"), spec("web", "small"), spec("web", "small"),
                       spec("web", "small"), users=users, rps_per_user=0.1, duration=duration,
                       events=events, **kw)


def test_load_balancer_spreads_load_evenly():
    e = Engine(three_behind_lb(4500))  # 450 requests/s over 3 x 200/s
    w = window(e, 120)
    utils = [w.utilization(c) for c in ("web-1", "web-2", "web-3")]
    assert max(utils) - min(utils) < 0.03
    assert utils[0] == pytest.approx(0.75, abs=0.03)
    assert w.failed == 0
    lb = e.snapshot().component("lb-1")
    assert lb.cost_per_hour > 0 and lb.capacity_rps > 0
    assert w.comp_served("lb-1") == pytest.approx(w.arrived)


def test_crash_behind_lb_removes_only_its_share():
    e = Engine(three_behind_lb(3000, events=[fail(100, "web-2")]))  # 300/s: 50% each
    assert window(e, 100).failed == 0
    # Until the health check notices, web-2 keeps getting (and failing) its third.
    w = window(e, 100 + 5)  # the documented 5 s health check
    assert w.failed == pytest.approx(w.arrived / 3, rel=0.1)
    assert w.failures("web-2 is down") == pytest.approx(w.failed)
    # Then the other two carry everything, without failures.
    e.step(110)
    w = window(e, 300)
    assert w.failed == 0
    assert w.comp_served("web-2") == 0
    assert w.utilization("web-1") == pytest.approx(0.75, abs=0.03)
    assert w.utilization("web-3") == pytest.approx(0.75, abs=0.03)


def test_load_balancer_has_capacity_and_saturates():
    # Web servers made fast (1 ms) so that the small LB (16 x 0.5 ms = 32,000/s) is the limit.
    cat = Catalog.default().with_overrides({"web": {"sizes": {"xlarge": {"service_ms": 1}}}})
    topo = (spec("load_balancer", "small"), spec("web", "xlarge"), spec("web", "xlarge"))
    ok = run(make_config(*topo, users=200_000, duration=30, catalog=cat))
    assert ok.metrics.totals().failed == 0
    hot = run(make_config(*topo, users=400_000, duration=30, catalog=cat))  # 40,000/s
    t = hot.metrics.totals()
    assert t.failed / t.requests == pytest.approx(1 - 32_000 / 40_000, abs=0.02)
    assert dict(t.failures_by_cause) == {"lb-1 was overloaded and shed it (queue full)": t.failed}
    assert hot.topology["lb-1"].peak_utilization > 0.99
    assert any("lb-1 is saturated" in m for m in messages(hot, "saturated"))
    # A larger LB has more capacity and costs more.
    big = run(make_config(spec("load_balancer", "large"), spec("web", "xlarge"), spec("web", "xlarge"),
                          users=400_000, duration=30, catalog=cat))
    assert big.metrics.totals().failed == 0
    assert big.metrics.cost > hot.metrics.cost


def test_without_load_balancer_only_the_first_web_server_works():
    e = run(make_config(spec("web", "small"), spec("web", "small"), users=1000, duration=60))
    assert e.topology["web-1"].total_served == pytest.approx(e.metrics.arrived)
    assert e.topology["web-2"].total_served == 0
    assert e.topology["web-2"].busy_seconds == 0


# --- stateless web tier ------------------------------------------------------------


def stateful_config(store: bool, events=()):
    topo = [spec("load_balancer", "small"), spec("web", "small"), spec("database", "medium")]
    if store:
        topo.append(spec("session_store", "small"))
    return make_config(*topo, users=2000, rps_per_user=0.1, mix=DYNAMIC_MIX, duration=600, events=events,
                       session_minutes=10.0)


@pytest.mark.parametrize("store", [False, True])
def test_new_web_server_share_with_and_without_session_store(store):
    e = Engine(stateful_config(store))
    e.step(30)
    assert e.apply(Add("web", "small")).ok
    e.step(95)  # web-2 booted at 90
    assert e.topology["web-2"].health(e.now) == "up"
    w = window(e, 270)  # three minutes
    share = w.comp_served("web-2") / (w.comp_served("web-1") + w.comp_served("web-2"))
    if store:
        assert share == pytest.approx(0.5, abs=0.01)
    else:
        # Sticky sessions: only new sessions land on web-2 (sessions last 10 minutes).
        assert share < 0.15
        assert e.topology["web-2"].share < 0.25
        assert w.utilization("web-1") > 2 * w.utilization("web-2")


@pytest.mark.parametrize("store", [False, True])
def test_web_server_crash_logs_users_out_without_session_store(store):
    topo = [spec("load_balancer", "small"), spec("web", "medium"), spec("web", "medium"), spec("database", "medium")]
    if store:
        topo.append(spec("session_store", "small"))
    cfg = make_config(*topo, users=2000, rps_per_user=0.1, mix=DYNAMIC_MIX, duration=300, session_minutes=10.0,
                      events=[fail(100, "web-1")])
    e = run(cfg)
    t = e.metrics.totals()
    causes = dict(t.failures_by_cause)
    session_failures = sum(n for cause, n in causes.items() if cause.startswith("session lost"))
    if store:
        assert t.sessions_lost == 0
        assert session_failures == 0
        # Only the requests sent to web-1 before the health check noticed failed.
        assert t.failed == pytest.approx(sum(n for cause, n in causes.items() if "web-1" in cause), abs=1)
    else:
        # web-1 held half of the 2000 users' sessions: they are logged out, and each
        # fails their next dynamic request.
        assert t.sessions_lost == pytest.approx(1000, rel=0.1)
        assert session_failures == pytest.approx(t.sessions_lost, rel=0.1)


@pytest.mark.parametrize("store", [False, True])
def test_removing_a_web_server_logs_its_users_out_without_session_store(store):
    topo = [spec("load_balancer", "small"), spec("web", "medium"), spec("web", "medium"), spec("database", "medium")]
    if store:
        topo.append(spec("session_store", "small"))
    e = Engine(make_config(*topo, users=2000, mix=DYNAMIC_MIX, duration=200))
    e.step(100)
    assert e.apply(Remove("web-2")).ok
    assert "web-2" not in e.topology
    e.run()
    t = e.metrics.totals()
    if store:
        assert t.sessions_lost == 0 and t.failed == 0
    else:
        assert t.sessions_lost == pytest.approx(1000, rel=0.1)
        assert all(cause.startswith("session lost") for cause, _ in t.failures_by_cause)


# --- database replication --------------------------------------------------------------

READ_HEAVY = Mix(0.0, 0.9, 0.1, 0.0)


def test_read_replicas_take_reads_off_the_primary():
    figures = {}
    for replicas in (0, 2):
        topo = [spec("web", "xlarge"), spec("database", "medium")] + [spec("replica", "medium")] * replicas
        e = run(make_config(*topo, users=5000, rps_per_user=0.1, mix=READ_HEAVY, duration=120))
        assert e.metrics.totals().failed == 0
        p = e.topology["database-1"]
        figures[replicas] = (p.total_served, p.busy_seconds / p.alive_seconds, e)
    served0, util0, _ = figures[0]
    served2, util2, e = figures[2]
    reads = 0.9 * e.metrics.arrived
    writes = 0.1 * e.metrics.arrived
    # At least two thirds of the reads left the primary; writes stayed.
    assert served0 - served2 >= (2 / 3) * reads * 0.98
    assert served2 == pytest.approx(writes, rel=0.05)
    assert util2 < util0 / 3
    r1, r2 = e.topology["replica-1"], e.topology["replica-2"]
    assert r1.total_served == pytest.approx(r2.total_served, rel=0.02)
    assert r1.total_served + r2.total_served == pytest.approx(reads, rel=0.05)


def replica_apply_rate(size: str) -> float:
    e = Engine(make_config(spec("database", size), spec("replica", size), duration=10))
    return e.topology["replica-1"].apply_rate


def write_load_config(writes_per_s: float, replica: str, duration: float) -> SimConfig:
    """Writes only, through enough web servers, to a big primary and one replica."""
    webs = [spec("web", "xlarge")] * (int(writes_per_s // 1000) + 1)
    return make_config(spec("load_balancer", "large"), *webs, spec("session_store", "large"),
                       spec("database", "xlarge"), spec("replica", replica), users=writes_per_s * 10,
                       rps_per_user=0.1, mix=Mix(0, 0, 1, 0), duration=duration)


def test_replication_lag_grows_with_write_load():
    a = replica_apply_rate("medium")
    lags = []
    for load in (0.2, 0.5, 0.8):
        e = Engine(write_load_config(load * a, "medium", duration=120))
        e.step(20)
        e.run()
        assert e.metrics.totals().failed == 0
        rows = list(e.metrics.recent)[20:]
        lags.append(sum(r.lag_s for r in rows) / len(rows))
        assert e.snapshot().component("replica-1").lag_s == e.topology["replica-1"].lag == e.max_lag()
    assert lags[0] < lags[1] < lags[2]
    assert lags[0] >= Network().replication_ms / 1000.0


def test_replication_lag_grows_without_bound_when_writes_outpace_the_replica():
    a = replica_apply_rate("small")
    e = Engine(write_load_config(1.25 * a, "small", duration=120))
    e.step(30)
    lag30 = e.topology["replica-1"].lag
    e.step(90)
    lag90 = e.topology["replica-1"].lag
    assert e.metrics.totals().failed == 0
    assert lag30 > 5.0
    # Lag is the age of the oldest unapplied write. Writes come 1.25 times as fast as
    # they are applied, so the write applied at t was committed at 0.8 t: the lag grows
    # by 0.2 s per second, 12 s over the next minute.
    assert lag90 - lag30 == pytest.approx(12.0, rel=0.1)


WRITES = Mix(0.0, 0.7, 0.3, 0.0)


def test_primary_crash_without_replica_stops_writes():
    cfg = make_config(spec("web", "xlarge"), spec("database", "medium"), users=3000, mix=WRITES, duration=200,
                      events=[fail(60, "database-1")])
    e = Engine(cfg)
    assert window(e, 60).failed == 0
    w = window(e, 200)
    assert w.failed == pytest.approx(w.arrived)  # reads too: the primary was the only copy
    assert w.failures("database-1 is down") == pytest.approx(w.failed)
    assert not e.apply(Promote("database-1")).ok


def test_manual_promotion_resumes_writes_and_loses_the_lag_window():
    cfg = make_config(spec("web", "xlarge"), spec("database", "medium"), spec("replica", "medium"), users=3000,
                      mix=WRITES, duration=200, events=[fail(60, "database-1")])
    e = Engine(cfg)
    e.step(60)
    w = window(e, 90)
    # Writes fail, reads go on from the replica.
    assert w.failed == pytest.approx(0.3 * w.arrived, rel=0.1)
    assert w.failures("database-1 is down") == pytest.approx(w.failed)
    assert w.comp_served("replica-1") == pytest.approx(0.7 * w.arrived, rel=0.1)
    res = e.apply(Promote("replica-1"))
    assert res.ok
    w = window(e, 90 + 10)  # a promotion takes the documented 10 s
    assert w.failures("being promoted") == pytest.approx(w.failed)
    assert w.failed == pytest.approx(0.3 * w.arrived, rel=0.15)
    w = window(e, 200)
    assert w.failed == 0
    assert w.comp_served("replica-1") == pytest.approx(w.arrived, rel=0.01)  # the new primary does it all
    assert e.topology["replica-1"].is_primary
    # Asynchronous replication: the writes in the lag window at the crash are gone.
    t = e.metrics.totals()
    assert t.lost_writes > 0
    assert t.lost_writes == pytest.approx(90 * Network().replication_ms / 1000.0, rel=0.5)
    assert any("were lost" in m for m in messages(e, "promote"))


def test_automatic_failover_promotes_after_detection():
    cfg = make_config(spec("web", "xlarge"), spec("database", "medium"), spec("replica", "medium"), users=3000,
                      mix=WRITES, duration=200, events=[fail(60, "database-1")])
    e = Engine(cfg)
    assert e.apply(Configure("database-1", failover="auto")).ok
    e.step(60)
    failing = []
    for t in range(61, 201):
        w = window(e, t)
        if w.failed > 0:
            failing.append(t - 1)
    assert failing[0] == 60
    # Documented: a dead primary is noticed after 30 s, and a promotion takes 10 s.
    assert failing[-1] == 60 + 30 + 10 - 1
    assert len(failing) == 30 + 10
    assert e.topology["replica-1"].is_primary
    assert any("automatic failover" in m for m in messages(e))
    assert e.metrics.totals().lost_writes > 0


# --- cache -------------------------------------------------------------------------------

READS = Mix(0.0, 1.0, 0.0, 0.0)


def cache_config(events=(), duration=600.0, key_count=100_000, users=5000):
    return make_config(spec("web", "xlarge"), spec("cache", "small"), spec("database", "large"), users=users,
                       rps_per_user=0.1, mix=READS, duration=duration, key_count=key_count, events=events)


def test_cache_crash_drops_hit_rate_and_it_warms_up_again():
    e = Engine(cache_config(events=[fail(300, "cache-1", 30)]))
    e.step(300)
    warm_hit = e.topology["cache-1"].hit_rate
    warm_db = e.topology["database-1"].utilization
    assert warm_hit > 0.7
    e.step(301)
    assert e.metrics.recent[-1].hit_rate == 0.0
    assert e.snapshot().component("cache-1").hit_rate == 0.0
    # Every read now hits the database: the thundering herd.
    assert e.topology["database-1"].utilization > 3 * warm_db
    assert e.topology["database-1"].offered == pytest.approx(500, rel=0.01)
    e.step(330)
    assert e.metrics.recent[-1].hit_rate == 0.0
    e.step(331)  # back, empty
    cold = e.metrics.recent[-1].hit_rate
    assert cold < 0.05
    assert e.topology["database-1"].utilization > 3 * warm_db
    e.step(400)
    mid = e.metrics.recent[-1].hit_rate
    e.step(600)
    late = e.metrics.recent[-1].hit_rate
    assert cold < mid < late
    assert late == pytest.approx(warm_hit, abs=0.02)  # same age, same hit rate as before the crash
    assert any("must warm up" in m for m in messages(e, "recover"))
    assert e.metrics.totals().failed == 0


def test_shorter_ttl_gives_lower_hit_rate():
    hit = {}
    for ttl in (math.inf, 60.0, 5.0):
        e = Engine(cache_config(duration=300, key_count=20_000))
        if ttl != math.inf:
            assert e.apply(Configure("cache-1", ttl=ttl)).ok
        e.run()
        assert e.snapshot().component("cache-1").ttl_s == ttl
        hit[ttl] = e.topology["cache-1"].hit_rate
    assert hit[math.inf] > hit[60.0] + 0.1 > hit[5.0] + 0.2
    assert not Engine(cache_config()).apply(Configure("cache-1", ttl=0)).ok


def che_lru_hit_rate(n_keys: int, alpha: float, capacity: int) -> float:
    """Che's approximation of an LRU's hit rate under Zipf(alpha) keys, written here: ranks
    one by one up to 10,000, then groups of 100 ranks at their middle popularity."""
    head = 10_000
    groups = [(1, float(i) ** -alpha) for i in range(1, min(n_keys, head) + 1)]
    for lo in range(head + 1, n_keys + 1, 100):
        hi = min(n_keys, lo + 99)
        groups.append((hi - lo + 1, ((lo + hi) / 2) ** -alpha))
    norm = sum(n * w for n, w in groups)
    groups = [(n, w / norm) for n, w in groups]
    lo, hi = 1.0, 1e12  # the characteristic time, in requests: bisect where `capacity` keys stay
    for _ in range(80):
        t = math.sqrt(lo * hi)
        if sum(n * -math.expm1(-p * t) for n, p in groups) < capacity:
            lo = t
        else:
            hi = t
    return sum(n * p * -math.expm1(-p * t) for n, p in groups)


def test_bigger_cache_hits_more_and_spares_the_database():
    util = {}
    for size in ("small", "medium"):
        cfg = make_config(spec("web", "xlarge"), spec("cache", size), spec("database", "large"), users=10_000,
                          mix=READS, duration=600, key_count=1_000_000)
        e = run(cfg)
        util[size] = (e.topology["cache-1"].hit_rate, e.topology["database-1"].busy_seconds)
        if size == "small":  # warm by now: Che's steady hit rate for 50,000 of 1,000,000 keys
            assert util[size][0] == pytest.approx(che_lru_hit_rate(1_000_000, 0.9, 50_000), abs=0.002)
    assert util["medium"][0] > util["small"][0] + 0.1
    assert util["medium"][1] < 0.85 * util["small"][1]


# --- CDN ---------------------------------------------------------------------------------

HALF_STATIC = Mix(0.5, 0.5, 0.0, 0.0)


def cdn_config(cdn: bool, events=(), duration=400.0):
    topo = [spec("web", "medium"), spec("database", "large")] + ([spec("cdn", "standard")] if cdn else [])
    return make_config(*topo, users=3000, rps_per_user=0.1, mix=HALF_STATIC, duration=duration, events=events)


def test_cdn_takes_static_load_off_the_web_tier_and_bills_per_gb():
    without = run(cdn_config(False, duration=200))
    with_cdn = run(cdn_config(True, duration=200))
    web0 = without.topology["web-1"]
    web1 = with_cdn.topology["web-1"]
    cdn = with_cdn.topology["cdn-1"]
    static = 0.5 * with_cdn.metrics.arrived
    assert cdn.hit_rate > 0.8
    assert web0.total_served == pytest.approx(without.metrics.arrived)
    assert web1.total_served == pytest.approx(with_cdn.metrics.arrived - cdn.hits)  # only the misses
    assert cdn.hits > 0.7 * static
    assert web1.busy_seconds < 0.7 * web0.busy_seconds
    # Cost: the hourly price of the CDN plus its traffic.
    gb = static * with_cdn.config.traffic.static_kb / 1e6
    assert cdn.gigabytes == pytest.approx(gb, rel=0.01)
    per_gb = Catalog.default()["cdn"].cost_per_gb
    hourly = with_cdn.topology["cdn-1"].cost_per_hour * 200 / 3600
    assert with_cdn.metrics.cost - without.metrics.cost == pytest.approx(hourly + gb * per_gb, rel=0.01)
    assert with_cdn.metrics.totals().failed == 0


def test_cdn_outage_falls_back_to_the_origin():
    e = Engine(cdn_config(True, events=[fail(200, "cdn-1", 60)]))
    before = window(e, 200)
    assert e.snapshot().component("cdn-1").health == "up"
    e.step(201)  # events at a time take effect before the tick at that time
    assert e.snapshot().component("cdn-1").health == "down"
    during = window(e, 260)
    assert during.utilization("web-1") > before.utilization("web-1") * 1.4
    assert during.comp_served("web-1") == pytest.approx(during.arrived, rel=0.01)  # everything to the origin
    assert during.comp_served("cdn-1") == 0
    assert during.failed == 0  # the origin has room
    after = window(e, 400)
    assert e.snapshot().component("cdn-1").health == "up"
    assert after.comp_served("cdn-1") > 0
    assert after.utilization("web-1") < during.utilization("web-1")


def test_cdn_invalidation_empties_it_and_it_warms_again():
    e = Engine(cdn_config(True))
    e.step(300)
    warm = e.topology["cdn-1"].hit_rate
    assert warm > 0.6
    res = e.apply(Configure("cdn-1", invalidate=True))
    assert res.ok
    e.step(301)
    assert e.topology["cdn-1"].hit_rate < 0.05
    e.step(400)
    assert e.topology["cdn-1"].hit_rate > 0.6
    assert not e.apply(Configure("web-1", invalidate=True)).ok


# --- data centres ---------------------------------------------------------------------

TWO_REGIONS = (("us-east", 1.0), ("eu-west", 1.0))


def two_dc_config(events=(), users=4000, duration=360.0, **kw):
    return make_config(
        spec("load_balancer", "small"), spec("web", "medium"), spec("web", "medium"),
        spec("load_balancer", "small", "eu-west"), spec("web", "medium", "eu-west"),
        spec("web", "medium", "eu-west"),
        users=users, rps_per_user=0.1, duration=duration, regions=TWO_REGIONS, events=events, trace_samples=20, **kw)


def mean_trace_ms(e: Engine, region: str) -> float:
    ms = [t.total_ms for t in e.metrics.traces if t.region == region and t.ok]
    assert len(ms) >= 10
    return sum(ms) / len(ms)


def test_users_go_to_their_own_data_centre():
    e = Engine(two_dc_config())
    w = window(e, 120)
    utils = [w.utilization(c) for c in ("web-1", "web-2", "web-3", "web-4")]
    assert max(utils) - min(utils) < 0.01  # half the users in each region, spread evenly
    assert w.comp_served("lb-1") == pytest.approx(w.arrived / 2, rel=0.05)
    assert w.comp_served("lb-2") == pytest.approx(w.arrived / 2, rel=0.05)


def test_region_outage_moves_users_and_adds_cross_region_latency():
    cross = Network().cross_region_ms
    moved_after = 30 + 60  # site health checks (30 s), then the geo-DNS TTL (60 s), as the README says
    e = Engine(two_dc_config(events=[ScenarioEvent(at=120, kind="outage", target="eu-west", duration=240)],
                             duration=480))
    w = window(e, 120)
    local_ms = mean_trace_ms(e, "eu-west")
    before_mean = e.metrics.series[-1].mean_ms
    w = window(e, 120 + moved_after)
    # Until the move, eu-west's users (half of them) are still sent to their dead site.
    assert w.failed == pytest.approx(w.arrived / 2, rel=0.05)
    assert w.failures("region eu-west is out") == pytest.approx(w.failed)
    w = window(e, 360)
    # Then nobody is lost: the other data centre has room.
    assert w.failed == 0
    assert w.comp_served("lb-1") == pytest.approx(w.arrived, rel=0.01)
    assert w.comp_served("web-3") == 0 and w.comp_served("web-4") == 0
    assert e.snapshot().component("web-3").health == "down"
    # eu-west users now pay the trip to us-east: + cross_region_ms each.
    moved_ms = mean_trace_ms(e, "eu-west")
    assert moved_ms - local_ms == pytest.approx(cross, abs=15)
    during_mean = e.metrics.series[-1].mean_ms
    assert during_mean - before_mean == pytest.approx(cross / 2, rel=0.1)  # half the users moved
    assert any("region eu-west is out" in m for m in messages(e, "outage"))
    w = window(e, 480)
    assert w.failed == 0
    assert w.comp_served("lb-2") == pytest.approx(w.arrived / 2, rel=0.05)


def test_new_data_centre_takes_its_region_once_built():
    cfg = make_config(spec("load_balancer", "small"), spec("web", "medium"), spec("web", "medium"), users=4000,
                      duration=1100, regions=TWO_REGIONS, trace_samples=20)
    e = Engine(cfg)
    e.step(60)
    assert e.apply(Add("datacenter", region="eu-west")).ok
    assert e.apply(Add("load_balancer", "small", region="eu-west")).ok
    assert e.apply(Add("web", "medium", count=2, region="eu-west")).ok
    built = 60 + Catalog.default()["datacenter"].boot_s
    # Nothing runs in a data centre before it is built.
    assert all(c.ready_at == built for c in e.topology if c.region == "eu-west")
    e.step(built - 10)
    far_ms = mean_trace_ms(e, "eu-west")
    near_ms = mean_trace_ms(e, "us-east")
    assert far_ms - near_ms == pytest.approx(Network().cross_region_ms, abs=15)
    w = window(e, built)
    assert w.comp_served("lb-2") == 0 and w.failed == 0
    e.step(built + 10)
    w = window(e, 1100)
    assert w.failed == 0
    assert w.comp_served("lb-2") == pytest.approx(w.arrived / 2, rel=0.05)
    assert mean_trace_ms(e, "eu-west") == pytest.approx(mean_trace_ms(e, "us-east"), abs=10)


def test_region_outage_without_another_data_centre_fails_its_users():
    cfg = make_config(spec("web", "medium"), spec("web", "medium", "eu-west"), users=2000, duration=240,
                      regions=TWO_REGIONS, events=[ScenarioEvent(at=60, kind="outage", target="us-east")])
    e = Engine(cfg)
    e.step(60)
    w = window(e, 60 + 30 + 60)  # site health checks (30 s) and the geo-DNS TTL (60 s)
    assert w.failed == pytest.approx(w.arrived / 2, rel=0.05)  # us-east's users, sent to their dead site
    w = window(e, 240)
    # eu-west has no load balancer, and its one web server takes everyone: no failures.
    assert w.failed == 0
    assert w.comp_served("web-2") == pytest.approx(w.arrived)


def test_replica_in_another_region_lags_by_the_cross_region_delay():
    cfg = make_config(spec("web", "xlarge"), spec("database", "large"), spec("replica", "large"),
                      spec("replica", "large", "eu-west"), users=2000, mix=Mix(0, 0.8, 0.2, 0), duration=60,
                      regions=TWO_REGIONS)
    e = run(cfg)
    local, remote = e.topology["replica-1"].lag, e.topology["replica-2"].lag
    assert remote - local == pytest.approx(Network().cross_region_ms / 1000.0, rel=0.01)


# --- message queue ---------------------------------------------------------------------

ASYNC = Mix(0.5, 0.0, 0.0, 0.5)


def queue_config(queue: bool, events=(), duration=400.0):
    topo = [spec("web", "large")]
    if queue:
        topo += [spec("queue", "small")] + [spec("worker", "small")] * 4
    return make_config(*topo, users=1000, rps_per_user=0.1, mix=ASYNC, duration=duration, events=events)


def test_async_work_inline_loads_the_web_tier():
    inline = run(queue_config(False, duration=120))
    queued = run(queue_config(True, duration=120))
    u_inline = inline.topology["web-1"].busy_seconds / 120
    u_queued = queued.topology["web-1"].busy_seconds / 120
    # 50 jobs/s x 200 ms on 16 workers, plus 50 static/s x 20 ms.
    work_ms = inline.config.traffic.async_work_ms
    assert u_inline == pytest.approx((50 * work_ms / 1000 + 50 * 0.02) / 16, rel=0.03)
    assert u_queued == pytest.approx(100 * 0.02 / 16, rel=0.03)
    assert inline.metrics.totals().jobs_enqueued == 0
    assert queued.metrics.totals().jobs_enqueued > 0


def test_queue_absorbs_a_surge_and_drains():
    # Workers do 4 x 20 = 80 jobs/s; a x3 surge for 60 s brings 150 jobs/s.
    e = Engine(queue_config(True, events=[surge(60, 3.0, over=0.0, duration=60)]))
    depth = []
    for t in range(1, 401):
        e.step(t)
        depth.append(e.queue_depth())
    peak = max(depth)
    assert peak == pytest.approx(60 * (150 - 80), rel=0.1)
    assert 115 <= depth.index(peak) <= 125  # the surge ends at 120
    assert depth[-1] < 1
    t = e.metrics.totals()
    assert t.failed == 0
    assert t.jobs_done == t.jobs_enqueued
    assert e.metrics.series[-3].queue_depth > 0  # the report shows the queue


def test_workers_scale_separately():
    e = Engine(queue_config(True, events=[surge(0, 3.0, over=0.0)], duration=300))
    e.step(60)
    growing = e.queue_depth()
    assert growing > 1000
    assert e.apply(Add("worker", "large", count=2)).ok  # +2 x 80 jobs/s after boot
    e.run()
    assert e.queue_depth() < 1
    assert e.metrics.totals().failed == 0


# --- logging, metrics, automation --------------------------------------------------------


def test_autoscaler_adds_web_servers_that_carry_load():
    cfg = make_config(spec("load_balancer", "small"), spec("web", "small"), spec("session_store", "small"),
                      users=1000, duration=600, events=[surge(60, 4.5, over=30, duration=300)])
    e = Engine(cfg)
    assert e.apply(Configure("web", autoscale=AutoscaleRule(min=1, max=6, target=0.6, warmup=60))).ok
    e.step(300)
    webs = e.topology.of_kind("web")
    assert len(webs) >= 4
    adds = messages(e, "autoscale")
    assert adds and all("adding" in m for m in adds)
    assert any(f"{webs[-1].id}" in m for m in adds)
    w = window(e, 360)
    assert w.failed == 0
    for web in webs:
        assert web.health(e.now) == "up"
        assert w.comp_served(web.id) > 0
    e.run()  # the surge ends at 360: the autoscaler removes servers again
    assert len(e.topology.of_kind("web")) < len(webs)
    assert any("removed" in m for m in messages(e, "autoscale"))


def test_saturation_and_recovery_are_logged():
    cfg = make_config(spec("web", "small"), users=1000, duration=300, events=[surge(60, 3.0, over=0, duration=60)])
    e = run(cfg)
    sat = [ev for ev in e.events.events if ev.kind == "saturated"]
    rec = [ev for ev in e.events.events if ev.kind == "recovered"]
    assert len(sat) == 1 and sat[0].component == "web-1" and 60 < sat[0].t < 70
    assert "shedding" in sat[0].message and sat[0].severity == "warning"
    assert len(rec) == 1 and 120 < rec[0].t < 140


def test_dashboards_series_and_traces():
    cfg = make_config(spec("load_balancer", "small"), spec("web", "small"), spec("web", "small"),
                      spec("cache", "small"), spec("database", "small"), spec("replica", "small"),
                      users=3000, mix=DYNAMIC_MIX, duration=300, report_every=60)
    e = run(cfg)
    series = e.metrics.series
    assert [r.t for r in series] == [0, 60, 120, 180, 240]
    assert sum(r.requests for r in series) == pytest.approx(e.metrics.arrived)
    for r in series:
        assert r.rps == pytest.approx(300, rel=0.05)
        assert 0 < r.p95_ms <= r.p99_ms
        assert r.hit_rate is not None and r.db_utilization > 0 and r.lag_s > 0
        assert r.cost_per_hour == pytest.approx(e.cost_per_hour())
    traces = list(e.metrics.traces)
    assert traces and all(t.hops for t in traces)
    assert {h.component for t in traces for h in t.hops} >= {"lb-1", "cache-1"}


def test_business_metrics_users_served_and_revenue_lost():
    # Two web servers behind a load balancer, 300 requests/s; one crashes for the second
    # minute and its health-checked share fails for a few seconds, then the other carries
    # everything. A 4x surge in the fourth minute is more than one server can answer.
    cfg = make_config(spec("load_balancer", "small"), spec("web", "small"), spec("web", "small"),
                      spec("session_store", "small"), users=3000, duration=300, report_every=60,
                      revenue_per_1k_requests=2.0,
                      events=[fail(60, "web-1", 60), surge(180, 4.0, over=0, duration=60)])
    e = run(cfg)
    t = e.metrics.totals()
    assert t.failed > 0
    assert t.revenue_lost == pytest.approx(t.failed * 0.002)
    assert t.revenue == pytest.approx(t.served * 0.002)
    series = e.metrics.series
    quiet, surged = series[0], series[3]
    assert quiet.failed == 0 and quiet.users_served == pytest.approx(quiet.users)
    assert surged.failed > 0
    # Users served is the share of users whose requests were answered.
    assert surged.users_served == pytest.approx(surged.users * (1 - surged.failed / surged.requests), rel=0.02)
    assert surged.users_served < 0.8 * surged.users
    for row in e.metrics.recent:
        assert 0 <= row.users_served <= row.users + 1e-9


# --- sharding --------------------------------------------------------------------------

SHARD_MIX = Mix(0.0, 0.2, 0.8, 0.0)


def test_resharding_takes_time_then_spreads_writes():
    cfg = make_config(spec("load_balancer", "small"), spec("web", "xlarge"), spec("web", "xlarge"),
                      spec("session_store", "medium"), spec("database", "medium"), users=5000, mix=SHARD_MIX,
                      duration=1000, key_count=1_000_000)
    e = Engine(cfg)
    e.step(60)
    res = e.apply(Configure("database-1", shards=4))
    assert res.ok
    boot = Catalog.default()["shard"].boot_s
    shards = e.topology.of_kind("shard")
    assert [s.id for s in shards] == ["shard-1", "shard-2", "shard-3"]
    assert all(s.health(e.now) == "booting" and s.ready_at == 60 + boot for s in shards)
    assert e.snapshot().shard_count == 1
    assert not e.apply(Configure("database-1", shards=8)).ok  # one reshard at a time
    w = window(e, 60 + boot)
    # Until the new shards are up, the old mapping holds: the primary takes everything.
    assert w.comp_served("database-1") == pytest.approx(w.arrived, rel=0.01)
    assert all(w.comp_served(s.id) == 0 for s in shards)
    assert e.topology.shard_count == 1
    e.step(60 + boot + 1)
    # Up, the new shards first receive the keys that move: under hash mod n 3/4 of them
    # leave database-1, at the documented 5,000 keys/s on the busiest shard.
    assert all(s.health(e.now) == "up" for s in shards)
    assert e.topology.shard_count == 1
    copy_s = 0.75 * 1_000_000 / 5000
    e.step(60 + boot + copy_s * 0.97)
    assert e.topology.shard_count == 1
    e.step(60 + boot + copy_s * 1.03)
    assert e.topology.shard_count == 4
    assert e.snapshot().shard_count == 4
    assert all(s.health(e.now) == "up" for s in shards)
    assert any("resharding done" in m for m in messages(e, "reshard"))
    w = window(e, 1000)
    served = [w.comp_served(c) for c in ("database-1", "shard-1", "shard-2", "shard-3")]
    assert sum(served) == pytest.approx(w.arrived, rel=0.01)
    for s in served:
        assert s == pytest.approx(w.arrived / 4, rel=0.15)
    assert w.failed == 0


def test_hot_key_overloads_exactly_one_shard():
    cfg = make_config(spec("load_balancer", "medium"), spec("web", "xlarge"), spec("web", "xlarge"),
                      spec("web", "xlarge"), spec("session_store", "medium"), spec("database", "medium"),
                      spec("shard", "medium"), spec("shard", "medium"), spec("shard", "medium"), users=20_000,
                      mix=SHARD_MIX, duration=200, key_count=1_000_000,
                      events=[ScenarioEvent(at=100, kind="hot_key", share=0.3, duration=100)])
    e = Engine(cfg)
    ids = ("database-1", "shard-1", "shard-2", "shard-3")
    w = window(e, 100)
    calm = [w.utilization(c) for c in ids]
    assert max(calm) < 0.9 and max(calm) - min(calm) < 0.2
    assert w.failed == 0
    w = window(e, 200)
    hot = [w.utilization(c) for c in ids]
    hottest = max(range(4), key=lambda i: hot[i])
    assert hot[hottest] > 0.99
    others = [u for i, u in enumerate(hot) if i != hottest]
    assert max(others) < 0.6
    assert w.failed > 0
    assert w.failures(f"{ids[hottest]} was overloaded") == pytest.approx(w.failed)
    assert any("one key now draws 30%" in m for m in messages(e, "hot_key"))
