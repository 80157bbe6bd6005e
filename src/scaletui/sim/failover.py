"""Automatic failover: promote the most up-to-date replica once a dead primary is noticed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generator

from scaletui.sim.components import Database
from scaletui.sim.components.database import FAILOVER_DETECT_S
from scaletui.sim.eventlog import CRITICAL, WARNING

if TYPE_CHECKING:
    from scaletui.sim.lifecycle import Lifecycle


def automatic_failover(life: "Lifecycle", primary: Database) -> Generator:
    yield life.clock.at(life.now + FAILOVER_DETECT_S)
    if primary.removed or not primary.crashed or not primary.is_primary:
        return
    if not life.auto_failover.get(primary.group, False):
        return
    g = life.topology.group(primary.group)
    candidates = [r for r in (g.replicas if g else []) if r.serving(life.now)]
    if not candidates:
        life.log("failover", f"automatic failover found no running replica to promote for {primary.id}",
                 primary.id, CRITICAL)
        return
    best = min(candidates, key=lambda r: (r.lag_at_primary_crash or 0.0, r.seq))
    life.log("failover", f"automatic failover: {primary.id} is dead, promoting {best.id}", best.id, WARNING)
    life.promote(best, automatic=True)
