"""How long a thread-per-request web tier holds a worker, found tick by tick.

The flow plane evaluates the web tier before what is behind it, so it uses a hold time
D_in (the time past the web tier) to compute the web tier and then observes D_out, the
time requests actually spent behind it. The two agree at a fixed point D*: with a
longer hold the web tier admits fewer requests, so the database answers faster, and
D_out falls as D_in grows. Taking D_out as the next D_in converges while the database
is far from full; near its capacity D_out swings from milliseconds to seconds and the
iteration oscillates (all threads held one tick, none the next).

Because D_out - D_in changes sign exactly once, at D*, each tick also brackets D*: a
D_in with D_out above it lies below D*, one with D_out below it lies above. The next
D_in is D_out while that stays inside the bracket, and the bracket's geometric middle
when it does not (bisection). The load moves D*: a side of the bracket that no tick has
confirmed for FRESH ticks is dropped (by then bisection has closed in on it, so D* is
most likely past it). Without a bracket on a side, D_in moves toward D_out by at most a
doubling (plus STEP) or a halving per tick, so that one tick's extreme answer near the
database's capacity cannot swing the next one.
"""

from __future__ import annotations

import math

STEP = 0.01  # seconds: how far the hold may grow from nothing in one tick, beyond doubling
FRESH = 8  # ticks a side of the bracket stays evidence without being confirmed


class HoldSearch:
    """The next tick's hold time for one (data centre, request class)."""

    __slots__ = ("lo", "hi", "lo_at", "hi_at", "ticks")

    def __init__(self) -> None:
        self.lo: float | None = None  # latest D_in with D_out above it
        self.hi: float | None = None  # latest D_in with D_out below it
        self.lo_at = self.hi_at = 0  # the ticks that set them
        self.ticks = 0

    def next(self, used: float, observed: float) -> float:
        self.ticks += 1
        now = self.ticks
        if observed > used:
            self.lo, self.lo_at = used, now
        elif observed < used:
            self.hi, self.hi_at = used, now
        else:
            return observed
        if self.lo is not None and now - self.lo_at >= FRESH:
            self.lo = None
        if self.hi is not None and now - self.hi_at >= FRESH:
            self.hi = None
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None and lo < hi:
            if lo <= observed <= hi:
                return observed
            return math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2.0
        if observed > used:
            return min(observed, 2.0 * used + STEP)
        return max(observed, used / 2.0)
