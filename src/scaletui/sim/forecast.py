"""Forecasts with uncertainty: the nominal script, the range a varied event may take, the seed's draw.

An event's users change is defined on NOMINAL levels, so that one draw never shifts the
range of another: replay the script without draws (reverts of `for` included) and take
the level before the event (P) and its target (T). A varied event's drawn target is
T + (T - P) * (f - 1), f uniform in [1 - size, 1 + size]; its time moves by a whole
number of seconds in [-at, +at], kept within the run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scaletui.sim.config import ScenarioEvent, Traffic, TrafficChange
from scaletui.sim.traffic import TrafficModel

if TYPE_CHECKING:
    from scaletui.sim.traffic import _Layer


@dataclass(frozen=True)
class Nominal:
    """An event's place on the nominal script."""

    before: float  # P: the users level just before it
    target: float | None  # T: the level it sets; None when it does not change users
    rps_per_user: float  # requests/s per user once it applies


@dataclass(frozen=True)
class Drawn:
    """What the seed made of a varied event (reported so that a run can be explained)."""

    index: int  # in the scenario's events, file order
    event_id: str | None
    at: float
    users: float | None  # the drawn target, when its size varies


def _sets_users(ev: ScenarioEvent) -> bool:
    c = ev.traffic
    return ev.kind == "traffic" and c is not None and (c.users is not None or c.users_factor is not None)


def nominal_script(traffic: Traffic, events: tuple[ScenarioEvent, ...]) -> list[Nominal]:
    """Each event's nominal P, T and requests/s per user, in the order of `events`.

    Changes replay in time order (file order among equal times; a revert after an
    event at the same time), as forecast_requests replays them.
    """
    model = TrafficModel(traffic)
    changes: list[tuple[float, int, bool]] = []
    for i, ev in enumerate(events):
        changes.append((ev.at, i, False))
        if ev.kind == "traffic" and ev.duration is not None:
            changes.append((ev.at + ev.duration, i, True))
    changes.sort()
    layers: dict[int, _Layer] = {}
    out: dict[int, Nominal] = {}
    for t, i, undo in changes:
        ev = events[i]
        change = ev.traffic
        if undo:
            assert change is not None
            model.revert(t, change, layers[i], 0.0)
            continue
        before = model.target_level()
        if ev.kind == "traffic" and change is not None:
            layers[i] = model.apply_change(t, change, 0.0)
        target = model.target_level() if _sets_users(ev) else None
        out[i] = Nominal(before, target, model.rps_per_user)
    return [out[i] for i in range(len(events))]


def time_range(ev: ScenarioEvent, duration: float) -> tuple[float, float]:
    """The earliest and latest time the seed may give the event."""
    reach = _reach(ev)
    return max(0.0, ev.at - reach), min(duration, ev.at + reach)


def users_range(ev: ScenarioEvent, nominal: Nominal) -> tuple[float, float]:
    """The least and most users the seed may give the event's target (T when it does not vary)."""
    assert nominal.target is not None
    size = ev.vary.size if ev.vary is not None else 0.0
    spread = size * abs(nominal.target - nominal.before)
    return max(0.0, nominal.target - spread), nominal.target + spread


def _reach(ev: ScenarioEvent) -> int:
    # Whole seconds: the draw moves an event by a whole number of them.
    return int(ev.vary.at) if ev.vary is not None else 0


def draw_events(traffic: Traffic, events: tuple[ScenarioEvent, ...], duration: float,
                rng: random.Random) -> tuple[tuple[ScenarioEvent, ...], tuple[Drawn, ...]]:
    """The events as this run plays them, and what was drawn; unchanged when nothing varies.

    Every varied event is drawn once, in file order: its time first, then its size.
    """
    if not any(ev.vary is not None and ev.vary.draws for ev in events):
        return events, ()
    nominal = nominal_script(traffic, events)
    played = []
    drawn = []
    for i, ev in enumerate(events):
        vary = ev.vary
        if vary is None or not vary.draws:
            played.append(ev)
            continue
        at = ev.at
        if vary.at > 0:
            reach = _reach(ev)
            at = min(duration, max(0.0, ev.at + rng.randint(-reach, reach)))
        users = None
        change = ev.traffic
        target = nominal[i].target
        if vary.size > 0 and change is not None and target is not None:
            f = rng.uniform(1.0 - vary.size, 1.0 + vary.size)
            users = max(0.0, target + (target - nominal[i].before) * (f - 1.0))
            change = TrafficChange(users=users, rps_per_user=change.rps_per_user, mix=change.mix)
        played.append(replace(ev, at=at, traffic=change))
        drawn.append(Drawn(i, ev.id, at, users))
    return tuple(played), tuple(drawn)
