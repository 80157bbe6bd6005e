"""Small drawing helpers shared by the widgets: sparklines, bars, colours, numbers."""

from __future__ import annotations

import math

from rich.text import Text

BLOCKS = " ▁▂▃▄▅▆▇█"

HEALTH_STYLE = {
    "up": "green",
    "degraded": "yellow",
    "booting": "cyan",
    "down": "bold red",
}
HEALTH_ICON = {"up": "●", "degraded": "◐", "booting": "◌", "down": "✖"}


def sparkline(values: list[float], width: int, top: float | None = None) -> str:
    """Unicode block sparkline of the last values, compressed to `width` (max per bucket)."""
    if width <= 0:
        return ""
    if not values:
        return " " * width
    if len(values) > width:
        n = len(values)
        buckets = []
        for i in range(width):
            lo = i * n // width
            hi = max(lo + 1, (i + 1) * n // width)
            buckets.append(max(values[lo:hi]))
        values = buckets
    peak = top if top is not None else max(values)
    if peak <= 0:
        return (BLOCKS[1] * len(values)).rjust(width)
    chars = []
    for v in values:
        level = 0 if v <= 0 else max(1, min(8, int(math.ceil(8 * v / peak))))
        chars.append(BLOCKS[level])
    return "".join(chars).rjust(width)


def bar(fraction: float, width: int, full: str = "█", empty: str = "░") -> str:
    fraction = max(0.0, min(1.0, fraction))
    n = int(round(fraction * width))
    return full * n + empty * (width - n)


def load_style(util: float, health: str, shedding: bool = False) -> str:
    if health in ("down", "booting"):
        return HEALTH_STYLE[health]
    if shedding or util >= 0.95:
        return "bold red"
    if util >= 0.8:
        return "yellow"
    return HEALTH_STYLE.get(health, "green")


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


def stars(n: int) -> Text:
    return Text("★" * n + "☆" * (3 - n), style="bold yellow")
