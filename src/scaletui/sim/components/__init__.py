"""Component kinds, one per module."""

from scaletui.sim.components.base import BOOTING, DEGRADED, DOWN, UP, Component
from scaletui.sim.components.cache import Cache
from scaletui.sim.components.cdn import Cdn
from scaletui.sim.components.database import Database
from scaletui.sim.components.datacenter import Datacenter
from scaletui.sim.components.load_balancer import LoadBalancer
from scaletui.sim.components.message_queue import MessageQueue
from scaletui.sim.components.replica import Replica
from scaletui.sim.components.session_store import SessionStore
from scaletui.sim.components.shard import Shard
from scaletui.sim.components.web import WebServer
from scaletui.sim.components.worker import Worker

CLASSES: dict[str, type[Component]] = {
    cls.kind_name: cls
    for cls in (
        LoadBalancer,
        WebServer,
        SessionStore,
        Cache,
        Cdn,
        Database,
        Replica,
        Shard,
        MessageQueue,
        Worker,
        Datacenter,
    )
}

__all__ = [
    "BOOTING",
    "CLASSES",
    "DEGRADED",
    "DOWN",
    "UP",
    "Cache",
    "Cdn",
    "Component",
    "Database",
    "Datacenter",
    "LoadBalancer",
    "MessageQueue",
    "Replica",
    "SessionStore",
    "Shard",
    "WebServer",
    "Worker",
]
