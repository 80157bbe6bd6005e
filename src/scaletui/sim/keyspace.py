"""Key popularity: Zipf over N keys, bucketed so that models over it stay cheap.

The first ranks are kept one by one; the tail is grouped in log-spaced buckets whose
mass comes from the midpoint-integral of x^-alpha (accurate to well under 0.1% for
ranks past a hundred). The same KeySpace tells how keys spread over hash partitions
(cache nodes, shards): the most popular keys are hashed one by one, because a few of
them carry much of the load, and the tail is spread evenly.
"""

from __future__ import annotations

import bisect
import math
import random
from functools import lru_cache
from typing import Protocol

from scaletui.sim.summation import plain_sum

EXACT_RANKS = 100
BUCKET_GROWTH = 1.05
HASHED_RANKS = 2000
HOT_KEY = 0  # the celebrity key: outside the Zipf ranks 1..N


def key_hash(key: int) -> int:
    """splitmix64: a stable, well-mixed hash of a key id (Python's hash is not mixed)."""
    z = (key + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def partition_of(key: int, partitions: int) -> int:
    return key_hash(key) % partitions


class Partitioning(Protocol):
    """A map of keys to `parts` partitions (a count alone means hash mod n)."""

    @property
    def parts(self) -> int: ...

    def of(self, key: int) -> int: ...

    def key_shares(self) -> tuple[float, ...] | None:
        """Share of the keys each partition holds (None: 1/parts each)."""

    def __hash__(self) -> int:
        """Hashable: the shares over it are memoized."""


def parts_and_map(partitions: "int | Partitioning"):
    """(how many partitions, key -> partition): a bare count means hash mod n."""
    if isinstance(partitions, int):
        n = partitions
        return n, lambda key: partition_of(key, n)
    return partitions.parts, partitions.of


def _power_integral(lo: float, hi: float, alpha: float) -> float:
    if abs(alpha - 1.0) < 1e-12:
        return math.log(hi / lo)
    e = 1.0 - alpha
    return (hi**e - lo**e) / e


class KeySpace:
    """Zipf(alpha) popularity over keys 1..count."""

    def __init__(self, count: int, alpha: float) -> None:
        if count < 1:
            raise ValueError("a key space needs at least one key")
        self.count = count
        self.alpha = alpha
        counts: list[float] = []
        masses: list[float] = []
        exact = min(count, EXACT_RANKS)
        for i in range(1, exact + 1):
            counts.append(1.0)
            masses.append(i ** (-alpha))
        lo = exact + 1
        while lo <= count:
            hi = min(count, max(lo, int(lo * BUCKET_GROWTH)))
            counts.append(float(hi - lo + 1))
            masses.append(_power_integral(lo - 0.5, hi + 0.5, alpha))
            lo = hi + 1
        total = plain_sum(masses)
        self.bucket_counts = counts
        # Per-key probability within each bucket (bucket mass / keys in it).
        self.bucket_p = [m / total / n for m, n in zip(masses, counts)]
        self._norm = total

    def probability(self, rank: int) -> float:
        """Popularity of one key (1-based rank)."""
        if rank <= EXACT_RANKS:
            return rank ** (-self.alpha) / self._norm
        return _power_integral(rank - 0.5, rank + 0.5, self.alpha) / self._norm

    @lru_cache(maxsize=64)
    def partition_shares(self, partitions: "int | Partitioning") -> tuple[float, ...]:
        """Share of requests that land on each partition (a count: hash mod n); the
        tail spreads as the partitions' shares of the keys do."""
        n, part = parts_and_map(partitions)
        if n <= 1:
            return (1.0,)
        shares = [0.0] * n
        top = min(self.count, HASHED_RANKS)
        head = 0.0
        for rank in range(1, top + 1):
            p = self.probability(rank)
            shares[part(rank)] += p
            head += p
        tail = max(0.0, 1.0 - head)
        spread = None if isinstance(partitions, int) else partitions.key_shares()
        if spread is None:
            return tuple(s + tail / n for s in shares)
        return tuple(s + tail * k for s, k in zip(shares, spread))

    def sampler(self, rng: random.Random) -> "KeySampler":
        return KeySampler(self, rng)


class KeySampler:
    """Exact Zipf draws (inverse CDF over every key), for the per-request model."""

    def __init__(self, space: KeySpace, rng: random.Random) -> None:
        self.rng = rng
        weights = [i ** (-space.alpha) for i in range(1, space.count + 1)]
        acc = 0.0
        cdf = []
        for w in weights:
            acc += w
            cdf.append(acc)
        self._cdf = cdf
        self._total = acc

    def draw(self) -> int:
        return bisect.bisect_left(self._cdf, self.rng.random() * self._total) + 1
