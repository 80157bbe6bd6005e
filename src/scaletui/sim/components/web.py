"""Web server: runs the application. Stateful unless a session store exists.

Without a shared session store each user's session lives in one server's memory, so
the load balancer must pin users to servers (sticky sessions): a new server receives
only new sessions, load stays skewed for a session's length, and a crash or restart
logs its users out. `pinned_users` is that state.
"""

from scaletui.sim.components.base import Component


class WebServer(Component):
    kind_name = "web"

    @property
    def holds_threads(self) -> bool:
        """Thread-per-request: a worker waits for the session store, cache and database."""
        return self.kind_spec.concurrency == "threads"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pinned_users = 0.0
        self.share = 0.0  # share of its data centre's traffic, last tick
