"""Moving keys between shards: how long it takes and the load it puts on them.

Each moved key is read on its source shard and written on its target, each costing
`ms_per_key` of one worker's time (bulk copies in batches: far less than a request).
A migration is throttled so that no shard handles more than `keys_per_s` moved keys a
second, so it lasts

    duration = max over shards of (keys out + keys in) / keys_per_s

and while it runs shard i is busier by

    extra busy workers = (keys out + keys in of shard i) x ms_per_key / duration

which is keys_per_s x ms_per_key on the busiest shard, less on the others. Hash mod n
moves keys between every pair of shards, so every shard carries that load, for longer;
a consistent-hash ring moves keys only into the new shard. When it ends the new mapping
takes over, and the cache entries of every moved key are dropped (they miss next time).
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.sim.sharding import Moves, Sharding


@dataclass(frozen=True)
class Migration:
    before: Sharding
    after: Sharding
    moves: Moves
    key_count: int  # keys in the data set
    keys_per_s: float  # at most this many moved keys a second on any one shard
    ms_per_key: float  # worker time per moved key, on its source and on its target

    def keys_through(self, shard: int) -> float:
        """Keys that leave or arrive on `shard`."""
        m = self.moves
        out = m.out[shard] if shard < len(m.out) else 0.0
        into = m.into[shard] if shard < len(m.into) else 0.0
        return (out + into) * self.key_count

    @property
    def moved_keys(self) -> float:
        return self.moves.share * self.key_count

    @property
    def duration(self) -> float:
        busiest = max((self.keys_through(s) for s in range(len(self.moves.out))), default=0.0)
        return busiest / self.keys_per_s if self.keys_per_s > 0 else 0.0

    def busy_workers(self, shard: int) -> float:
        """Worker-seconds per second the migration takes on `shard` while it runs."""
        d = self.duration
        if d <= 0:
            return 0.0
        return self.keys_through(shard) * self.ms_per_key / 1000.0 / d
