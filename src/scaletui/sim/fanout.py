"""Reads that need many shards at once (a feed, a search, a join), and denormalization.

A fan-out read of a key reads `k` shards in parallel: the key's own shard and the
k - 1 after it (in the order of the shards, wrapping round), and it is answered when
the slowest of them answers. So its latency is the maximum of k shard reads, and it
fails if any one of them fails. With the data denormalized, what it needs is copied
to those k shards in advance: it reads its own shard only, and every write is
written to all k (write amplification k).

Both planes take the rule from here; each computes what follows from it on its own.
"""

from __future__ import annotations

import math

FANOUT = "fanout"


def fan_width(requested: int | None, shards: int) -> int:
    """How many shards a fan-out read touches: `traffic.fanout_shards`, all when unset,
    never more than there are."""
    if shards <= 1:
        return 1
    return shards if requested is None else max(1, min(requested, shards))


def touched(start: int, width: int, shards: int) -> tuple[int, ...]:
    """Shard positions read (or written, denormalized) for a key of shard `start`."""
    return tuple((start + i) % shards for i in range(width))


def write_copies(cls: str, denormalized: bool, width: int) -> int:
    """Shards one request of the class goes to on the database tier (1: a single one)."""
    if cls == FANOUT:
        return 1 if denormalized else width
    if cls == "write" and denormalized:
        return width
    return 1


# An option of one shard position, for the mean of the maximum:
# (probability, network delay, probability of waiting, mean service, rate of the wait)
ShardOption = tuple[float, float, float, float, float]

_STEPS = 400


def _cdf(opts: tuple[ShardOption, ...], t: float) -> float:
    """P(response <= t) of one shard read: a mixture over the shard's copies, each an
    exponential service plus, with probability pw, an exponential wait."""
    total = 0.0
    for p, delay, pw, svc, theta in opts:
        u = t - delay
        if u <= 0 or p <= 0:
            continue
        mu = 1.0 / svc if svc > 0 else math.inf
        served = 1.0 - math.exp(-mu * u) if mu != math.inf else 1.0
        if pw <= 0 or theta == math.inf:
            total += p * served
            continue
        if mu == math.inf:
            both = 1.0 - math.exp(-theta * u)
        elif abs(theta - mu) < 1e-9 * mu:
            both = 1.0 - math.exp(-mu * u) * (1.0 + mu * u)
        else:
            both = 1.0 - (theta * math.exp(-mu * u) - mu * math.exp(-theta * u)) / (theta - mu)
        total += p * ((1.0 - pw) * served + pw * both)
    return total


def mean_of_max(positions: list[tuple[tuple[ShardOption, ...], int]]) -> float:
    """E[max] of independent shard reads: the integral of 1 - prod F_j(t).

    `positions`: each distinct shard read and how many of the touched shards read like it.
    The wait of a queueing station is taken as exponential with the station's mean wait
    (exact for M/M/c, Erlang C; an approximation when its queue is nearly full); the
    quantiles of fan-out reads come from samples of each shard's M/M/c/K response.
    """
    hi = 0.0
    for opts, _ in positions:
        for p, delay, pw, svc, theta in opts:
            if p > 0:
                wait = pw / theta if pw > 0 and theta not in (0.0, math.inf) else 0.0
                hi = max(hi, delay + 30.0 * (svc + wait) + 1e-9)
    if hi <= 0:
        return 0.0
    h = hi / _STEPS
    acc = 0.0
    prev = 1.0  # 1 - prod F at t = 0
    for i in range(1, _STEPS + 1):
        t = i * h
        prod = 1.0
        for opts, m in positions:
            prod *= _cdf(opts, t) ** m
        cur = 1.0 - prod
        acc += 0.5 * (prev + cur) * h
        prev = cur
    return acc
