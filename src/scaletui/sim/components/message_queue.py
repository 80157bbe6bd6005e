"""Message queue: takes async work off the request path and holds it for workers.

A web server only enqueues (fast); the work waits in `depth` until a worker takes
it. Nothing is lost while the queue has room: a surge just makes the queue deeper.
"""

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.base import Component


class MessageQueue(Component):
    kind_name = "queue"

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        self.depth = 0.0

    @property
    def items(self) -> int:
        return self.size_spec.items
