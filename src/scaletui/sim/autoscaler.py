"""The web tier's autoscaler: a rule with min, max, target utilization and warm-up."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Generator

from scaletui.sim.commands import AutoscaleRule
from scaletui.sim.components import WebServer

if TYPE_CHECKING:
    from scaletui.sim.engine import Engine

EVALUATE_EVERY_S = 15.0
SCALE_IN_BELOW = 0.5  # scale in when utilization is under half the target


class Autoscaler:
    def __init__(self, engine: "Engine") -> None:
        self.e = engine
        self.rule: AutoscaleRule | None = None
        self.cooldown_until: dict[str, float] = {}
        self.budget_per_hour: float | None = None  # never scale past this spend
        self._started = False

    def configure(self, rule: AutoscaleRule | None) -> None:
        self.rule = rule
        if rule is not None and not self._started:
            self._started = True
            self.e.env.process(self._loop())

    def _loop(self) -> Generator:
        e = self.e
        while True:
            yield e.at(e.now + EVALUATE_EVERY_S)
            if self.rule is not None:
                for region in e.topology.regions():
                    self._evaluate(region)

    def _evaluate(self, region: str) -> None:
        e = self.e
        rule = self.rule
        assert rule is not None
        if e.now < self.cooldown_until.get(region, -math.inf):
            return
        webs = [w for w in e.topology.in_region(region, "web") if isinstance(w, WebServer)]
        if not webs:
            return
        alive = [w for w in webs if not w.crashed]
        up = [w for w in alive if w.serving(e.now)]
        if not up:
            return
        util = sum(w.utilization for w in up) / len(up)
        desired = max(rule.min, math.ceil(len(up) * util / rule.target))
        desired = min(rule.max, desired)
        if desired > len(alive):
            size = Counter(w.size for w in alive).most_common(1)[0][0]
            add = desired - len(alive)
            if self.budget_per_hour is not None:
                per = e.catalog.size("web", size).cost_per_hour
                room = int((self.budget_per_hour - e.cost_per_hour()) // per) if per > 0 else add
                add = max(0, min(add, room))
                if add == 0:
                    e.log("autoscale", f"autoscaler wants {desired} web servers in {region} but the budget is spent")
                    self.cooldown_until[region] = e.now + rule.warmup
                    return
            ids = [e.create("web", size, region, boot=True).id for _ in range(add)]
            e.log("autoscale", f"autoscaler: utilization {util:.1%} > target {rule.target:.0%}, "
                               f"adding {', '.join(ids)}")
            self.cooldown_until[region] = e.now + rule.warmup
        elif util < rule.target * SCALE_IN_BELOW and len(alive) > rule.min:
            victim = max(alive, key=lambda w: w.seq)
            e.remove(victim)
            e.log("autoscale", f"autoscaler: utilization {util:.1%} is low, removed {victim.id}")
            self.cooldown_until[region] = e.now + rule.warmup
