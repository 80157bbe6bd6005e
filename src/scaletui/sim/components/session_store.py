"""Session store: shared session data, which makes the web tier stateless.

Every dynamic request (read, write, async) looks its session up here, so it is on
the request path and has capacity of its own.
"""

from scaletui.sim.components.base import Component


class SessionStore(Component):
    kind_name = "session_store"
