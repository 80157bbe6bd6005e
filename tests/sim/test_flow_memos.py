"""What the flow plane keeps instead of recomputing, and that it still follows its inputs.

- Service times are read once a tick: a station slowed between two ticks is evaluated at
  its new speed from the next tick on (utilization = lambda x service / workers).
- The retry backlog keeps how one moment's jittered retries spread over the next ticks,
  by (seconds into the tick, retry number): each spread is the uniform backoff's.
- Latency samples walk each stage's Draw: the same station as the stage's choice and the
  same numbers as mmck.sample_response through it, draw for draw.
- A stage keeps its mean time (the stages a flow passed are shared by the flows it splits
  into); a warming cache's hit rate and the miss curve over shards keep their sums' terms.
- A timed-out share is kept by what its station's tail depends on: another load, another tail.
- A failure's retries go to the backlog and to the metrics in one call each: each retry
  after its own backoff, and the sums in the order of the counts, bit for bit.

Catalog figures used (documented): a medium web server has 8 workers at 20 ms; the
exponential backoff waits up to 1 s before the first retry, doubling per retry.
"""

from __future__ import annotations

import math
import random

import pytest
from simtools import make_config, spec

from scaletui.sim.client import RetryBacklog
from scaletui.sim.config import ClientPolicy, Mix, ScenarioEvent
from scaletui.sim.engine import Engine
from scaletui.sim import mmck
from scaletui.sim.flow import Flow, FlowPlane, Stage, _draw_of
from scaletui.sim.hit_rate import HitRateModel
from scaletui.sim.keyspace import HASHED_RANKS, KeySpace, parts_and_map
from scaletui.sim.sharding import Sharding

WEB_WORKERS = 8
WEB_SERVICE_S = 0.020


def test_a_station_slowed_between_ticks_is_evaluated_at_its_new_speed():
    rate = 100.0  # requests/s on one web server: a quarter of its 8 workers busy
    cfg = make_config(spec("web", "medium"), users=1000.0, rps_per_user=rate / 1000.0, duration=20.0,
                      events=[ScenarioEvent(5.0, "slow", "web-1", factor=2.0)])
    e = Engine(cfg, seed=1)
    web = e.topology.of_kind("web")[0]
    e.step(5.0)
    # So lightly loaded that none is shed (blocking below 1e-12): utilization = lambda s / c.
    assert web.utilization == pytest.approx(rate * WEB_SERVICE_S / WEB_WORKERS, rel=1e-9)
    e.step(6.0)
    assert web.utilization == pytest.approx(rate * 2.0 * WEB_SERVICE_S / WEB_WORKERS, rel=1e-9)
    # What its answers carry for their latency: its service time and rate now.
    (flow,) = e.plane.completed
    _, members, (_, _, mu, service, _, _) = flow.stages[-1].runs[0]
    assert members == (web,)
    assert (service, mu) == pytest.approx((2.0 * WEB_SERVICE_S, 1.0 / (2.0 * WEB_SERVICE_S)), rel=1e-12)


def _due(backlog: RetryBacklog, ticks: range) -> dict[int, float]:
    out = {}
    for k in ticks:
        got = backlog.take(k)
        if got:
            out[k] = sum(sum(by_retry.values()) for by_retry in got.values())
    return out


def _add(backlog: RetryBacklog, tick: int, ended: float, retry: int, count: float) -> None:
    """count attempts of one failure in tick `tick`, `ended` s into it, as retry `retry`."""
    backlog.add_attempts(tick, ended, "us-east", "read", [0.0] * (retry - 1) + [count])


@pytest.mark.python_source
def test_jittered_retries_spread_as_the_uniform_backoff_for_each_moment_and_retry(monkeypatch):
    spreads = []
    real = RetryBacklog._spread

    def spy(self, start, wait):
        spreads.append((start, wait))
        return real(self, start, wait)

    monkeypatch.setattr(RetryBacklog, "_spread", spy)
    backlog = RetryBacklog(ClientPolicy(timeout=2.0, retries=3, backoff="exponential", jitter=True), 1.0)
    # A failure 0.25 s into tick 10, second retry: uniform over [0.25, 2.25] s after the
    # tick began (wait 2 s). Never in the tick it failed in: what falls before the end of
    # the next tick (2 s) comes in tick 11 (1.75 of the 2 s), the rest in tick 12.
    _add(backlog, 10, 0.25, 2, 100.0)
    assert _due(backlog, range(0, 40)) == pytest.approx({11: 100.0 * 1.75 / 2.0, 12: 100.0 * 0.25 / 2.0})
    # The same moment and retry in another tick: the kept spread.
    _add(backlog, 30, 0.25, 2, 10.0)
    assert _due(backlog, range(0, 60)) == pytest.approx({31: 10.0 * 1.75 / 2.0, 32: 10.0 * 0.25 / 2.0})
    assert len(spreads) == 1
    # A timeout (2 s into the tick), second retry: [2, 4] s, one second in each of ticks 22, 23.
    _add(backlog, 20, 2.0, 2, 100.0)
    assert _due(backlog, range(0, 60)) == pytest.approx({22: 50.0, 23: 50.0})
    # Third retry (wait 4 s) at 0.25 s: [0.25, 4.25] -> 1.75, 1, 1 and 0.25 of the 4 s.
    _add(backlog, 40, 0.25, 3, 100.0)
    assert _due(backlog, range(0, 80)) == pytest.approx({41: 43.75, 42: 25.0, 43: 25.0, 44: 6.25})
    assert len(spreads) == 3


