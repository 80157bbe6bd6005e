"""Message queue: takes async work off the request path and holds it for workers.

A web server only enqueues (fast); the work waits in `depth` until a worker takes
it. Nothing is lost while the queue has room: a surge just makes the queue deeper.
"""

from scaletui.sim.components.base import Component


class MessageQueue(Component):
    kind_name = "queue"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.depth = 0.0

    @property
    def items(self) -> int:
        return self.size_spec.items
