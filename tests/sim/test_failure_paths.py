"""Failure paths: region outages and failover, promotion and lost writes, sessions of a
stateful tier, region failover, slow data centres, cross-region hops, resharding.

Expected values come from formulas written here with the timings the README documents,
pinned as literals: load balancer health check 5 s, failover detection 30 s, promotion
10 s, data-centre health checks 30 s plus a geo-DNS TTL of 60 s; catalog service times
web 20 ms and database 10 ms; network hop 0.5 ms and cross-region 80 ms (set explicitly).
"""

from __future__ import annotations

import math
import re

import pytest
from tests.sim.simtools import make_config, spec, window

from scaletui.sim.commands import Configure, Promote
from scaletui.sim.config import Mix, Network, ScenarioEvent
from scaletui.sim.engine import Engine

HEALTH_CHECK_S = 5
FAILOVER_DETECT_S = 30
PROMOTE_S = 10
SITE_CHECK_S = 30
GEO_DNS_TTL_S = 60
WEB_MS = 20.0
DB_MS = 10.0
NET = Network(hop_ms=0.5, cross_region_ms=80.0, replication_ms=100.0)

EU_ONLY = (("eu-west", 1.0),)
TWO_REGIONS = (("us-east", 1.0), ("eu-west", 1.0))
WRITES = Mix(0.0, 0.0, 1.0, 0.0)
READS = Mix(0.0, 1.0, 0.0, 0.0)


def outage(at: float, region: str, duration: float | None = None) -> ScenarioEvent:
    return ScenarioEvent(at=at, kind="outage", target=region, duration=duration)


def crash(at: float, target: str) -> ScenarioEvent:
    return ScenarioEvent(at=at, kind="fail", target=target)


def messages(e: Engine, kind: str) -> list[str]:
    return [ev.message for ev in e.events.events if ev.kind == kind]


def replicated(users: float, mix: Mix, duration: float, events, network: Network = NET):
    """Users in eu-west, served there; the primary in us-east, an xlarge replica in eu-west."""
    return make_config(spec("load_balancer", "small", "eu-west"), spec("web", "xlarge", "eu-west"),
                       spec("database", "large", "us-east"), spec("replica", "xlarge", "eu-west"),
                       users=users, rps_per_user=0.1, mix=mix, duration=duration, regions=EU_ONLY,
                       network=network, events=events)


def two_sites(events, duration, mix=READS, users=2000.0):
    """A load balancer and two web servers in each region, no session store (stateful), the
    database in us-east; half of the users in each region."""
    return make_config(spec("load_balancer", "small"), spec("web", "medium"), spec("web", "medium"),
                       spec("load_balancer", "small", "eu-west"), spec("web", "medium", "eu-west"),
                       spec("web", "medium", "eu-west"), spec("database", "large"),
                       users=users, rps_per_user=0.1, mix=mix, duration=duration, regions=TWO_REGIONS,
                       network=NET, events=events)


def window_writes(rate: float, net: Network) -> tuple[float, float]:
    """Writes acknowledged by a us-east primary and not yet on the eu-west replica, and a
    tolerance for a plane's count of them.

    The window is the hop, the replication batching and the ocean; the apply stream of an
    xlarge replica adds a fraction of a millisecond at these rates. The exact plane counts
    a Poisson number of writes with this mean; the flow plane scales one tick's Poisson
    count of writes by the window: four standard deviations of the wider of the two.
    """
    window = (net.hop_ms + net.replication_ms + net.cross_region_ms) / 1000.0
    expected = rate * window
    sd = max(math.sqrt(expected), math.sqrt(rate * 1.0) * window)
    return expected, 4 * sd + 1


# --- defect 1: a region outage triggers automatic failover ---------------------------------


def test_region_outage_of_the_primary_triggers_automatic_failover():
    t_out = 60
    # 1,000 users x 0.1 requests/s: 70 reads/s from the local replica, 30 writes/s.
    cfg = replicated(1000, Mix(0.0, 0.7, 0.3, 0.0), 160, [outage(t_out, "us-east")])
    e = Engine(cfg)
    assert e.apply(Configure("database-1", failover="auto")).ok
    e.step(t_out)
    failing = []
    failed = arrived = 0.0
    for t in range(t_out + 1, 161):
        w = window(e, t)
        if w.failed > 0:
            failing.append(t - 1)
        failed += w.failed
        arrived += w.arrived
    # Writes fail from the outage until detection and promotion are over, and only then.
    assert failing == list(range(t_out, t_out + FAILOVER_DETECT_S + PROMOTE_S))
    writes = 0.3 * 1000 * 0.1
    assert failed == pytest.approx(writes * (FAILOVER_DETECT_S + PROMOTE_S),
                                   abs=4 * math.sqrt(writes * (FAILOVER_DETECT_S + PROMOTE_S)))
    assert e.topology["replica-1"].is_primary
    assert any("automatic failover" in m and "region us-east is out" in m for m in messages(e, "failover"))