@pytest.fixture(scope="module")
def wide_plane() -> FlowPlane:
    """A load balancer, 70 web servers (more than a stage lists one by one) with web-5
    slowed, two caches and a database: stages of one run, of several (of one station each:
    the caches), and of many stations."""
    webs = 70
    topo = [spec("load_balancer", "small")] + [spec("web", "medium", id=f"web-{i}") for i in range(1, webs + 1)]
    topo += [spec("cache"), spec("cache"), spec("database")]
    cfg = make_config(*topo, users=50_000.0, rps_per_user=0.1, duration=30.0, mix=Mix(0.2, 0.6, 0.2, 0.0),
                      events=[ScenarioEvent(0.0, "slow", "web-5", factor=3.0)])
    e = Engine(cfg, seed=4)
    e.step(10.0)
    assert isinstance(e.plane, FlowPlane)
    return e.plane


def test_a_stage_draw_is_its_chosen_station_draw(wide_plane):
    stages = {id(s): s for f in wide_plane.completed for s in f.stages if isinstance(s, Stage)}
    sizes = {sum(len(m) for _, m, _ in s.runs) for s in stages.values()}
    assert max(sizes) > 64 and 1 in sizes
    assert any(len(s.runs) > 1 for s in stages.values())
    for stage in stages.values():
        for k in range(2000):
            u = k / 2000.0
            assert stage.draw_of(u) == _draw_of(*stage.choose(u)), (stage.label, u)


def test_latency_samples_draw_what_sample_response_draws(wide_plane):
    flows = wide_plane.completed
    assert len(flows) >= 3
    saved = wide_plane.rng
    try:
        for f in flows:
            wide_plane.rng = random.Random(11)
            expected = [wide_plane._draw(f, None) for _ in range(200)]  # stage.choose + mmck.sample_response
            wide_plane.rng = random.Random(11)
            assert wide_plane._draw_times(f.stages, 200, math.inf) == expected
    finally:
        wide_plane.rng = saved


def test_a_stage_keeps_its_mean_time_which_is_its_stations_weighted_mean(wide_plane, monkeypatch):
    stages = {id(s): s for f in wide_plane.completed for s in f.stages if isinstance(s, Stage)}
    assert len(stages) >= 4
    for stage in stages.values():
        tot = acc = 0.0
        for w, members, (delay, state, _mu, svc, _label, _cap) in stage.runs:
            for _ in members:  # station by station
                tot += w
                acc += w * (delay + (state.mean_wait + svc if state is not None else 0.0))
        assert stage.mean_time() == pytest.approx(acc / tot if tot > 0 else 0.0, rel=1e-12, abs=1e-15)
    # Kept: asked again, it does not walk its runs (they do not change once built).
    stage = next(iter(stages.values()))
    first = stage.mean_time()
    monkeypatch.setattr(stage, "runs", [])
    assert stage.mean_time() == first


def test_a_warming_cache_hits_the_keys_it_has_seen():
    # Che's warm-up without TTL or invalidation: a key read r times/s is held by age a
    # with probability 1 - exp(-r a); hits = sum over keys of p_k (1 - exp(-rate p_k a)).
    keys = KeySpace(100_000, 0.9)
    model = HitRateModel(keys)
    for rate, age in [(50.0, 3.0), (2_000.0, 0.5), (1e5, 40.0), (1e6, 1e3)]:
        expected = math.fsum(n * p * (1.0 - math.exp(-rate * p * age))
                             for n, p in zip(keys.bucket_counts, keys.bucket_p))
        got = model._warming(rate, age)  # what hit_rate returns while warming (at 1% steps of both)
        assert got == pytest.approx(expected, rel=1e-9), (rate, age)
        assert 0.0 < got < 1.0


