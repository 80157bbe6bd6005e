"""Identical stations of a tier, as runs: the flow engine's cost follows distinct states.

A tier of a route lists its stations one by one (a web tier behind a load balancer can
hold hundreds). Consecutive stations with the same share, network delay, kind, size,
slow-down, health and data centre are offered the same rate by every flow that reaches
them through this tier, so they reach the same stationary state: the flow engine
evaluates such a run once. Runs keep the tier's order, so sums over a tier add the
same numbers in the same order as station by station (same seed, same bytes).

Databases and message queues are never merged: a replica carries its own apply
backlog and a queue its own depth.
"""

from __future__ import annotations

from scaletui.sim.components import Component, Database, MessageQueue
from scaletui.sim.routing import Tier

# One run: (share of each station, its stations or None, network delay, why nothing can serve)
Run = tuple[float, "tuple[Component, ...] | None", float, "str | None"]


def state_key(comp: Component) -> object:
    """What decides a station's state besides its offered rate (raw fields: this runs every
    tick for every station of a tier, and the properties derived from them cost more)."""
    if isinstance(comp, (Database, MessageQueue)):
        return comp
    # The specs by identity: one catalog's objects, and hashing a spec (a dataclass with
    # its sizes) costs microseconds, every tick for every run.
    return (comp.__class__, id(comp.kind_spec), id(comp.size_spec), comp.slow_factor, comp.dc, comp.crashed,
            comp.removed, comp.error_share, getattr(comp, "max_in_flight", 0))


def station_runs(tier: Tier) -> list[Run]:
    """The tier's stations as runs of identical ones, in the tier's order."""
    if not tier.options:
        return [(1.0, None, 0.0, tier.missing)]
    runs: list[Run] = []
    members: list[Component] = []
    last: object = None
    weight = delay = 0.0
    for o in tier.options:
        key = (o.weight, o.delay, state_key(o.comp))
        if members and key == last:
            members.append(o.comp)
            continue
        if members:
            runs.append((weight, tuple(members), delay, None))
        members = [o.comp]
        last, weight, delay = key, o.weight, o.delay
    runs.append((weight, tuple(members), delay, None))
    return runs


def singletons(runs: list[Run]) -> list[Run]:
    """The same runs, one station each."""
    out: list[Run] = []
    for w, members, delay, missing in runs:
        if members is None or len(members) == 1:
            out.append((w, members, delay, missing))
        else:
            out.extend((w, (c,), delay, None) for c in members)
    return out
