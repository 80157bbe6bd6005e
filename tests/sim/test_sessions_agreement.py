"""Logged-out users, counted by each plane on its own, agree.

A stateful web tier (load balancer, two equal web servers, no session store) and one
web server crash, for good or for 2 s (back before the balancer notices): the users
pinned to it lose their sessions, and each fails their next dynamic request. The flow plane counts them as a fraction of users
(sticky.py); the exact plane pins each user to a server and counts every lost
session itself (exact_sessions.py). Both must agree with the formula below.
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import make_config, run, spec

from scaletui.sim.config import Mix, ScenarioEvent

USERS = 400
RPS_PER_USER = 0.2
MIX = Mix(0.3, 0.7, 0.0, 0.0)  # static needs no login; reads do
CRASH_AT = 60.0
DETECT_S = 5.0  # README: a health check notices a crashed server after 5 s
DURATION = 150.0
SESSION_MIN = 10.0


def config(crash_for: float | None):
    return make_config(
        spec("load_balancer", "small"), spec("web", "large", id="web-1"), spec("web", "large", id="web-2"),
        spec("database", "xlarge"),
        users=USERS, rps_per_user=RPS_PER_USER, mix=MIX, duration=DURATION, key_count=1_000,
        session_minutes=SESSION_MIN,
        events=[ScenarioEvent(at=CRASH_AT, kind="fail", target="web-1", duration=crash_for)],
    )


def session_failures(e) -> float:
    return sum(v for k, v in e.metrics.failures.items() if k.startswith("session lost"))


@pytest.mark.parametrize("crash_for", [None, 2.0])
def test_logged_out_users_agree_between_planes(crash_for):
    # Two equal servers: half the users are pinned to web-1 when it crashes. Each of them
    # fails their next dynamic request once the balancer has dropped web-1 (or web-1 is
    # back, without their sessions), if it comes before the end: probability
    # 1 - exp(-rate x time left), rate = 0.2 x 0.7 per second.
    pinned = USERS / 2
    dynamic_rate = RPS_PER_USER * MIX.read
    down_s = DETECT_S if crash_for is None else min(crash_for, DETECT_S)
    left = DURATION - CRASH_AT - down_s
    expected = pinned * (1 - math.exp(-dynamic_rate * left))
    # Exact plane: each user is pinned to web-1 or not, a coin toss (sd sqrt(n/4)); a
    # few are between two sessions, and in the flow plane pins thin out over the 5 s
    # before detection (exp(-5/600)): each under 1%, so 2% of the expectation covers them.
    tol = 4 * math.sqrt(USERS / 4) + 0.02 * expected

    flow = run(config(crash_for), seed=11, model="flow")
    exact = run(config(crash_for), seed=11, model="exact")
    f, x = session_failures(flow), session_failures(exact)
    assert f == pytest.approx(expected, abs=tol)
    assert x == pytest.approx(expected, abs=tol)
    assert x == pytest.approx(f, abs=tol)
    # While it is down and the balancer has not noticed, the pinned users' requests still
    # go to web-1 and fail there: pinned x 0.2 requests/s x the time. Exact: Poisson noise
    # on that, plus the requests per pinned user times the coin-toss noise on how many.
    down = pinned * RPS_PER_USER * down_s
    down_tol = 4 * math.sqrt(down + (RPS_PER_USER * down_s) ** 2 * USERS / 4)
    for e in (flow, exact):
        assert sum(v for k, v in e.metrics.failures.items() if k.startswith("web-1 is down")) == pytest.approx(
            down, abs=down_tol), e.model
    # Every logged-out user was counted once as a lost session, in both planes.
    assert flow.metrics.sessions_lost == pytest.approx(pinned, abs=tol)
    assert exact.metrics.sessions_lost == pytest.approx(pinned, abs=tol)
    # Conservation on the raw counters.
    for e in (flow, exact):
        m = e.metrics
        assert m.arrived == pytest.approx(m.served + m.failed + m.in_flight, abs=1e-6)
