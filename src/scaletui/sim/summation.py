"""Sums that come out the same on every Python: left to right, one rounding per addition.

Python 3.12's `sum()` compensates the rounding of float sums, so the same figures summed
by `sum()` on 3.11 and on 3.12 part in the last bits, and a level balanced on a threshold
can turn (on 3.12 the campaign's millions was won with its key action three minutes
late). The engine, the scenario loader and the game sum with `plain_sum`: what `sum()`
gives on 3.11, on every version, compiled or not; integers stay integers.
"""

from __future__ import annotations

from functools import reduce
from operator import add
from typing import Iterable, TypeVar

N = TypeVar("N", int, float)


def plain_sum(values: Iterable[N], start: N = 0) -> N:
    """start + the values, added one by one from the left, as `sum()` did before 3.12."""
    return reduce(add, values, start)
