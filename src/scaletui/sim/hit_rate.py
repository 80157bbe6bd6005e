"""Cache hit rates under Zipf keys: Che's approximation, with TTL and warm-up.

An LRU cache of C items behaves as if each key stays for a characteristic time T
after its last request, with T fixed by sum_i P(key i cached) = C (Che, Tran and
Vecchio). A key requested at rate r is then cached with probability 1 - exp(-r T).
With a TTL (expire after insertion) a key alone would be cached a fraction
rTTL/(1+rTTL) of the time; the two are combined as a product. A cache that restarted
`age` seconds ago cannot have kept anything longer than that, so T becomes min(T, age):
this is the warm-up after a crash (and why a cold cache sends a herd to the database).
A TTL splits the warm-up in two. During the first TTL after a (re)start nothing has
expired yet, so the cache warms exactly as one without a TTL. From then on whatever it
holds was stored within the last TTL, after the start: its contents no longer depend on
the start, and the steady state (with the TTL factor) applies.
By PASTA the probability that a key is cached is its hit probability.
"""

from __future__ import annotations

import math
from functools import lru_cache

from scaletui.sim.keyspace import HASHED_RANKS, KeySpace, Partitioning, parts_and_map

INFINITE = math.inf


def _ttl_factor(x: float) -> float:
    # x = rate * ttl
    return x / (1.0 + x)


def ttl_in_force(ttl: float, age: float) -> float:
    """The TTL that shapes a cache `age` seconds after it started empty: none before the
    first TTL has passed (no entry has expired yet), `ttl` from then on."""
    return INFINITE if age < ttl else ttl


