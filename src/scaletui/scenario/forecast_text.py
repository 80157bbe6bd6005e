"""Placeholders in `say` texts: {ID.at}, {ID.end}, {ID.users}, {ID.rps}, {ID.times}.

Expanded once at load from the nominal script and the ranges the seed may draw from, so
an announcement says what a marketing team would know ("between 3,300 and 4,300
requests/s") and never the draw itself. Range ends are rounded outward to two
significant figures, so the range said covers every draw.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from scaletui.scenario.durations import format_duration
from scaletui.sim.config import ScenarioEvent, SimConfig
from scaletui.sim.forecast import Nominal, nominal_script, time_range, users_range

FIELDS = ("at", "end", "users", "rps", "times")
_USERS_FIELDS = ("users", "rps", "times")
# {{ and }} are braces; {...} a placeholder; a lone brace an error.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_REF = re.compile(r"^([a-z][a-z0-9_-]*)\.([a-z_]+)$")


def expand_says(config: SimConfig) -> tuple[tuple[ScenarioEvent, ...], list[tuple[int, str]]]:
    """The events with their says expanded, and (event index, message) for each bad placeholder."""
    events = config.events
    if not any(ev.say and ("{" in ev.say or "}" in ev.say) for ev in events):
        return events, []
    nominal = nominal_script(config.traffic, events)
    by_id = {ev.id: i for i, ev in enumerate(events) if ev.id is not None}
    out = []
    problems: list[tuple[int, str]] = []
    for i, ev in enumerate(events):
        if not ev.say:
            out.append(ev)
            continue
        text, errors = _expand(ev.say, events, nominal, by_id, config.duration)
        problems += [(i, msg) for msg in errors]
        out.append(replace(ev, say=text))
    return tuple(out), problems


def _expand(say: str, events: tuple[ScenarioEvent, ...], nominal: list[Nominal], by_id: dict[str, int],
            duration: float) -> tuple[str, list[str]]:
    parts: list[str] = []
    errors: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(say):
        parts.append(say[pos:m.start()])
        pos = m.end()
        token = m.group()
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif m.group(1) is None:
            errors.append(f"say: a lone '{token}'; write {token}{token} for a brace, or {{ID.field}} for a forecast")
        else:
            text, error = _placeholder(m.group(1), events, nominal, by_id, duration)
            parts.append(text)
            if error:
                errors.append(error)
    parts.append(say[pos:])
    return "".join(parts), errors


def _placeholder(ref: str, events: tuple[ScenarioEvent, ...], nominal: list[Nominal], by_id: dict[str, int],
                 duration: float) -> tuple[str, str]:
    """The text for `ref` (ID.field), or an error message."""
    m = _REF.match(ref.strip())
    if m is None:
        return "", (f"say: '{{{ref}}}' is not a placeholder; write {{ID.field}} with a field of "
                    f"{', '.join(FIELDS)} (or {{{{ for a brace)")
    name, fieldname = m.groups()
    if name not in by_id:
        known = ", ".join(sorted(by_id)) or "none"
        return "", f"say: unknown event id '{name}' in {{{ref}}} (the events' ids: {known})"
    if fieldname not in FIELDS:
        return "", f"say: unknown field '{fieldname}' in {{{ref}}}; the fields are {', '.join(FIELDS)}"
    i = by_id[name]
    ev, nom = events[i], nominal[i]
    if fieldname == "at":
        return _times(time_range(ev, duration), ev.at, 0.0), ""
    if fieldname == "end":
        return _times(time_range(ev, duration), ev.at, ev.over), ""
    if nom.target is None:
        return "", (f"say: {{{ref}}}: event '{name}' does not change the users ({fieldname} applies to "
                    f"traffic events that set users)")
    lo, hi = users_range(ev, nom)
    if fieldname == "users":
        return _amount(lo, hi, nom.target, "users"), ""
    if fieldname == "rps":
        rpu = nom.rps_per_user
        return _amount(lo * rpu, hi * rpu, nom.target * rpu, "requests/s"), ""
    if nom.before <= 0:
        return "", f"say: {{{ref}}}: there are no users before event '{name}', so no times as many"
    p = nom.before
    return _amount(lo / p, hi / p, nom.target / p, "times"), ""


def _times(span: tuple[float, float], at: float, plus: float) -> str:
    lo, hi = span
    if lo == hi:
        return f"at {format_duration(at + plus)}"
    return f"between {format_duration(lo + plus)} and {format_duration(hi + plus)}"


def _amount(lo: float, hi: float, nominal: float, unit: str) -> str:
    if lo == hi:
        return f"about {two_figures(nominal, 'nearest')} {unit}"
    low, high = two_figures(lo, "down"), two_figures(hi, "up")
    if low == high:
        return f"about {low} {unit}"
    return f"between {low} and {high} {unit}"


def two_figures(x: float, how: str) -> str:
    """x to two significant figures, rounded down, up or to the nearest, as people write it."""
    if x <= 0:
        return "0"
    k = math.floor(math.log10(x)) - 1
    scaled = x / 10.0 ** k  # in [10, 100)
    # A hair of slack: a value computed as 3299.9999999 is 3,300, not 3,200.
    if how == "down":
        m = math.floor(scaled + 1e-9)
    elif how == "up":
        m = math.ceil(scaled - 1e-9)
    else:
        m = math.floor(scaled + 0.5)
    if k >= 0:
        return f"{m * 10 ** k:,}"
    text = f"{m / 10 ** -k:.{-k}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
