"""The levers a player set on a component, in a few words each, for its details.

Some are the component's own (a load balancer's limit in flight), some belong to what it
is part of: the data's sharding and denormalization show on every database primary, the
web tier's policy toward the database on every web server.
"""

from __future__ import annotations

import math

from scaletui.sim.components import Component, Database, WebServer
from scaletui.sim.components.load_balancer import LoadBalancer
from scaletui.sim.db_calls import CLOSED, DbCalls
from scaletui.sim.sharding import SCHEME_NAMES
from scaletui.sim.topology import Topology


def levers(c: Component, topology: Topology, calls: DbCalls) -> tuple[str, ...]:
    """What differs from the defaults, as the plans write it ("db_timeout 200ms")."""
    out: list[str] = []
    if isinstance(c, Database) and c.is_primary:
        if topology.shard_count > 1 or topology.shard_scheme != "mod":
            out.append(f"{topology.shard_count} shards by {SCHEME_NAMES[topology.shard_scheme]}")
        if topology.denormalized:
            out.append("denormalize on")
    elif isinstance(c, WebServer):
        if calls.timeout is not None and math.isfinite(calls.timeout):
            out.append(f"db_timeout {calls.timeout * 1000:g}ms")
        if calls.retries:
            out.append(f"db_retries {calls.retries}")
        b = calls.breaker
        if b is not None:
            state = "" if calls.state == CLOSED else f" ({calls.state})"
            out.append(f"breaker {b.error_rate:.0%}/{b.open_for:g}s{state}")
    elif isinstance(c, LoadBalancer) and c.max_in_flight > 0:
        out.append(f"max_in_flight {c.max_in_flight}")
    return tuple(out)
