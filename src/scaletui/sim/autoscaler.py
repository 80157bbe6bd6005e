"""The web tier's autoscaler: a rule with min, max, target utilization and warm-up.

It never runs more than `max` web servers in a region (a crashed one still counts
until it recovers or is removed), and it spends only what the player may: each server
it would add is put to the same budget check as the player's own actions (the game
hands that check over as `may_spend`).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Callable, Generator

from scaletui.sim.commands import AutoscaleRule
from scaletui.sim.components import WebServer
from scaletui.sim.summation import plain_sum

if TYPE_CHECKING:
    from scaletui.sim.engine import Engine

EVALUATE_EVERY_S = 15.0
SCALE_IN_BELOW = 0.5  # scale in when utilization is under half the target


class Autoscaler:
    def __init__(self, engine: "Engine") -> None:
        self.e = engine
        self.rule: AutoscaleRule | None = None
        self.cooldown_until: dict[str, float] = {}
        # The reason spending this much more per hour is refused, or None (no limit).
        self.may_spend: Callable[[float], str | None] | None = None
        self._refusal_said: set[str] = set()  # regions told why it cannot add
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
        util = plain_sum(w.utilization for w in up) / len(up)
        desired = max(rule.min, math.ceil(len(up) * util / rule.target))
        desired = min(rule.max, desired)
        add = min(desired - len(alive), rule.max - len(webs))
        if add > 0:
            size = Counter(w.size for w in alive).most_common(1)[0][0]
            per = e.catalog.size("web", size).cost_per_hour
            ids: list[str] = []
            refused: str | None = None
            for _ in range(add):
                refused = self.may_spend(per) if self.may_spend is not None else None
                if refused is not None:
                    break
                ids.append(e.create("web", size, region, boot=True).id)
            if not ids:
                if region not in self._refusal_said:
                    self._refusal_said.add(region)
                    e.log("autoscale", f"autoscaler wants {desired} web servers in {region}, "
                                       f"but adding one is refused: {refused}")
                self.cooldown_until[region] = e.now + rule.warmup
                return
            self._refusal_said.discard(region)
            e.log("autoscale", f"autoscaler: utilization {util:.1%} > target {rule.target:.0%}, "
                               f"adding {', '.join(ids)}")
            self.cooldown_until[region] = e.now + rule.warmup
        elif util < rule.target * SCALE_IN_BELOW and len(alive) > rule.min:
            victim = max(alive, key=lambda w: w.seq)
            e.remove(victim)
            e.log("autoscale", f"autoscaler: utilization {util:.1%} is low, removed {victim.id}")
            self.cooldown_until[region] = e.now + rule.warmup
