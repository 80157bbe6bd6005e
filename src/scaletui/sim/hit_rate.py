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

A cache that invalidates on write (`inval`: the write rate over the key space it sees)
also loses a key's entry at its next write. Without a TTL a key read r and written w
times/s is then held when, looking back from now, the first read or write within the
characteristic time t is a read: r/(r+w) (1 - e^(-(r+w)t)), during the warm-up too
(t = age). With a TTL an entry lives min(TTL, time to the next write), on average
m = (1 - e^(-wT))/w, and the TTL factor becomes r m / (1 + r m) (a renewal: cached for
m, then absent until the next read).
"""

from __future__ import annotations

import math
from functools import lru_cache

from scaletui.sim.keyspace import HASHED_RANKS, KeySpace, Partitioning, parts_and_map
from scaletui.sim.summation import plain_sum

INFINITE = math.inf


def _ttl_factor(x: float) -> float:
    # x = rate * ttl
    return x / (1.0 + x)


def entry_life(ttl: float, write_rate: float) -> float:
    """Mean life of an entry that expires after `ttl` and is invalidated by the key's next
    write (Poisson, `write_rate` per second): E[min(ttl, Exp(w))]."""
    if write_rate <= 0:
        return ttl
    if ttl == INFINITE:
        return 1.0 / write_rate
    return -math.expm1(-write_rate * ttl) / write_rate


def _life_factor(r: float, ttl: float, w: float) -> float:
    """Share of time a key read r times/s is held, from expiry and invalidation alone."""
    if ttl == INFINITE and w <= 0:
        return 1.0
    return _ttl_factor(r * entry_life(ttl, w))


def ttl_in_force(ttl: float, age: float) -> float:
    """The TTL that shapes a cache `age` seconds after it started empty: none before the
    first TTL has passed (no entry has expired yet), `ttl` from then on."""
    return INFINITE if age < ttl else ttl


class HitRateModel:
    """Hit rates of caches over one key space."""

    def __init__(self, keys: KeySpace) -> None:
        self.keys = keys

    def stay(self, r: float, t: float, ttl: float, w: float = 0.0) -> float:
        """Probability that a key read r times/s (written w times/s, invalidating) is held,
        in a cache of characteristic time t."""
        if ttl == INFINITE and w > 0:
            return r / (r + w) * (1.0 if t == INFINITE else -math.expm1(-(r + w) * t))
        stay = 1.0 if t == INFINITE else -math.expm1(-r * t)
        if ttl != INFINITE or w > 0:
            stay *= _life_factor(r, ttl, w)
        return stay

    def _occupancy_and_hits(self, rate: float, t: float, ttl: float, inval: float = 0.0) -> tuple[float, float]:
        occ = 0.0
        hits = 0.0
        if inval > 0:
            for n, p in zip(self.keys.bucket_counts, self.keys.bucket_p):
                stay = self.stay(rate * p, t, ttl, inval * p)
                occ += n * stay
                hits += n * p * stay
            return occ, hits
        # Without invalidation (most caches), inline: this loop is the model's hot path.
        for n, p in zip(self.keys.bucket_counts, self.keys.bucket_p):
            r = rate * p
            stay = 1.0 if t == INFINITE else -math.expm1(-r * t)
            if ttl != INFINITE:
                stay *= _ttl_factor(r * ttl)
            occ += n * stay
            hits += n * p * stay
        return occ, hits

    @lru_cache(maxsize=4096)
    def characteristic_time(self, capacity: float, rate: float, ttl: float, inval: float = 0.0) -> float:
        """Che's T for a cache of `capacity` items fed `rate` requests/s (inf if all fit)."""
        if capacity >= self.keys.count:
            return INFINITE
        if rate <= 0:
            return INFINITE
        occ_inf, _ = self._occupancy_and_hits(rate, INFINITE, ttl, inval)
        if occ_inf <= capacity:
            return INFINITE
        lo, hi = -40.0, 40.0  # bisection on log(rate * T)
        for _ in range(60):
            mid = (lo + hi) / 2.0
            occ, _ = self._occupancy_and_hits(rate, math.exp(mid) / rate, ttl, inval)
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
        self, capacity: float, rate: float, ttl: float = INFINITE, age: float = INFINITE, inval: float = 0.0
    ) -> float:
        """Hit probability of a request for a Zipf key.

        `rate` is the request rate over the whole key space as this cache sees it, in
        requests/s; `ttl` and `age` (time since the cache last started empty) in seconds;
        `inval` the write rate that invalidates its entries (0: writes leave them).
        """
        if capacity <= 0 or rate <= 1e-12 or age <= 0:
            return 0.0
        if ttl_in_force(ttl, age) != INFINITE:
            return self._steady(float(capacity), _quantize(rate), ttl, _quantize_or_zero(inval))
        if age < self.warm_time(capacity, rate):
            # Warming: the curve is smooth in log(age) and log(rate); 1% steps of each let
            # a whole warm-up reuse a few hundred evaluations instead of one per tick.
            return self._warming(_quantize(rate), _quantize(max(age, 1e-3)), _quantize_or_zero(inval))
        if inval > 1e-12:
            return self._steady(float(capacity), _quantize(rate), ttl, _quantize(inval))
        # Without a TTL the steady state does not depend on the rate (T scales as 1/rate).
        return self._steady(float(capacity), 1.0, INFINITE)

    def key_hit_rate(
        self, key_rate: float, capacity: float, rate: float, ttl: float = INFINITE, age: float = INFINITE,
        inval: float = 0.0, key_writes: float = 0.0,
    ) -> float:
        """Hit probability of one key requested `key_rate` times/s (such as a celebrity key
        outside the Zipf ranks) in a cache whose Zipf traffic is `rate` requests/s
        (`inval`: its Zipf write rate if it invalidates; `key_writes`: this key's)."""
        if key_rate <= 0 or capacity <= 0 or age <= 0:
            return 0.0
        writes = key_writes if inval > 1e-12 else 0.0
        if ttl_in_force(ttl, age) == INFINITE:
            return self.stay(key_rate, min(age, self.warm_time(capacity, rate or 1.0)), INFINITE, writes)
        stay = self.key_stay_time(capacity, rate, ttl, inval)
        return -math.expm1(-key_rate * stay) * _life_factor(key_rate, ttl, writes)

    def key_stay_time(self, capacity: float, rate: float, ttl: float, inval: float = 0.0) -> float:
        """Che's T in seconds for a steady cache (inf if everything fits)."""
        if rate <= 1e-12:
            return INFINITE
        rate_q = _quantize(rate)
        return self.characteristic_time(float(capacity), rate_q, ttl, _quantize_or_zero(inval)) * rate_q / rate

    @lru_cache(maxsize=8192)
    def _warming(self, rate: float, age: float, inval: float = 0.0) -> float:
        if inval > 0 or age == INFINITE:
            return self._occupancy_and_hits(rate, age, INFINITE, inval)[1]
        # _occupancy_and_hits's hits without its occupancy (unused here), by the same
        # arithmetic: a warming cache comes here every 1% of its age.
        hits = 0.0
        expm1 = math.expm1
        for n, p in zip(self.keys.bucket_counts, self.keys.bucket_p):
            hits += n * p * -expm1(-(rate * p) * age)
        return hits

    @lru_cache(maxsize=4096)
    def _steady(self, capacity: float, rate: float, ttl: float, inval: float = 0.0) -> float:
        t = self.characteristic_time(capacity, rate, ttl, inval)
        return self._occupancy_and_hits(rate, t, ttl, inval)[1]


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

    @lru_cache(maxsize=64)
    def _head(self, parts: int | Partitioning) -> tuple[list[float], list[int]]:
        """The probability and the partition of each hashed rank, 1 to HASHED_RANKS: a
        warming cache's miss curve is recomputed often, over the same ranks."""
        keys = self.keys
        _, part = parts_and_map(parts)
        ranks = range(1, min(keys.count, HASHED_RANKS) + 1)
        return [keys.probability(rank) for rank in ranks], [part(rank) for rank in ranks]

    @lru_cache(maxsize=2048)
    def _miss_shares(self, parts: int | Partitioning, rate: float, log_rt: float, ttl: float) -> tuple[float, ...]:
        keys = self.keys
        count, _ = parts_and_map(parts)
        rt = math.exp(log_rt) if log_rt != INFINITE else INFINITE  # rate * T
        shares = [0.0] * count
        head_miss = 0.0
        head_p = 0.0
        probabilities, owners = self._head(parts)
        for p, owner in zip(probabilities, owners):
            stay = 1.0 if rt == INFINITE else -math.expm1(-rt * p)
            if ttl != INFINITE:
                stay *= _ttl_factor(rate * p * ttl)
            m = p * (1.0 - stay)
            shares[owner] += m
            head_miss += m
            head_p += p
        total_miss = 0.0
        for n, p in zip(keys.bucket_counts, keys.bucket_p):
            stay = 1.0 if rt == INFINITE else -math.expm1(-rt * p)
            if ttl != INFINITE:
                stay *= _ttl_factor(rate * p * ttl)
            total_miss += n * p * (1.0 - stay)
        tail = max(0.0, total_miss - head_miss)
        total = plain_sum(shares) + tail
        if total <= 0:
            return keys.partition_shares(parts)
        spread = None if isinstance(parts, int) else parts.key_shares()
        if spread is None:
            return tuple((x + tail / count) / total for x in shares)
        return tuple((x + tail * k) / total for x, k in zip(shares, spread))


def _quantize(rate: float) -> float:
    """Round a rate to 1% steps on a log scale so cached solutions can be reused."""
    return math.exp(round(math.log(rate) * 100.0) / 100.0)


def _quantize_or_zero(rate: float) -> float:
    return _quantize(rate) if rate > 1e-12 else 0.0
