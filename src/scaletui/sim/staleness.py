"""Stale cache reads in the flow plane: how often a hit returns a value the database has
since changed.

What a committed write does to the cache is its write policy:
- none: nothing; the entry keeps the old value until it expires or is evicted;
- invalidate: the write deletes the key's entry, and the next read fetches the new value;
- update: the write replaces the value held (the entry keeps its TTL).

Under `none` a hit on an entry stored `a` seconds ago is stale if the key was written
since: 1 - e^(-wa) for writes at rate w. An entry kept for exactly T (the TTL) is hit
evenly over its life, so a hit is stale with probability 1 - (1 - e^(-wT))/(wT). LRU may
end an entry first: by Che's approximation it goes Tc after its last read, which takes
(e^(rTc) - 1)/r on average for reads at rate r; that life is taken as exponential with
this mean (rate l), which gives 1 - [(1 - e^(-(l+w)T))/(l+w)] / [(1 - e^(-lT))/l]. No
entry is older than the cache itself: T is at most its age.

Under `invalidate` and `update` only the race window is stale. A read that missed takes
the value the database had when it reached it (a replica's value is its lag L older) and
stores it when the answer comes back, d later (its wait and service there); a write
committed in that window of L + d invalidates or updates nothing yet, and the old value
is stored after it. A fill is stale with probability 1 - e^(-w (L + d)), except after an
invalidation: that miss comes when the key is next read, Exp(r) after the write, and
stores the old value from a replica if it comes within L of it: 1 - e^(-w d) e^(-r L).
So a cache that invalidates in front of lagging replicas refills popular keys with the
old value. With `invalidate` a stale entry ends at the key's next write like any other,
so the share of stale fills is the share of stale hits; with `update` the next write
makes it fresh, so it is stale only until then.
"""

from __future__ import annotations

import math
from functools import lru_cache

from scaletui.sim.hit_rate import INFINITE, HitRateModel, ttl_in_force

NONE = "none"
INVALIDATE = "invalidate"
UPDATE = "update"
WRITE_POLICIES = (INVALIDATE, UPDATE, NONE)
# One line each for help and dialogs.
WRITE_POLICY_HELP = (
    (INVALIDATE, "a write deletes its key's entry: fresh reads, a few more misses"),
    (UPDATE, "a write replaces the cached value: fresh reads, hits kept"),
    (NONE, "writes leave the cache alone: stale reads until the TTL"),
)


def _held_integral(k: float, life: float) -> float:
    """Integral of e^(-k a) over ages a in [0, life)."""
    if life == INFINITE:
        return INFINITE if k <= 0 else 1.0 / k
    if k <= 0:
        return life
    return -math.expm1(-k * life) / k


def fresh_share(write_rate: float, life: float, lru_rate: float = 0.0) -> float:
    """Share of a key's hits that find no write since their entry was stored, for an entry
    that lives at most `life` and is evicted at rate `lru_rate` meanwhile."""
    if write_rate <= 0:
        return 1.0
    held = _held_integral(lru_rate, life)
    if held == INFINITE:
        return 0.0  # kept for ever: every hit comes after some write
    return _held_integral(lru_rate + write_rate, life) / held


def lru_end_rate(read_rate: float, stay: float) -> float:
    """1 / the mean life of an entry that LRU evicts `stay` seconds after its last read."""
    x = read_rate * stay
    if stay == INFINITE or x > 700.0:
        return 0.0
    if read_rate <= 0:
        return 1.0 / stay
    return read_rate / math.expm1(x)


def ended_by_write(write_rate: float, life: float, lru_rate: float) -> float:
    """Probability that an entry's life (at most `life`, evicted at `lru_rate`) ends at a
    write of its key rather than by expiry or eviction."""
    k = write_rate + lru_rate
    if k <= 0:
        return 0.0
    return write_rate / k * (1.0 if life == INFINITE else -math.expm1(-k * life))


def stale_hit_share(policy: str, read_rate: float, write_rate: float, life: float, stay: float,
                    window: tuple[float, float]) -> float:
    """Share of one key's hits that return an old value (see the module's docstring);
    `window`: (the database's response time d, the replica lag L) of a read that missed."""
    if write_rate <= 0:
        return 0.0
    lru = lru_end_rate(read_rate, stay)
    if policy == NONE:
        return 1.0 - fresh_share(write_rate, life, lru)
    d, lag = window
    if policy == INVALIDATE:
        after_write = ended_by_write(write_rate, life, lru)
        fresh_fill = math.exp(-write_rate * d) * (after_write * math.exp(-read_rate * lag)
                                                  + (1 - after_write) * math.exp(-write_rate * lag))
        return 1.0 - fresh_fill
    return -math.expm1(-write_rate * (d + lag)) * fresh_share(write_rate, life, lru)