class HitRateModel:
    """Hit rates of caches over one key space."""

    def __init__(self, keys: KeySpace) -> None:
        self.keys = keys

    def _occupancy_and_hits(self, rate: float, t: float, ttl: float) -> tuple[float, float]:
        occ = 0.0
        hits = 0.0
        for n, p in zip(self.keys.bucket_counts, self.keys.bucket_p):
            r = rate * p
            stay = 1.0 if t == INFINITE else -math.expm1(-r * t)
            if ttl != INFINITE:
                stay *= _ttl_factor(r * ttl)
            occ += n * stay
            hits += n * p * stay
        return occ, hits

    @lru_cache(maxsize=4096)
    def characteristic_time(self, capacity: float, rate: float, ttl: float) -> float:
        """Che's T for a cache of `capacity` items fed `rate` requests/s (inf if all fit)."""
        if capacity >= self.keys.count:
            return INFINITE
        if rate <= 0:
            return INFINITE
        occ_inf, _ = self._occupancy_and_hits(rate, INFINITE, ttl)
        if occ_inf <= capacity:
            return INFINITE
        lo, hi = -40.0, 40.0  # bisection on log(rate * T)
        for _ in range(60):
            mid = (lo + hi) / 2.0
            occ, _ = self._occupancy_and_hits(rate, math.exp(mid) / rate, ttl)
            if occ < capacity:
                lo = mid
            else:
                hi = mid
        return math.exp((lo + hi) / 2.0) / rate

    def warm_time(self, capacity: float, rate: float) -> float:
        """Seconds after a restart at which a cache without a TTL reaches its steady hit
        rate (one with a TTL reaches it after one TTL: see the module's docstring)."""
        if rate <= 1e-12:
            return 0.0
        t = self.characteristic_time(float(capacity), 1.0, INFINITE)
        if t == INFINITE:
            # Everything fits: warm once even the rarest key has almost surely been seen.
            return 50.0 / (rate * min(self.keys.bucket_p))
        return t / rate

    def hit_rate(
        self, capacity: float, rate: float, ttl: float = INFINITE, age: float = INFINITE
    ) -> float:
        """Hit probability of a request for a Zipf key.

        `rate` is the request rate over the whole key space as this cache sees it, in
        requests/s; `ttl` and `age` (time since the cache last started empty) in seconds.
        """
        if capacity <= 0 or rate <= 1e-12 or age <= 0:
            return 0.0
        if ttl_in_force(ttl, age) != INFINITE:
            return self._steady(float(capacity), _quantize(rate), ttl)
        if age < self.warm_time(capacity, rate):
            # Warming: the curve is smooth in log(age) and log(rate); 1% steps of each let
            # a whole warm-up reuse a few hundred evaluations instead of one per tick.
            return self._warming(_quantize(rate), _quantize(max(age, 1e-3)))
        # Without a TTL the steady state does not depend on the rate (T scales as 1/rate).
        return self._steady(float(capacity), 1.0, INFINITE)

    def key_hit_rate(
        self, key_rate: float, capacity: float, rate: float, ttl: float = INFINITE, age: float = INFINITE
    ) -> float:
        """Hit probability of one key requested `key_rate` times/s (such as a celebrity key
        outside the Zipf ranks) in a cache whose Zipf traffic is `rate` requests/s."""
        if key_rate <= 0 or capacity <= 0 or age <= 0:
            return 0.0
        if ttl_in_force(ttl, age) == INFINITE:
            return -math.expm1(-key_rate * min(age, self.warm_time(capacity, rate or 1.0)))
        stay = INFINITE
        if rate > 1e-12:
            rate_q = _quantize(rate)
            stay = self.characteristic_time(float(capacity), rate_q, ttl) * rate_q / rate
        return -math.expm1(-key_rate * stay) * _ttl_factor(key_rate * ttl)

    @lru_cache(maxsize=8192)
    def _warming(self, rate: float, age: float) -> float:
        return self._occupancy_and_hits(rate, age, INFINITE)[1]

    @lru_cache(maxsize=4096)
    def _steady(self, capacity: float, rate: float, ttl: float) -> float:
        t = self.characteristic_time(capacity, rate, ttl)
        return self._occupancy_and_hits(rate, t, ttl)[1]


    def miss_partition_shares(
        self, parts: int | Partitioning, capacity: float, rate: float, ttl: float = INFINITE,
        age: float = INFINITE
    ) -> tuple[float, ...]:
        """How the misses of such a cache spread over `parts` partitions (shards; a count
        means hash mod n).

        The popular keys mostly hit, so misses are dominated by the tail and spread far
        more evenly than requests do.
        """
        if parts_and_map(parts)[0] <= 1:
            return (1.0,)
        if capacity <= 0 or rate <= 1e-12 or age <= 0:
            return self.keys.partition_shares(parts)
        ttl = ttl_in_force(ttl, age)
        if ttl == INFINITE:
            t1 = self.characteristic_time(float(capacity), 1.0, ttl)  # at rate 1; scales as 1/rate
            x = min(t1, age * rate)  # rate * T: what the per-key stay depends on
            return self._miss_shares(parts, 1.0, round(math.log(x), 2) if x != INFINITE else INFINITE, ttl)
        rate_q = _quantize(rate)
        t = self.characteristic_time(float(capacity), rate_q, ttl)  # past the first TTL: steady
        return self._miss_shares(parts, rate_q, round(math.log(rate_q * t), 2) if t != INFINITE else INFINITE, ttl)

    @lru_cache(maxsize=2048)
    def _miss_shares(self, parts: int | Partitioning, rate: float, log_rt: float, ttl: float) -> tuple[float, ...]:
        keys = self.keys
        count, part = parts_and_map(parts)
        rt = math.exp(log_rt) if log_rt != INFINITE else INFINITE  # rate * T
        shares = [0.0] * count
        head_miss = 0.0
        head_p = 0.0
        top = min(keys.count, HASHED_RANKS)
        for rank in range(1, top + 1):
            p = keys.probability(rank)
            stay = 1.0 if rt == INFINITE else -math.expm1(-rt * p)
            if ttl != INFINITE:
                stay *= _ttl_factor(rate * p * ttl)
            m = p * (1.0 - stay)
            shares[part(rank)] += m
            head_miss += m
            head_p += p
        total_miss = 0.0
        for n, p in zip(keys.bucket_counts, keys.bucket_p):
            stay = 1.0 if rt == INFINITE else -math.expm1(-rt * p)
            if ttl != INFINITE:
                stay *= _ttl_factor(rate * p * ttl)
            total_miss += n * p * (1.0 - stay)
        tail = max(0.0, total_miss - head_miss)
        total = sum(shares) + tail
        if total <= 0:
            return keys.partition_shares(parts)
        spread = None if isinstance(parts, int) else parts.key_shares()
        if spread is None:
            return tuple((x + tail / count) / total for x in shares)
        return tuple((x + tail * k) / total for x, k in zip(shares, spread))


def _quantize(rate: float) -> float:
    """Round a rate to 1% steps on a log scale so cached solutions can be reused."""
    return math.exp(round(math.log(rate) * 100.0) / 100.0)
