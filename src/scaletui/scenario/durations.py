"""Durations as people write them: 90s, 10m, 2h, 1d, 1h30m, or plain seconds."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION_S = 7 * 86400.0  # the longest scenario: nothing in one lasts longer
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like '1h30m'. Raises ValueError with a hint."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 10m, 2h or 1d, not a boolean")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a duration is a finite number of seconds (not .inf or .nan); write e.g. 90s or 10m")
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _at_most(float(value), str(value))
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 90s, 10m, 2h or 1d")
    text = value.strip().replace(" ", "")
    if not text:
        raise ValueError("expected a duration such as 90s, 10m, 2h or 1d")
    pos = 0
    total = 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise ValueError(f"'{value}' is not a duration; write e.g. 90s, 10m, 2h, 1d or 1h30m")
    return _at_most(total, value)


def _at_most(seconds: float, written: str) -> float:
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{written} is longer than 7d, the longest a scenario (and anything in it) lasts")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 540 -> '9m', 5400 -> '1h30m', 12.5 -> '12.5s'."""
    if seconds == 0:
        return "0s"
    if seconds != int(seconds):
        # repr is the shortest text that reads back as the same float (%g kept 6 digits:
        # 10000.25 became 10000.2). Times here are under 7d, so repr has no exponent.
        text = repr(float(seconds))
        return f"{text}s" if "e" not in text else f"{seconds:.17f}".rstrip("0") + "s"
    s = int(seconds)
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            out += f"{s // size}{unit}"
            s %= size
    if s:
        out += f"{s}s"
    return out
