"""Read replica: serves reads for its group and replays the primary's writes.

Replication is asynchronous: a write reaches a replica after the network delay plus
the time its apply stream needs, so lag grows with write load (and without bound when
writes outpace the apply rate). Writes inside that lag window are lost if the
primary crashes and this replica is promoted.
"""

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.database import Database


class Replica(Database):
    kind_name = "replica"

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        self.role = "replica"
