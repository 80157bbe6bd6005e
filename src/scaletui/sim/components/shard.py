"""Shard: the primary of one key range of the database, once it is sharded.

Keys are spread over shards by hash (mod n, or on a ring: sim/sharding.py); a hot key
lands on exactly one of them. Adding a shard reshards: the new shard is provisioned,
then the keys that move are copied (sim/migration.py), and the key mapping changes
when the copy ends.
"""

from scaletui.sim.components.database import Database


class Shard(Database):
    kind_name = "shard"
