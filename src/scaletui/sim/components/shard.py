"""Shard: the primary of one key range of the database, once it is sharded.

Keys are spread over shards by hash; a hot key lands on exactly one of them.
Adding a shard reshards: the new shard boots while data moves, and the key mapping
changes only when every new shard is ready.
"""

from scaletui.sim.components.database import Database


class Shard(Database):
    kind_name = "shard"