class StaleReadModel:
    """Stale hits per lookup of a cache over Zipf keys, on the hit-rate model's terms."""

    def __init__(self, hits: HitRateModel) -> None:
        self.hits = hits

    def _stay_time(self, capacity: float, rate: float, ttl: float, age: float, inval: float) -> tuple[float, float, float]:
        """(Che's time, the TTL and the invalidating write rate shaping the cache now),
        by the hit-rate model's own cases: TTL in force, warming, warm."""
        h = self.hits
        if ttl_in_force(ttl, age) != INFINITE:
            return h.key_stay_time(capacity, rate, ttl, inval), ttl, inval
        if age < h.warm_time(capacity, rate):
            return age, INFINITE, inval
        if inval <= 1e-12:
            # Without a TTL, Che's time scales as 1/rate: the hit model's one solution serves.
            return h.characteristic_time(float(capacity), 1.0, INFINITE) / rate, INFINITE, 0.0
        return h.key_stay_time(capacity, rate, INFINITE, inval), INFINITE, inval

    def zipf_stale(self, policy: str, capacity: float, rate: float, ttl: float, age: float,
                   write_rate: float, window: tuple[float, float]) -> float:
        """Stale hits per lookup of a Zipf key (`rate`, `write_rate`: over the key space)."""
        if write_rate <= 1e-12 or rate <= 1e-12 or capacity <= 0 or age <= 0:
            return 0.0
        # Without a write policy the race window plays no part: one figure for any.
        window = (0.0, 0.0) if policy == NONE else (_q(window[0]), _q(window[1]))
        return self._zipf_stale(policy, float(capacity), _q(rate), ttl, _q(age, 10.0), _q(write_rate), window)

    @lru_cache(maxsize=4096)
    def _zipf_stale(self, policy: str, capacity: float, rate: float, ttl: float, age: float,
                    write_rate: float, window: tuple[float, float]) -> float:
        inval = write_rate if policy == INVALIDATE else 0.0
        stay, shaping_ttl, shaping_inval = self._stay_time(capacity, rate, ttl, age, inval)
        life = min(ttl, age)
        keys = self.hits.keys
        if policy == NONE:
            return _none_stale(keys.bucket_counts, keys.bucket_p, rate, write_rate, stay, shaping_ttl, life)
        stale = 0.0
        for n, p in zip(keys.bucket_counts, keys.bucket_p):
            r, w = rate * p, write_rate * p
            held = self.hits.stay(r, stay, shaping_ttl, shaping_inval * p)
            stale += n * p * held * stale_hit_share(policy, r, w, life, stay, window)
        return stale

    def key_stale_share(self, policy: str, key_rate: float, key_writes: float, capacity: float, rate: float,
                        ttl: float, age: float, write_rate: float, window: tuple[float, float]) -> float:
        """Share of one key's hits that are stale (the hot key's), in such a cache."""
        if key_writes <= 0 or key_rate <= 0 or age <= 0:
            return 0.0
        inval = write_rate if policy == INVALIDATE else 0.0
        stay, _, _ = self._stay_time(capacity, rate, ttl, age, inval) if rate > 1e-12 else (INFINITE, ttl, 0.0)
        return stale_hit_share(policy, key_rate, key_writes, min(ttl, age), stay, window)


def _none_stale(counts: list[float], probs: list[float], rate: float, write_rate: float, stay: float,
                ttl: float, life: float) -> float:
    """stale_hit_share(NONE, ...) x the hit model's held share, summed over the buckets,
    written out: without a write policy (most caches) this is the hot path."""
    expm1 = math.expm1
    stale = 0.0
    for n, p in zip(counts, probs):
        r, w = rate * p, write_rate * p
        held = 1.0 if stay == INFINITE else -expm1(-r * stay)
        if ttl != INFINITE:
            held *= r * ttl / (1.0 + r * ttl)
        if held <= 0.0 or w <= 0.0:
            continue
        x = r * stay
        lru = 0.0 if stay == INFINITE or x > 700.0 else (r / expm1(x) if r > 0 else 1.0 / stay)
        k = lru + w
        if life == INFINITE:
            fresh = lru / k
        else:
            kept = life if lru <= 0 else -expm1(-lru * life) / lru
            fresh = -expm1(-k * life) / k / kept
        stale += n * p * held * (1.0 - fresh)
    return stale


def _q(x: float, steps: float = 100.0) -> float:
    """1% steps on a log scale, as the hit-rate model's (10% for the cache's age, which
    grows every tick and only caps how old an entry can be), so that a steady cache
    reuses its figures."""
    if x == INFINITE or x <= 0:
        return x
    return math.exp(round(math.log(x) * steps) / steps)