def test_the_miss_curve_over_shards_follows_each_ranks_shard_and_probability():
    # Misses per shard: the top ranks one by one (their shard, their probability), the
    # rest spread as the keys are. A steady cache without TTL: p (1 - stay), stay =
    # 1 - exp(-rate T p) with rate T the cache's (here through miss_partition_shares).
    keys = KeySpace(100_000, 0.9)
    model = HitRateModel(keys)
    for parts in (4, Sharding(4, "ring")):
        count, part = parts_and_map(parts)
        for age in (30.0, 600.0):
            rt = min(model.characteristic_time(2_000.0, 1.0, math.inf), age * 1_000.0)
            rt = math.exp(round(math.log(rt), 2))
            shares = [0.0] * count
            head_miss = 0.0
            for rank in range(1, HASHED_RANKS + 1):
                p = keys.probability(rank)
                m = p * math.exp(-rt * p)
                shares[part(rank)] += m
                head_miss += m
            total_miss = math.fsum(n * p * math.exp(-rt * p) for n, p in zip(keys.bucket_counts, keys.bucket_p))
            tail = total_miss - head_miss
            spread = (1.0 / count,) * count if isinstance(parts, int) else parts.key_shares()
            raw = [x + tail * k for x, k in zip(shares, spread)]
            expected = [x / sum(raw) for x in raw]
            got = model.miss_partition_shares(parts, 2_000.0, 1_000.0, age=age)
            assert got == pytest.approx(expected, rel=1e-6), (parts, age)


def test_a_stage_weighs_each_station_by_its_run_left_to_right(wide_plane):
    stages = {id(s): s for f in wide_plane.completed for s in f.stages if isinstance(s, Stage)}
    assert any(len(s.runs) > 1 and all(len(m) == 1 for _, m, _ in s.runs) for s in stages.values())
    for stage in stages.values():
        expected, total = [], 0.0
        for w, members, _ in stage.runs:
            for _ in members:
                total += w
                expected.append(total)
        assert stage.cum == expected, stage.label


def _mmc_response_tail(c: int, mu: float, lam: float, t: float) -> float:
    """P(wait + service > t) of M/M/c (Erlang C wait, exponential service)."""
    a = lam / mu
    b = 1.0
    for n in range(1, c + 1):
        b = a * b / (n + a * b)  # Erlang B
    pw = b / (1.0 - a / c + a / c * b)  # Erlang C
    theta = c * mu - lam
    conv = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - pw) * math.exp(-mu * t) + pw * conv


def test_a_timed_out_share_follows_its_station_state_from_tick_to_tick(wide_plane, monkeypatch):
    # One web server (8 workers at 20 ms, a queue too long to shed) at 70% and then 90%
    # load: each share is its own M/M/c tail beyond the 60 ms timeout, not the one kept.
    monkeypatch.setattr(wide_plane, "client", ClientPolicy(timeout=0.06))
    web = next(c for f in wide_plane.completed for s in f.stages if isinstance(s, Stage)
               for _, m, _ in s.runs for c in m if c.id == "web-1")
    assert web.workers == WEB_WORKERS
    mu, capacity = 1.0 / WEB_SERVICE_S, WEB_WORKERS + 1000
    for load in (0.7, 0.9, 0.7):
        lam = load * WEB_WORKERS * mu
        state = mmck.station_state(WEB_WORKERS, mu, capacity, lam)
        stage = Stage("web", [1.0], [(web, 0.0, state, mu, WEB_SERVICE_S, "web", capacity)])
        flow = Flow("us-east", "read", None, lam, lam, state.mean_wait + WEB_SERVICE_S, (stage,), 0.0)
        late, where = wide_plane._timed_out_share(flow)
        assert where is web
        assert late == pytest.approx(_mmc_response_tail(WEB_WORKERS, mu, lam, 0.06), rel=0.02), load


