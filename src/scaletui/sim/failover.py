"""Automatic failover: promote the most up-to-date replica once an unreachable primary is noticed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generator

from scaletui.sim.components import Database
from scaletui.sim.components.database import FAILOVER_DETECT_S
from scaletui.sim.eventlog import CRITICAL, WARNING

if TYPE_CHECKING:
    from scaletui.sim.lifecycle import Lifecycle


def automatic_failover(life: "Lifecycle", primary: Database, since: float) -> Generator:
    """Promote a replica once the loss of `primary` (unreachable since `since`) is detected."""
    yield life.clock.at(since + FAILOVER_DETECT_S)
    if primary.removed or not primary.is_primary or primary.unreachable_since() != since:
        return  # it came back (or was replaced) before the loss was detected
    if not life.auto_failover.get(primary.group, False):
        return
    g = life.topology.group(primary.group)
    candidates = [r for r in (g.replicas if g else []) if r.serving(life.now)]
    if not candidates:
        life.log("failover", f"automatic failover found no running replica to promote for {primary.id}",
                 primary.id, CRITICAL)
        return
    # The most up-to-date replica: the one that would lose the fewest writes.
    best = min(candidates, key=lambda r: (life.replication.unreplicated(r), r.seq))
    life.log("failover", f"automatic failover: {primary.id} is unreachable ({primary.down_cause()}), "
                         f"promoting {best.id}", best.id, WARNING)
    life.promote(best, automatic=True)
