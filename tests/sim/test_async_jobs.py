"""Queue workers do async jobs of the traffic's size, in both planes, and lose none.

Expected figures come from the formula a worker obeys: a worker with c threads finishes
c / job_s jobs per second when it has work, and each of its threads is busy for the
share of that rate it is offered. The catalog's medium worker has 8 threads, small 4.
Both planes see the same arrivals (the plane draws from its own random stream).
"""

from __future__ import annotations

import math
import random

import pytest
from tests.sim.simtools import make_config, spec

from scaletui.sim.config import Mix, ScenarioEvent
from scaletui.sim.engine import Engine

MEDIUM_THREADS = 8
SMALL_THREADS = 4
HALF_ASYNC = Mix(0.5, 0.0, 0.0, 0.5)  # every other request is an async job


def jobs_config(work_ms: float, jobs_per_s: float, duration: float, workers=("medium",), events=()):
    topo = [spec("web", "xlarge"), spec("queue", "small")] + [spec("worker", size) for size in workers]
    return make_config(*topo, users=jobs_per_s * 20, rps_per_user=0.1, mix=HALF_ASYNC, duration=duration,
                       async_work_ms=work_ms, events=events)


def engine(cfg, model: str, seed: int = 1) -> Engine:
    e = Engine(cfg, seed=seed, model=model)
    e.plane.rng = random.Random(seed + 1_000_003)  # its own stream: both planes draw the same arrivals
    return e


def held(e: Engine) -> float:
    """Jobs accepted and not done yet (the exact plane also holds the ones being worked on)."""
    return e.plane.jobs_held() if e.model == "exact" else e.queue_depth()


def elapsed(e: Engine) -> float:
    # The flow plane drains whole ticks; the exact plane stands half a tick before the next one.
    return e.env.now if e.model == "exact" else e.now


@pytest.mark.parametrize("work_ms", [200, 1000])
def test_a_saturated_worker_finishes_threads_over_job_time(work_ms):
    """50 jobs/s against 8 threads: 40 jobs/s of 200 ms, 8 jobs/s of 1000 ms; the queue
    grows by the rest, and the two planes keep the same depth over time."""
    capacity = MEDIUM_THREADS / (work_ms / 1000.0)
    cfg = jobs_config(work_ms, jobs_per_s=50, duration=60)
    depths = {}
    for model in ("flow", "exact"):
        e = engine(cfg, model)
        depths[model] = []
        for t in (20, 40, 60):
            e.step(t)
            s = elapsed(e)
            done = e.metrics.jobs_done
            # Completions of c busy exponential servers: Poisson, sd sqrt(capacity x s).
            assert done == pytest.approx(capacity * s, abs=4 * math.sqrt(capacity * s) + MEDIUM_THREADS), (model, t)
            assert held(e) == pytest.approx(e.metrics.jobs_enqueued - done, abs=1e-6)
            depths[model].append(held(e))
            assert e.topology["worker-1"].utilization == pytest.approx(1.0, abs=0.02)
    growth = 50 - capacity
    for f, x, t in zip(depths["flow"], depths["exact"], (20, 40, 60)):
        assert f == pytest.approx(growth * t, abs=4 * math.sqrt(50 * t))  # Poisson arrivals: sd sqrt(50 t)
        assert x == pytest.approx(f, abs=4 * math.sqrt(capacity * t) + MEDIUM_THREADS + growth / 2)


@pytest.mark.parametrize("work_ms", [200, 1000])
def test_worker_utilization_is_jobs_times_job_time_over_threads(work_ms):
    """Offered 5/8 of what it can do: busy 62.5% of the time, and the queue stays short."""
    job_s = work_ms / 1000.0
    rate = 0.625 * MEDIUM_THREADS / job_s
    duration = 1500 / rate  # about 1,500 jobs
    cfg = jobs_config(work_ms, jobs_per_s=rate, duration=duration)
    util = {}
    for model in ("flow", "exact"):
        e = engine(cfg, model)
        e.run()
        w = e.topology["worker-1"]
        util[model] = w.busy_seconds / duration
        assert held(e) < 4 * MEDIUM_THREADS, model
        assert e.metrics.jobs_done / duration == pytest.approx(rate, rel=0.1), model
    n = rate * duration
    # Busy time is the sum of n exponential job times: sd sqrt(n) x job_s.
    tol = 4 * math.sqrt(n) * job_s / (MEDIUM_THREADS * duration)
    assert util["flow"] == pytest.approx(0.625, abs=tol)
    assert util["exact"] == pytest.approx(util["flow"], abs=tol)


def test_a_slowed_worker_takes_longer_per_job():
    """A worker slowed down 2x does half the jobs: 4 threads / (2 x 0.5 s) = 4 jobs/s."""
    slow = ScenarioEvent(at=0.0, kind="slow", target="worker-1", factor=2.0)
    cfg = jobs_config(500, jobs_per_s=20, duration=60, workers=("small",), events=(slow,))
    for model in ("flow", "exact"):
        e = engine(cfg, model)
        e.run()
        assert e.metrics.jobs_done == pytest.approx(4 * elapsed(e), abs=4 * math.sqrt(4 * 60) + SMALL_THREADS), model


def test_no_job_is_lost_when_the_queue_or_a_worker_goes_down():
    """The queue is durable: down for 20 s it holds its messages (enqueues fail, workers
    wait). A worker that dies mid-job leaves it to be redelivered. So every job accepted
    is done or still held, in both planes."""
    events = (ScenarioEvent(at=20.0, kind="fail", target="queue-1", duration=20.0),
              ScenarioEvent(at=50.0, kind="fail", target="worker-1", duration=20.0))
    # 25 jobs/s of 1 s against 2 x 4 threads (8 jobs/s): a backlog builds from the start.
    cfg = jobs_config(1000, jobs_per_s=25, duration=90, workers=("small", "small"), events=events)
    for model in ("flow", "exact"):
        e = engine(cfg, model)
        e.step(22)
        before = e.topology["queue-1"].depth
        assert before > 200, model
        e.step(39)
        # Nothing taken out of a queue that is down, and nothing thrown away.
        assert e.topology["queue-1"].depth == pytest.approx(before, abs=1e-6), model
        e.run()
        m = e.metrics
        assert m.failures.get("queue-1 is down (crashed)", 0) > 0, model
        assert m.jobs_enqueued == pytest.approx(m.jobs_done + held(e), abs=1e-6), model
        assert held(e) > 0, model
        assert not hasattr(m.totals(), "jobs_lost")
