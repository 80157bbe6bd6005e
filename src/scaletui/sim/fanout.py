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

from scaletui.sim.summation import plain_sum

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

_STEPS = 128  # Simpson's rule over 20 mean response times: well under 0.1% off
_SPAN = 20.0  # beyond, even the largest of 64 reads is left with e^-20 x 64 of its chance


def _cdf_on_grid(opts: tuple[ShardOption, ...], h: float, n: int) -> list[float]:
    """P(response <= i h) for i = 0..n of one shard read: a mixture over the shard's
    copies, each an exponential service plus, with probability pw, an exponential wait.
    On a uniform grid the exponentials are geometric sequences: no exp per point."""
    out = [0.0] * (n + 1)
    for p, delay, pw, svc, theta in opts:
        if p <= 0:
            continue
        i0 = max(0, math.ceil(delay / h - 1e-12))
        if i0 > n:
            continue
        u0 = i0 * h - delay
        mu = 1.0 / svc if svc > 0 else math.inf
        waits = pw > 0 and theta != math.inf
        a = math.exp(-mu * u0) if mu != math.inf else 0.0  # e^(-mu u)
        ra = math.exp(-mu * h) if mu != math.inf else 0.0
        b = math.exp(-theta * u0) if waits else 0.0  # e^(-theta u)
        rb = math.exp(-theta * h) if waits else 0.0
        close = waits and mu != math.inf and abs(theta - mu) < 1e-9 * mu
        for i in range(i0, n + 1):
            served = 1.0 - a
            if not waits:
                both = served
            elif mu == math.inf:
                both = 1.0 - b
            elif close:
                both = 1.0 - a * (1.0 + mu * (i * h - delay))
            else:
                both = 1.0 - (theta * a - mu * b) / (theta - mu)
            out[i] += p * ((1.0 - pw) * served + pw * both)
            a *= ra
            b *= rb
    return out


def mean_of_max(positions: list[tuple[tuple[ShardOption, ...], int]]) -> float:
    """E[max] of independent shard reads: the integral of 1 - prod F_j(t) (Simpson's rule).

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
                hi = max(hi, delay + _SPAN * (svc + wait) + 1e-9)
    if hi <= 0:
        return 0.0
    h = hi / _STEPS
    prod = [1.0] * (_STEPS + 1)
    for opts, m in positions:
        for i, f in enumerate(_cdf_on_grid(opts, h, _STEPS)):
            prod[i] *= f ** m
    tail = [1.0 - x for x in prod]
    odd = plain_sum(tail[1:_STEPS:2])
    even = plain_sum(tail[2:_STEPS - 1:2])
    return h / 3.0 * (tail[0] + 4.0 * odd + 2.0 * even + tail[-1])
