"""Poisson variates from a simulation's own random.Random (the stdlib has none in 3.11)."""

from __future__ import annotations

import math
import random


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0.0:
        return 0
    if mean < 30.0:
        # Inversion by sequential search: exact and fast for small means.
        u = rng.random()
        p = math.exp(-mean)
        k = 0
        cdf = p
        while u > cdf and k < 1000:
            k += 1
            p *= mean / k
            cdf += p
        return k
    return _ptrs(rng, mean)


def _ptrs(rng: random.Random, lam: float) -> int:
    """Hormann's transformed rejection with squeeze (PTRS), exact for lam >= 10."""
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1)
        ):
            return k
