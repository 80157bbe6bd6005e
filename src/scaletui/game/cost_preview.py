"""What an action would do to the cost per hour, shown before the player confirms it.

From the catalog's prices: an addition adds its size's price times the count, a resize
swaps one price for another, a removal takes its price away. New shards are the size
asked (the catalog's default) when added, the primary's size when resharding to a
count, as the engine makes them; switching the sharding scheme alone builds nothing (it
only moves keys between the shards there are). Autoscaling and CDN transfer are left out: they
follow the traffic, not the action.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Add, Command, Configure, Remove, Upgrade
from scaletui.sim.engine import Engine
from scaletui.sim.topology import Topology


@dataclass(frozen=True)
class CostPreview:
    now: float  # per hour, of what runs now
    after: float  # per hour, once the action is applied
    par_pace: float | None  # per hour: spending at this rate for the whole level spends the par

    def __str__(self) -> str:
        text = f"{self.now:.1f}/h → {self.after:.1f}/h"
        if self.par_pace is not None:
            text += f"; par pace {self.par_pace:.0f}/h"
        return text


def preview_cost(engine: Engine, cmd: Command, par_cost: float | None, transfer: float = 0.0) -> CostPreview:
    """`transfer`: the CDN's transfer cost per hour at the current traffic (Game.transfer_cost_per_hour)."""
    now = engine.cost_per_hour() + transfer
    pace = par_cost * 3600.0 / engine.duration if par_cost is not None and engine.duration > 0 else None
    return CostPreview(now, now + cost_change(engine.topology, engine.catalog, cmd), pace)


def cost_change(topology: Topology, catalog: Catalog, cmd: Command) -> float:
    """How much the command changes the cost per hour: what the preview shows and what
    the budget rule checks, so that the two never disagree."""
    if isinstance(cmd, Add) and cmd.kind in catalog:
        spec = catalog[cmd.kind]
        size = cmd.size or spec.default_size
        if cmd.kind == "shard":
            return _new_shards(topology, catalog, cmd.count, size)
        return spec.size(size).cost_per_hour * max(1, cmd.count) if size in spec.size_names else 0.0
    if isinstance(cmd, Upgrade):
        comp = topology.get(cmd.target)
        if comp is not None and cmd.size in comp.kind_spec.size_names:
            return comp.kind_spec.size(cmd.size).cost_per_hour - comp.cost_per_hour
    if isinstance(cmd, Remove):
        comp = topology.get(cmd.target)
        return -comp.cost_per_hour if comp is not None else 0.0
    if isinstance(cmd, Configure) and cmd.shards is not None:
        return _new_shards(topology, catalog, cmd.shards - topology.shard_count, None)
    return 0.0


def _new_shards(topology: Topology, catalog: Catalog, n: int, size: str | None) -> float:
    g0 = topology.group(0)
    if n <= 0 or g0 is None or g0.primary is None:
        return 0.0
    spec = catalog["shard"]
    size = size or g0.primary.size
    return spec.size(size).cost_per_hour * n if size in spec.size_names else 0.0
