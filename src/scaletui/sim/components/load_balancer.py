"""Load balancer: the entry of a data centre; spreads requests over the web tier.

It has capacity and cost of its own, and one load balancer is itself a single point
of failure. It stops sending to a crashed web server once a health check notices.
"""

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.base import Component

HEALTH_CHECK_S = 5.0  # time for a health check to notice a dead backend


class LoadBalancer(Component):
    kind_name = "load_balancer"

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        # Load shedding: at most this many requests in flight behind it; the rest are
        # refused at once (0: no limit).
        self.max_in_flight = 0
        self.in_flight = 0.0  # requests behind it last tick (its limit's measure)
