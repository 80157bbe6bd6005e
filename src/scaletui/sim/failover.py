"""Automatic failover: promote the most up-to-date replica once a dead primary is noticed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generator

from scaletui.sim.components import Database
from scaletui.sim.components.database import FAILOVER_DETECT_S
from scaletui.sim.eventlog import CRITICAL, WARNING

if TYPE_CHECKING:
    from scaletui.sim.engine import Engine


def automatic_failover(e: "Engine", primary: Database) -> Generator:
    yield e.at(e.now + FAILOVER_DETECT_S)
    if primary.removed or not primary.crashed or not primary.is_primary:
        return
    if not e.auto_failover.get(primary.group, False):
        return
    g = e.topology.group(primary.group)
    candidates = [r for r in (g.replicas if g else []) if r.serving(e.now)]
    if not candidates:
        e.log("failover", f"automatic failover found no running replica to promote for {primary.id}",
              primary.id, CRITICAL)
        return
    best = min(candidates, key=lambda r: (r.lag_at_primary_crash or 0.0, r.seq))
    e.log("failover", f"automatic failover: {primary.id} is dead, promoting {best.id}", best.id, WARNING)
    e.promote(best, automatic=True)
