"""CDN: edges near every user serve static content; misses go to the origin.

Edges do not queue (capacity is the provider's problem): a request costs a short
delay and its bytes, billed per GB. Invalidation empties the edges.
"""

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.base import Component


class Cdn(Component):
    kind_name = "cdn"
    queueing = False

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        self.ttl = 3600.0
        self.started_at = self.created_at
        self.hit_rate = 0.0
        self.hits = 0.0
        self.lookups = 0.0
        self.gigabytes = 0.0

    @property
    def slowdown(self) -> float:
        return self.slow_factor  # its edges are near the users, not in a data centre

    @property
    def edge_delay(self) -> float:
        return self.size_spec.service_ms / 1000.0 * self.slow_factor

    def flush(self, now: float) -> None:
        self.started_at = now
