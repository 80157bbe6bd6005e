"""Database primary: takes every write of its key range (and reads when no replica can).

A topology has one primary per shard group; group 0 is the original database. When
a primary crashes, writes to its group fail until a replica is promoted, by the
player or by automatic failover after it is detected.
"""

from collections import deque

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.base import Component

FAILOVER_DETECT_S = 30.0  # automatic failover notices a dead primary after this
PROMOTE_S = 10.0  # a promotion takes this long before writes flow again


class Database(Component):
    kind_name = "database"

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        self.group = 0
        self.role = "primary"
        self.auto_failover = False
        self.promoting_until: float | None = None
        # Replica state (used after a demotion or on the Replica subclass).
        self.apply_backlog = 0.0  # writes received but not applied
        self.lag = 0.0  # seconds behind the primary
        self.demoted = False  # a crashed primary replaced by promotion rejoins as a replica
        self.tick_writes = 0.0  # writes it committed this tick
        # Replicas: writes received and applied so far, and (time, received) at the ends
        # of the ticks that still hold unapplied writes, to tell how old the oldest is.
        self.cum_received = 0.0
        self.cum_applied = 0.0
        self.write_log: deque[tuple[float, float]] = deque()

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"

    @property
    def apply_seconds(self) -> float:
        """Time one of a replica's workers spends replaying one logged write. Replaying a
        change costs about half of executing it, so a replica of the primary's size keeps
        up with its write load with room to spare; a much smaller one falls behind."""
        return self.service_time / 2.0

    @property
    def apply_rate(self) -> float:
        """Writes/s a replica applies with all its workers (and nothing else to do)."""
        return self.workers / self.apply_seconds
