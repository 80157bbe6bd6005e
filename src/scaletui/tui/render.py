"""Small drawing helpers shared by the widgets: bars, numbers, clocks (colours: palette.py;
sparklines: game/sparkline.py, shared with the headless reports)."""

from __future__ import annotations

import math

from rich.text import Text

HEALTH_ICON = {"up": "●", "degraded": "◐", "booting": "◌", "down": "✖"}

HEADROOM = 1.2  # the scale's top is at least this far above the data: flat data is not a full bar


def nice_top(x: float) -> float:
    """The top of a sparkline's scale: the next 1-2-5 step at least HEADROOM above x
    (0.11 -> 0.2, 64.5 -> 100); 0 for no data above zero."""
    if x <= 0:
        return 0.0
    want = x * HEADROOM
    step = 10.0 ** math.floor(math.log10(want))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * step >= want * (1 - 1e-9):
            return m * step
    return 10.0 * step


def bar(fraction: float, width: int, full: str = "█", empty: str = "░") -> str:
    fraction = max(0.0, min(1.0, fraction))
    n = int(round(fraction * width))
    return full * n + empty * (width - n)


def clock(t: float) -> str:
    t = max(0.0, t)
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


def si(x: float, unit: str = "") -> str:
    """1234 -> 1.2k, 1234567 -> 1.2M."""
    ax = abs(x)
    if ax >= 1e6:
        return f"{x / 1e6:.1f}M{unit}"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k{unit}"
    if ax >= 1e3:
        return f"{x / 1e3:.1f}k{unit}"
    if ax >= 10 or x == 0:
        return f"{x:.0f}{unit}"
    return f"{x:.1f}{unit}"


def money(x: float) -> str:
    """In the unit of the catalog's costs: 12.34, 1,234.50, 12k."""
    return si(x) if abs(x) >= 1e4 else f"{x:,.2f}"


def ms(x: float) -> str:
    if x >= 10000:
        return f"{x / 1000:.0f}s"
    if x >= 1000:
        return f"{x / 1000:.1f}s"
    return f"{x:.0f}ms"


def stars(n: int, style: str) -> Text:
    return Text("★" * n + "☆" * (3 - n), style=style)