def test_primary_back_from_its_region_outage_rejoins_as_a_replica():
    cfg = replicated(1000, Mix(0.0, 0.7, 0.3, 0.0), 400, [outage(20, "us-east", duration=60)])
    e = Engine(cfg)
    assert e.apply(Configure("database-1", failover="auto")).ok
    e.step(81)
    old = e.snapshot().component("database-1")
    assert old.role == "replica" and old.health == "booting" and old.note == "resyncing as a replica"
    restart = 120  # the catalog's restart_s of a database node
    w = window(e, 81 + restart + 1)
    assert e.snapshot().component("database-1").health == "up"
    w = window(e, 400)
    assert w.failed == 0
    back = e.snapshot().component("database-1")
    # A replica again: it follows the new primary and replays its writes (busy with them),
    # while eu-west's reads stay on the copy in their own region.
    assert back.role == "replica" and back.follows == "replica-1"
    assert back.utilization > 0 and back.lag_s < 1.0
    assert w.comp_served("database-1") == 0


# --- defect 2: lost writes, counted by each plane on its own ---------------------------------


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_automatic_failover_after_a_region_outage_loses_the_replication_window(model):
    net = Network(hop_ms=0.5, cross_region_ms=80.0, replication_ms=1000.0)  # a wide window: a clear count
    rate = 1500 * 0.1  # writes/s
    cfg = replicated(1500, WRITES, 20 + FAILOVER_DETECT_S + PROMOTE_S + 5, [outage(20, "us-east")], net)
    e = Engine(cfg, model=model)
    assert e.apply(Configure("database-1", failover="auto")).ok
    e.run()
    expected, tol = window_writes(rate, net)
    assert e.metrics.lost_writes == pytest.approx(expected, abs=tol)
    assert e.metrics.lost_writes > 0.5 * expected
    assert any("were lost" in m for m in messages(e, "promote"))


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_manual_promotion_during_a_region_outage_loses_the_replication_window(model):
    net = Network(hop_ms=0.5, cross_region_ms=80.0, replication_ms=1000.0)
    rate = 1500 * 0.1
    e = Engine(replicated(1500, WRITES, 45, [outage(20, "us-east")], net), model=model)
    e.step(30)
    assert e.apply(Promote("replica-1")).ok
    e.run()
    expected, tol = window_writes(rate, net)
    assert e.metrics.lost_writes == pytest.approx(expected, abs=tol)
    assert e.metrics.lost_writes > 0.5 * expected


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_switchover_from_a_running_primary_loses_nothing(model):
    e = Engine(replicated(1500, WRITES, 40, []), model=model)
    e.step(20)
    assert e.apply(Promote("replica-1")).ok
    e.run()
    assert e.metrics.lost_writes == 0
    assert not any("were lost" in m for m in messages(e, "promote"))


# --- defect 4: a region outage logs out the users of a stateful web tier ---------------------


def test_stateful_tier_region_outage_logs_out_the_region_and_moved_users_log_in_again():
    users = 2000.0
    t_out, lasts = 60, 300
    e = Engine(two_sites([outage(t_out, "eu-west", duration=lasts)], 600, users=users))
    e.step(t_out)
    assert e.metrics.sessions_lost == 0
    e.step(t_out + 1)
    # Every session in eu-west died with the site: the region's users.
    assert e.metrics.sessions_lost == pytest.approx(users / 2, rel=0.01)
    moved_at = t_out + SITE_CHECK_S + GEO_DNS_TTL_S
    e.step(moved_at)
    w = window(e, moved_at + 60)
    # Moved to us-east, they are not logged out twice, but each fails one request: the login.
    assert e.metrics.sessions_lost == pytest.approx(users / 2, rel=0.01)
    assert w.failures("session lost") == pytest.approx(users / 2, rel=0.05)
    e.step(t_out + lasts + 1)
    # Back home, their us-east sessions mean nothing in eu-west: one more login each.
    assert e.metrics.sessions_lost == pytest.approx(users, rel=0.01)


def test_stateless_tier_region_outage_logs_nobody_out():
    cfg = make_config(spec("load_balancer", "small"), spec("web", "medium"), spec("session_store", "small"),
                      spec("load_balancer", "small", "eu-west"), spec("web", "medium", "eu-west"),
                      spec("database", "large"), users=2000, rps_per_user=0.1, mix=READS, duration=300,
                      regions=TWO_REGIONS, network=NET, events=[outage(60, "eu-west", duration=120)])
    e = Engine(cfg)
    e.run()
    assert e.metrics.sessions_lost == 0


# --- region failover: a detection window, and for a dead web tier too ------------------------


def failing_seconds(e: Engine, start: int, end: int) -> list[int]:
    e.step(start)
    out = []
    for t in range(start + 1, end + 1):
        if window(e, t).failed > 0:
            out.append(t - 1)
    return out


def test_region_failover_costs_the_site_health_checks_and_the_dns_ttl():
    t_out = 60
    e = Engine(two_sites([outage(t_out, "eu-west")], 240, mix=Mix(1.0, 0.0, 0.0, 0.0)))
    moved_at = t_out + SITE_CHECK_S + GEO_DNS_TTL_S
    failing = failing_seconds(e, t_out, 240)
    assert failing == list(range(t_out, moved_at))
    w = window(e, 240)
    assert w.failed == 0


