"""Unicode block sparklines, drawn from zero: shared by the game screen and headless reports."""

from __future__ import annotations

import math

BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int, top: float | None = None) -> str:
    """Unicode block sparkline of the last values, compressed to `width` (max per bucket)."""
    if width <= 0:
        return ""
    if not values:
        return " " * width
    if len(values) > width:
        values = [max(values[lo:hi]) for lo, hi in buckets(len(values), width)]
    peak = top if top is not None else max(values)
    if peak <= 0:  # all zero: nothing to draw (a floor of blocks would read as "some")
        return " " * width
    chars = []
    for v in values:
        level = 0 if v <= 0 else max(1, min(8, int(math.ceil(8 * v / peak))))
        chars.append(BLOCKS[level])
    return "".join(chars).rjust(width)


def buckets(n: int, width: int) -> list[tuple[int, int]]:
    """The slices of n values that a sparkline of `width` cells draws, one cell each."""
    if n <= width:
        return [(i, i + 1) for i in range(n)]
    return [(i * n // width, max(i * n // width + 1, (i + 1) * n // width)) for i in range(width)]
