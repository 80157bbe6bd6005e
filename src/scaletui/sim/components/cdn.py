"""CDN: edges near every user serve static content; misses go to the origin.

Edges do not queue (capacity is the provider's problem): a request costs a short
delay and its bytes, billed per GB. Invalidation empties the edges.
"""

from scaletui.sim.components.base import Component


class Cdn(Component):
    kind_name = "cdn"
    queueing = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
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