def test_site_with_its_load_balancer_up_but_no_web_server_is_failed_over():
    t_dead = 60
    events = [crash(t_dead, "web-3"), crash(t_dead, "web-4")]
    e = Engine(two_sites(events, 300, mix=Mix(1.0, 0.0, 0.0, 0.0)))
    moved_at = t_dead + SITE_CHECK_S + GEO_DNS_TTL_S
    e.step(t_dead)
    # eu-west's users (half) fail at their site until DNS moves them: first at the dead
    # servers, until the load balancer's health check notices, then at its empty tier.
    w = window(e, t_dead + HEALTH_CHECK_S)
    assert w.failed == pytest.approx(w.arrived / 2, rel=0.1)
    assert w.failures("web-3 is down") + w.failures("web-4 is down") == pytest.approx(w.failed)
    w = window(e, moved_at)
    assert w.failed == pytest.approx(w.arrived / 2, rel=0.05)
    assert w.failures("no healthy web server") == pytest.approx(w.failed)
    w = window(e, 300)
    assert w.failed == 0
    assert w.comp_served("lb-1") == pytest.approx(w.arrived, rel=0.01)
    assert w.comp_served("lb-2") == 0


# --- cross-region hops ---------------------------------------------------------------------


def eu_users_remote_data(mix: Mix, model: str) -> Engine:
    """eu-west users on a local web server (no load balancer); the primary and a replica in
    us-east: every database request crosses the ocean."""
    cfg = make_config(spec("web", "xlarge", "eu-west"), spec("database", "xlarge"), spec("replica", "xlarge"),
                      users=200, rps_per_user=0.1, mix=mix, duration=120, regions=EU_ONLY, network=NET)
    e = Engine(cfg, model=model)
    e.run()
    if model == "exact":
        e.plane.drain()
    return e


@pytest.mark.parametrize("model", ["flow", "exact"])
@pytest.mark.parametrize("mix", [WRITES, READS], ids=["writes to the primary", "reads from a replica"])
def test_requests_to_a_database_in_another_region_pay_the_cross_region_time(mix, model):
    e = eu_users_remote_data(mix, model)
    # Client -> web: one hop; web -> database: a hop and the ocean. At 20 requests/s
    # on 32 workers nobody waits, so the mean is the sum of the stages.
    expected = NET.hop_ms + WEB_MS + NET.hop_ms + NET.cross_region_ms + DB_MS
    mean = e.metrics.latency_summary().mean_ms
    # Sampling error of an exponential mean over ~2,400 requests in the exact plane.
    tol = 4 * math.hypot(WEB_MS, DB_MS) / math.sqrt(2400) if model == "exact" else 0.01 * expected
    assert mean == pytest.approx(expected, abs=tol)


# --- slow data centre ------------------------------------------------------------------------


def test_a_slow_data_centre_slows_everything_in_it():
    factor = 3.0
    cfg = make_config(spec("web", "xlarge"), spec("database", "xlarge"), spec("web", "xlarge", "eu-west"),
                      users=400, rps_per_user=0.1, mix=WRITES, duration=180, regions=TWO_REGIONS, network=NET,
                      events=[ScenarioEvent(at=60, kind="slow", target="dc-us-east", factor=factor, duration=60)])
    e = Engine(cfg)
    e.step(60)
    m0 = (e.metrics.served, e.metrics.latency_summary().mean_ms)
    e.step(120)
    m1 = (e.metrics.served, e.metrics.latency_summary().mean_ms)
    snap = e.snapshot()
    assert snap.component("web-1").health == "degraded"
    assert snap.component("database-1").health == "degraded"
    assert snap.component("web-2").health == "up"  # another site is not affected
    mean_slow = (m1[1] * m1[0] - m0[1] * m0[0]) / (m1[0] - m0[0])
    # Half the users are local to the slow site, half in eu-west (whose writes cross the ocean).
    local = NET.hop_ms + factor * WEB_MS + NET.hop_ms + factor * DB_MS
    remote = NET.hop_ms + WEB_MS + NET.hop_ms + NET.cross_region_ms + factor * DB_MS
    assert mean_slow == pytest.approx((local + remote) / 2, rel=0.02)
    e.run()
    assert e.snapshot().component("web-1").health == "up"
    assert any("everything in dc-us-east" in m for m in messages(e, "slow"))


# --- resharding log ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_resharding_log_states_the_share_of_keys_hash_mod_n_moves(n):
    shards = [spec("shard", "large") for _ in range(n - 1)]
    e = Engine(make_config(spec("web", "large"), spec("database", "large"), *shards, duration=60))
    assert e.apply(Configure("database-1", shards=n + 1)).ok
    msg = messages(e, "reshard")[0]
    share = int(re.search(r"moving about (\d+)% of the keys", msg).group(1)) / 100
    # Under hash mod n a key stays only if h mod n == h mod (n+1): h mod n(n+1) < n.
    assert share == pytest.approx(n / (n + 1), abs=0.015)
