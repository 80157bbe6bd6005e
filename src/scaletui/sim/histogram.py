"""Latency histograms weighted by request counts, as a monitoring system keeps them.

Bins are log-spaced, 1% wide, from 10 microseconds to 1000 seconds; a quantile is
read by linear interpolation inside its bin, so quantisation error stays under 0.5%.
"""

from __future__ import annotations

import math

LOW = 1e-5  # seconds
GROWTH = 1.01
_LOG_GROWTH = math.log(GROWTH)
BINS = int(math.ceil(math.log(1e3 / LOW) / _LOG_GROWTH)) + 1


def bin_of(seconds: float) -> int:
    if seconds <= LOW:
        return 0
    i = int(math.log(seconds / LOW) / _LOG_GROWTH) + 1
    return i if i < BINS else BINS - 1


def bin_edges(i: int) -> tuple[float, float]:
    if i == 0:
        return 0.0, LOW
    return LOW * GROWTH ** (i - 1), LOW * GROWTH**i


class LatencyHistogram:
    """Count-weighted latency distribution with an exact weighted mean."""

    __slots__ = ("weights", "total", "weighted_sum")

    def __init__(self) -> None:
        self.weights = [0.0] * BINS
        self.total = 0.0
        self.weighted_sum = 0.0

    def add(self, seconds: float, weight: float = 1.0) -> None:
        self.weights[bin_of(seconds)] += weight
        self.total += weight
        self.weighted_sum += seconds * weight

    def add_mean(self, mean_seconds: float, weight: float) -> None:
        """Account `weight` requests of known mean latency without placing them.

        The flow engine knows each path's mean exactly but only samples its shape;
        keeping the two apart makes the mean exact and the quantiles sampled.
        """
        self.weighted_sum += mean_seconds * weight

    def add_shape(self, seconds: float, weight: float) -> None:
        """Place weight for the quantiles only (the mean is accounted by add_mean)."""
        self.weights[bin_of(seconds)] += weight
        self.total += weight

    def merge(self, other: "LatencyHistogram") -> None:
        w = self.weights
        for i, x in enumerate(other.weights):
            if x:
                w[i] += x
        self.total += other.total
        self.weighted_sum += other.weighted_sum

    def mean(self) -> float:
        return self.weighted_sum / self.total if self.total > 0 else 0.0

    def quantile(self, p: float) -> float:
        if self.total <= 0:
            return 0.0
        target = p * self.total
        acc = 0.0
        for i, x in enumerate(self.weights):
            if x and acc + x >= target:
                lo, hi = bin_edges(i)
                frac = (target - acc) / x
                return lo + (hi - lo) * frac
            acc += x
        return bin_edges(BINS - 1)[1]
