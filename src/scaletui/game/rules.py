"""What a scenario lets the player do: which kinds can be built, and the cost cap.

A command that breaks a rule is refused with a reason before it reaches the engine,
so nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.scenario.schema import ScenarioSpec
from scaletui.sim.commands import Add, Command, Configure, Upgrade
from scaletui.sim.engine import Engine

# Building one of these needs the other one allowed as well.
IMPLIED = {"queue": ("worker",)}


@dataclass
class Rules:
    allow: frozenset[str]
    budget_per_hour: float | None
    budget_mode: str  # "refuse" or "penalty"

    @staticmethod
    def of(spec: ScenarioSpec) -> "Rules":
        allow = set(spec.allow)
        for kind in list(allow):
            allow.update(IMPLIED.get(kind, ()))
        return Rules(frozenset(allow), spec.budget_per_hour, spec.budget_mode)

    def check(self, engine: Engine, cmd: Command) -> str | None:
        """The reason the command is refused, or None if the rules allow it."""
        if isinstance(cmd, Add):
            if cmd.kind not in self.allow:
                allowed = ", ".join(sorted(self.allow)) or "nothing"
                return f"this scenario does not allow building {cmd.kind} (allowed: {allowed})"
            if cmd.kind in engine.catalog:
                spec = engine.catalog[cmd.kind]
                size = cmd.size or spec.default_size
                if size in spec.size_names:
                    return self.over_budget(engine, spec.size(size).cost_per_hour * max(1, cmd.count))
        if isinstance(cmd, Upgrade):
            comp = engine.topology.get(cmd.target)
            if comp is not None and cmd.size in comp.kind_spec.size_names:
                delta = comp.kind_spec.size(cmd.size).cost_per_hour - comp.cost_per_hour
                return self.over_budget(engine, delta)
        if isinstance(cmd, Configure):
            if (cmd.autoscale is not None) and "web" not in self.allow:
                return "this scenario does not allow adding web servers, so no autoscaling"
            if cmd.shards is not None and "shard" not in self.allow:
                return "this scenario does not allow sharding"
        return None

    def over_budget(self, engine: Engine, extra: float) -> str | None:
        """Why spending `extra` more per hour is refused (None: allowed); the autoscaler asks too."""
        if self.budget_per_hour is None or self.budget_mode != "refuse" or extra <= 0:
            return None
        after = engine.cost_per_hour() + extra
        if after > self.budget_per_hour + 1e-9:
            return (f"over budget: that would cost {after:.1f}/h and the budget is "
                    f"{self.budget_per_hour:.1f}/h (now {engine.cost_per_hour():.1f}/h)")
        return None
