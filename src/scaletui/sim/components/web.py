"""Web server: runs the application. Stateful unless a session store exists.

Without a shared session store each user's session lives in one server's memory, so
the load balancer must pin users to servers (sticky sessions): a new server receives
only new sessions, load stays skewed for a session's length, and a crash or restart
logs its users out. `pinned_users` is that state.
"""

from typing import Iterable

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.base import Component

# The tiers a thread-per-request web server waits on.
BEHIND_WEB = ("session_store", "cache", "database", "replica", "shard")


class WebServer(Component):
    kind_name = "web"

    @property
    def holds_threads(self) -> bool:
        """Thread-per-request: a worker waits for the session store, cache and database."""
        return self.kind_spec.concurrency == "threads"

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        self.pinned_users = 0.0
        self.share = 0.0  # share of its data centre's traffic, last tick


def busiest_behind(components: Iterable[Component], region: str) -> Component | None:
    """What a thread-per-request web tier in `region` is most likely waiting on: the
    busiest reachable station behind it there, by last tick's utilization."""
    best = None
    for c in components:
        if c.kind in BEHIND_WEB and c.region == region and c.reachable():
            if best is None or c.utilization > best.utilization:
                best = c
    return best
