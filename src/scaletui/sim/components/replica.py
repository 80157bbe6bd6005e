"""Read replica: serves reads for its group and replays the primary's writes.

Replication is asynchronous: a write reaches a replica after the network delay plus
the time its apply stream needs, so lag grows with write load (and without bound when
writes outpace the apply rate). Writes inside that lag window are lost if the
primary crashes and this replica is promoted.
"""

from scaletui.sim.components.database import Database


class Replica(Database):
    kind_name = "replica"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role = "replica"
