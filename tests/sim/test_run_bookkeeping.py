"""A run of identical stations does its per-tick bookkeeping once, and each member still
reports the figures of a station computed on its own.

The topology of test_station_runs: a small load balancer (16 workers, 0.5 ms, 1000 ms
timeout) in front of 12 medium web servers (8 workers, 20 ms, 2000 ms timeout, 2.0/h:
the catalog's documented numbers), all static traffic, no CDN, 3,000 requests/s. web-5
is slowed 2x: it takes the same share (the balancer weighs nominal capacity) but is in
another state, which splits the tier into three runs: web-1..4, web-5, web-6..12.
"""

from __future__ import annotations

import bisect
import dataclasses
from itertools import accumulate

import pytest
from simtools import HOME, make_config, spec

from scaletui.sim import flow, mmck
from scaletui.sim.config import ScenarioEvent
from scaletui.sim.engine import Engine
from scaletui.sim.snapshot import ComponentView

WEBS = 12
RATE = 30_000.0 * 0.1
SLOW = 2.0
TICKS = 6


def _engine(seed: int) -> Engine:
    topo = [spec("load_balancer", "small")] + [spec("web", "medium", id=f"web-{i}") for i in range(1, WEBS + 1)]
    cfg = make_config(*topo, users=30_000.0, rps_per_user=0.1, duration=60.0,
                      events=[ScenarioEvent(0.0, "slow", "web-5", factor=SLOW)])
    return Engine(cfg, seed=seed)


def _state(workers: int, service_s: float, timeout_s: float, rate: float) -> mmck.StationState:
    """M/M/c/K with K = c + the requests the workers finish within the timeout."""
    capacity = workers + max(1, round(workers * timeout_s / service_s))
    return mmck.station_state(workers, 1.0 / service_s, capacity, rate)


@pytest.mark.python_source
def test_a_run_derives_its_figures_and_sums_once_per_tick(monkeypatch):
    figures: list[float] = []
    sums: list[int] = []
    real_figures = flow._station_figures
    real_sum = flow._add_repeatedly.__wrapped__  # the sum itself, without its memo

    def figures_spy(state, dt):
        figures.append(state.utilization)
        return real_figures(state, dt)

    def sum_spy(total, x, n):
        sums.append(n)
        return real_sum(total, x, n)

    monkeypatch.setattr(flow, "_station_figures", figures_spy)
    monkeypatch.setattr(flow, "_add_repeatedly", sum_spy)
    e = _engine(seed=3)
    for k in range(1, TICKS + 1):
        figures.clear()
        sums.clear()
        e.step(k * 1.0)
        # The load balancer, then the three runs of web servers: 4 derivations, not 13.
        assert len(figures) == 4, f"tick {k}"
        # One flow: accepted and mean sums, once per run of several stations, as long as
        # the run (the load balancer and the odd web server, runs of one, add directly).
        assert sorted(sums) == [4, 4, 7, 7], f"tick {k}"


def test_each_member_reports_the_figures_of_a_station_on_its_own():
    e = _engine(seed=5)
    counts = []
    for k in range(1, TICKS + 1):
        before = e.metrics.arrived
        e.step(k * 1.0)
        counts.append(e.metrics.arrived - before)
    lb = _state(16, 0.0005, 1.0, RATE)
    each = RATE * (1.0 - lb.blocking) / WEBS
    views = {v.id: v for v in e.snapshot().components}
    for i in range(1, WEBS + 1):
        cid = f"web-{i}"
        slowed = cid == "web-5"
        service = 0.020 * (SLOW if slowed else 1.0)
        st = _state(8, service, 2.0, each)
        a = 1.0 - st.blocking
        per_tick = [n * (1.0 - lb.blocking) / WEBS for n in counts]
        c = e.topology[cid]
        assert c.utilization == pytest.approx(st.utilization, rel=1e-9), cid
        assert c.peak_utilization == pytest.approx(st.utilization, rel=1e-9), cid
        assert c.busy_seconds == pytest.approx(TICKS * st.utilization, rel=1e-9), cid
        assert c.total_served == pytest.approx(sum(x * a for x in per_tick), rel=1e-9), cid
        assert c.total_failed == pytest.approx(sum(x * (1.0 - a) for x in per_tick), rel=1e-9, abs=1e-9), cid
        want = ComponentView(
            id=cid, kind="web", size="medium", region=HOME,
            health="degraded" if slowed else "up",
            utilization=st.utilization, queue=st.mean_queue, offered_rps=each,
            served_rps=per_tick[-1] * a, failed_rps=per_tick[-1] * (1.0 - a),
            latency_ms=st.mean_response * 1000.0, cost_per_hour=2.0, workers=8,
            capacity_rps=8 / service, ready_at=None, note=f"slowed {SLOW:g}x" if slowed else "",
            share=1.0 / WEBS,
        )
        got = views[cid]
        for field in dataclasses.fields(ComponentView):
            g, w = getattr(got, field.name), getattr(want, field.name)
            if isinstance(w, float):
                assert g == pytest.approx(w, rel=1e-9, abs=1e-9), f"{cid}.{field.name}"
            else:
                assert g == w, f"{cid}.{field.name}"


@pytest.mark.parametrize("few_picks", [0, 64])  # found by run, or listed one per station
def test_a_stage_draws_the_station_a_per_station_sum_draws(monkeypatch, few_picks):
    monkeypatch.setattr(flow, "FEW_PICKS", few_picks)
    a, b, c, d = object(), object(), object(), object()
    runs = [(0.1, (a, b, c), ("x",)), (0.35, (d,), ("y",)), (0.1, (b, a), ("z",))]
    stage = flow.Stage.of_runs("web", runs)  # stand-ins for stations: only identity matters
    picks = [(a, "x"), (b, "x"), (c, "x"), (d, "y"), (b, "z"), (a, "z")]
    cum = list(accumulate([0.1, 0.1, 0.1, 0.35, 0.1, 0.1]))
    for k in range(1001):
        u = k / 1000
        i = min(bisect.bisect_left(cum, u * cum[-1]), len(picks) - 1)
        assert stage.choose(u) == picks[i], u
