"""Which shard holds a key: hash mod n, or a consistent-hash ring; and what a change moves.

mod n: shard = hash(key) mod n. Growing from n to n+1 shards keeps a key only when
hash mod n == hash mod (n+1), so about n/(n+1) of the keys move, between every pair
of shards.

consistent: each shard owns `vnodes` points (virtual nodes) on a ring of 64-bit hashes,
and a key belongs to the first point at or after its own hash, wrapping around. A new
shard takes over only the arcs that end at its own points: about 1/(n+1) of the keys
move, every one of them to it. Arcs are random, so a shard's share deviates from 1/n
by about 1/sqrt(vnodes) of itself: the default of 4096 virtual nodes keeps that near
1.6%, so the keys a new shard takes stay within a point of 1/(n+1).

Switching scheme is itself a reshard: under the ring a key stays on its shard only by
chance (1/n), so about (n-1)/n of the keys move.

Shares are counted over the keys themselves (the first MOVE_SAMPLE of them, whose
hashes are as random as any), never taken from the formulas above.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache

from scaletui.sim.keyspace import HASHED_RANKS, HOT_KEY, KeySpace, key_hash

SCHEMES = ("mod", "consistent")
# What the log and the screens call each scheme (its key is what plans and scenarios write).
SCHEME_NAMES = {"mod": "hash mod n", "consistent": "consistent-hash ring"}
DEFAULT_VNODES = 4096
MOVE_SAMPLE = 20_000
_POINT_SALT = 1 << 48  # virtual-node ids sit far above any key id, so no point is a key's hash


@dataclass(frozen=True)
class Sharding:
    """How keys are spread over `shards` primaries."""

    shards: int
    scheme: str = "mod"
    vnodes: int = DEFAULT_VNODES

    @property
    def parts(self) -> int:
        return self.shards

    def of(self, key: int) -> int:
        """The shard (0-based position) that holds `key`."""
        if self.shards <= 1:
            return 0
        if self.scheme == "mod":
            return key_hash(key) % self.shards
        points, owners = _ring(self.shards, self.vnodes)
        i = bisect.bisect_left(points, key_hash(key))
        return owners[i] if i < len(owners) else owners[0]

    def key_shares(self) -> tuple[float, ...] | None:
        """Share of the keys each shard holds: None (1/n each) under hash mod n; on a
        ring, counted over keys, since arcs differ in length."""
        if self.scheme == "mod" or self.shards <= 1:
            return None
        return _ring_key_shares(self)

    def describe(self) -> str:
        if self.scheme == "mod":
            return "hash mod n"
        return f"a consistent-hash ring ({self.vnodes} virtual nodes a shard)"


@lru_cache(maxsize=16)
def _ring(shards: int, vnodes: int) -> tuple[list[int], list[int]]:
    """Sorted ring points and the shard owning each. Shard s's points do not depend on how
    many shards there are, which is what lets a new shard leave the others' arcs alone."""
    points = sorted((key_hash(_POINT_SALT + (s << 24) + v), s) for s in range(shards) for v in range(vnodes))
    return [p for p, _ in points], [s for _, s in points]


@lru_cache(maxsize=32)
def _ring_key_shares(sharding: Sharding, sample: int = MOVE_SAMPLE) -> tuple[float, ...]:
    counts = [0] * sharding.shards
    for k in range(1, sample + 1):
        counts[sharding.of(k)] += 1
    return tuple(c / sample for c in counts)


@dataclass(frozen=True)
class Moves:
    """What going from one sharding to another moves, as shares of all keys."""

    share: float  # keys whose shard changes
    out: tuple[float, ...]  # per shard position: keys that leave it
    into: tuple[float, ...]  # per shard position: keys that arrive on it


@lru_cache(maxsize=32)
def key_moves(before: Sharding, after: Sharding, sample: int = MOVE_SAMPLE) -> Moves:
    """Counted key by key over keys 1..sample with both partitionings."""
    n = max(before.shards, after.shards)
    out = [0] * n
    into = [0] * n
    moved = 0
    for k in range(1, sample + 1):
        a, b = before.of(k), after.of(k)
        if a != b:
            moved += 1
            out[a] += 1
            into[b] += 1
    return Moves(moved / sample, tuple(x / sample for x in out), tuple(x / sample for x in into))


@lru_cache(maxsize=32)
def moved_request_share(keys: KeySpace, before: Sharding, after: Sharding) -> float:
    """Share of requests (Zipf-weighted, hot key aside) for keys that move: the popular
    keys one by one, the tail at the share of keys that move."""
    head = 0.0
    moved = 0.0
    for rank in range(1, min(keys.count, HASHED_RANKS) + 1):
        p = keys.probability(rank)
        head += p
        if before.of(rank) != after.of(rank):
            moved += p
    return moved + max(0.0, 1.0 - head) * key_moves(before, after).share


def hot_key_moves(before: Sharding, after: Sharding) -> bool:
    return before.of(HOT_KEY) != after.of(HOT_KEY)