@pytest.mark.parametrize("jitter", [True, False])
def test_one_failures_retries_added_at_once_come_back_as_each_retrys_backoff(jitter):
    """add_attempts (the flow plane's path: all the retries of one failure in one call):
    counts[k] come back as retry k + 1 after that retry's backoff (1, 2, 4 s), spread
    evenly over it with jitter; a zero count adds nothing. A failure 0.25 s into tick 10:
    with jitter, retry 1 falls in [0.25, 1.25] s (all in tick 11), retry 2 in [0.25, 2.25]
    (1.75 of its 2 s in tick 11, 0.25 in tick 12), retry 3 in [0.25, 4.25] (1.75, 1, 1 and
    0.25 of its 4 s in ticks 11-14); without, each at 0.25 s + its wait: ticks 11, 12, 14."""
    backlog = RetryBacklog(ClientPolicy(timeout=2.0, retries=4, backoff="exponential", jitter=jitter), 1.0)
    backlog.add_attempts(10, 0.25, "us-east", "read", [100.0, 80.0, 40.0])
    backlog.add_attempts(10, 0.25, "eu-west", "write", [0.0, 10.0])  # only a second retry
    got = {k: backlog.take(k) for k in range(0, 30)}
    got = {k: v for k, v in got.items() if v}
    if jitter:
        expected = {11: {("us-east", "read"): {1: 100.0, 2: 80.0 * 1.75 / 2, 3: 40.0 * 1.75 / 4},
                         ("eu-west", "write"): {2: 10.0 * 1.75 / 2}},
                    12: {("us-east", "read"): {2: 80.0 * 0.25 / 2, 3: 40.0 * 1.0 / 4},
                         ("eu-west", "write"): {2: 10.0 * 0.25 / 2}},
                    13: {("us-east", "read"): {3: 40.0 * 1.0 / 4}},
                    14: {("us-east", "read"): {3: 40.0 * 0.25 / 4}}}
    else:
        expected = {11: {("us-east", "read"): {1: 100.0}},
                    12: {("us-east", "read"): {2: 80.0}, ("eu-west", "write"): {2: 10.0}},
                    14: {("us-east", "read"): {3: 40.0}}}
    assert got.keys() == expected.keys()
    for k, by_class in expected.items():
        assert got[k].keys() == by_class.keys(), k
        for key, by_retry in by_class.items():
            assert got[k][key] == pytest.approx(by_retry, rel=1e-12), (k, key)
    assert abs(backlog.waiting) < 1e-9


def test_a_failures_retries_counted_at_once_add_up_as_one_by_one():
    """Metrics.retry_later_all (one call per failure) adds each count in turn to the
    attempts retried and in flight, to its cause, and to the tick's timeouts or sheds:
    the sums worked out here in the same order, bit for bit; zero counts add nothing."""
    from scaletui.sim.client import shed_reason, timeout_reason
    from scaletui.sim.metrics import Metrics

    timeout, shed, error = (timeout_reason(ClientPolicy(timeout=2.0)), shed_reason("load_balancer-1", 100),
                            "web-1 answered with an error")
    rng = random.Random(3)
    m = Metrics(60.0)
    retried = timeouts = sheds = 0.0
    by_cause: dict[str, float] = {}
    for _ in range(200):
        cause = rng.choice([timeout, shed, error])
        counts = [rng.uniform(0.0, 9.0) if rng.random() > 0.1 else 0.0 for _ in range(rng.randint(1, 4))]
        m.retry_later_all(counts, cause, cause == timeout)
        for n in counts:
            if n > 0:
                retried += n
                by_cause[cause] = by_cause.get(cause, 0.0) + n
                timeouts += n if cause == timeout else 0.0
                sheds += n if cause == shed else 0.0
    assert (m.retried, m.in_flight, m.t_timeouts, m.t_shed) == (retried, retried, timeouts, sheds)
    assert m.retry_causes == by_cause and len(by_cause) == 3 and timeouts > 0 and sheds > 0


def test_fan_out_samples_draw_what_sample_response_draws_for_each_shard():
    """A fan-out read's latency sample (the slowest of its shards, written out in
    _draw_times) draws what stage.choose and mmck.sample_response draw shard by shard:
    with one of four shards slowed, so the shards' Draws differ."""
    topo = [spec("load_balancer", "small"), spec("web", "medium"), spec("web", "medium"), spec("database")]
    topo += [spec("shard", id=f"shard-{i}") for i in (1, 2, 3)]
    cfg = make_config(*topo, users=20_000.0, rps_per_user=0.05, duration=30.0,
                      mix=Mix(0.0, 0.3, 0.1, 0.0, 0.6), events=[ScenarioEvent(0.0, "slow", "shard-2", factor=3.0)])
    e = Engine(cfg, seed=5)
    e.step(10.0)
    plane = e.plane
    assert isinstance(plane, FlowPlane)
    fans = [f for f in plane.completed if any(not isinstance(s, Stage) for s in f.stages)]
    assert fans
    for f in fans:
        plane.rng = random.Random(13)
        expected = [plane._draw(f, None) for _ in range(300)]  # _draw_fan: choose + sample_response
        plane.rng = random.Random(13)
        got = plane._draw_times(f.stages, 300, math.inf)
        assert got == expected
        assert len(set(got)) > 250  # draws, not one figure repeated
