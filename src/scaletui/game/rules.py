"""What a scenario lets the player do: which kinds can be built, the cost cap, and
how many components a topology may hold.

A command that breaks a rule is refused with a reason before it reaches the engine,
so nothing changes. The same check runs on a game's live topology and, in plan
checking, on the topology a plan will have built by then: validate and run agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.game.cost_preview import cost_change
from scaletui.scenario.schema import MAX_COMPONENTS, ScenarioSpec
from scaletui.sim.catalog import Catalog, Kind
from scaletui.sim.commands import Add, Command, Configure
from scaletui.sim.topology import Topology

# Building one of these needs the other one allowed as well.
IMPLIED: dict[str, tuple[Kind, ...]] = {"queue": ("worker",)}


@dataclass
class Rules:
    allow: frozenset[str]
    budget_per_hour: float | None
    budget_mode: str  # "refuse" or "penalty"

    @staticmethod
    def of(spec: ScenarioSpec) -> "Rules":
        allow: set[str] = set(spec.allow)
        for kind in list(allow):
            allow.update(IMPLIED.get(kind, ()))
        return Rules(frozenset(allow), spec.budget_per_hour, spec.budget_mode)

    def check(self, topology: Topology, catalog: Catalog, cmd: Command, transfer: float = 0.0) -> str | None:
        """The reason the command is refused, or None if the rules allow it."""
        if isinstance(cmd, Add):
            if cmd.kind not in self.allow:
                allowed = ", ".join(sorted(self.allow)) or "nothing"
                return f"this scenario does not allow building {cmd.kind} (allowed: {allowed})"
            if len(topology) + cmd.count > MAX_COMPONENTS:
                return (f"a topology holds at most {MAX_COMPONENTS} components (it has {len(topology)}); "
                        "the work of every tick grows with them")
        if isinstance(cmd, Configure):
            if (cmd.autoscale is not None) and "web" not in self.allow:
                return "this scenario does not allow adding web servers, so no autoscaling"
            if (cmd.shards is not None or cmd.sharding is not None) and "shard" not in self.allow:
                return "this scenario does not allow sharding"
            if cmd.denormalize is not None and "shard" not in self.allow:
                return "this scenario does not allow sharding, so there is nothing to denormalize"
        # Every action that builds or grows something (shards by resharding too) is priced
        # the way the preview shows it.
        return self.over_budget(topology, cost_change(topology, catalog, cmd), transfer)

    def over_budget(self, topology: Topology, extra: float, transfer: float = 0.0) -> str | None:
        """Why spending `extra` more per hour is refused (None: allowed); the autoscaler asks too."""
        if self.budget_per_hour is None or self.budget_mode != "refuse" or extra <= 0:
            return None
        # What runs now, plus the CDN's transfer at the current traffic (the figure the
        # objectives panel and the budget star count).
        now = topology.cost_per_hour() + transfer
        after = now + extra
        if after > self.budget_per_hour + 1e-9:
            return (f"over budget: that would cost {after:.1f}/h and the budget is "
                    f"{self.budget_per_hour:.1f}/h (now {now:.1f}/h)")
        return None
