"""A load balancer spreads requests over web servers of mixed sizes by capacity.

Capacity of a web server = workers / service time; from the catalog (pinned here):
small 4 workers, large 16, xlarge 32, all 20 ms. So small : large : xlarge serve
4 : 16 : 32 of the requests, with or without sticky sessions (new sessions go where
the capacity is, so the pins end up in the same proportions).
"""

from __future__ import annotations

import math

import pytest
from tests.sim.simtools import make_config, run, spec

from scaletui.sim.config import Mix

SIZES = {"web-1": ("small", 4), "web-2": ("large", 16), "web-3": ("xlarge", 32)}
SERVICE_MS = 20


def config(stateful: bool, duration: float):
    webs = [spec("web", size, id=cid) for cid, (size, _) in SIZES.items()]
    store = [] if stateful else [spec("session_store", "large")]
    # 1,000 requests/s against 2,600/s of capacity: nobody sheds, so served = offered.
    return make_config(spec("load_balancer", "large"), *webs, *store, users=10_000, rps_per_user=0.1,
                       mix=Mix(1.0, 0.0, 0.0, 0.0), duration=duration)


@pytest.mark.parametrize("stateful", [False, True])
@pytest.mark.parametrize("model", ["flow", "exact"])
def test_web_servers_of_mixed_sizes_share_by_capacity(model, stateful):
    duration = 30.0
    e = run(config(stateful, duration), seed=4, model=model)
    capacity = {cid: workers / (SERVICE_MS / 1000.0) for cid, (_, workers) in SIZES.items()}
    total_capacity = sum(capacity.values())
    served = {cid: e.topology[cid].total_served for cid in SIZES}
    total = sum(served.values())
    assert total == pytest.approx(e.metrics.arrived, rel=1e-9)
    # The exact model draws each request's server: a binomial share, sd sqrt(p (1 - p) / n).
    # With sticky sessions it draws each user's (10,000 users sending Poisson(3) requests
    # each in 30 s), which makes the variance (1 + 1/3) times that of 10,000 draws.
    n = 10_000 / (1 + 1 / (0.1 * duration)) if stateful else total
    for cid in SIZES:
        p = capacity[cid] / total_capacity
        tol = 1e-9 if model == "flow" else 5 * math.sqrt(p * (1 - p) / n)
        assert served[cid] / total == pytest.approx(p, abs=tol), cid
