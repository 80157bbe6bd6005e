"""The traffic model: how many users, how often they ask, for what, from where."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaletui.sim.config import REQUEST_CLASSES, Mix, ScenarioEvent, Traffic, TrafficChange
from scaletui.sim.summation import plain_sum

DAY = 86400.0


class _Layer:
    """One scripted traffic change in force (identity matters, not value)."""

    __slots__ = ("change",)

    def __init__(self, change: TrafficChange) -> None:
        self.change = change


@dataclass
class Ramp:
    """A linear change of a level from `start` to `end` between t0 and t1."""

    t0: float
    t1: float
    start: float
    end: float

    def value(self, t: float) -> float:
        if t >= self.t1 or self.t1 <= self.t0:
            return self.end
        if t <= self.t0:
            return self.start
        return self.start + (self.end - self.start) * (t - self.t0) / (self.t1 - self.t0)


class TrafficModel:
    """Users over time: a base level changed by ramps (surges), times a daily cycle."""

    def __init__(self, spec: Traffic) -> None:
        self.spec = spec
        self._users = Ramp(0.0, 0.0, spec.users, spec.users)
        self.rps_per_user = spec.rps_per_user
        self.mix = spec.mix.normalized()
        self.hot_share = 0.0
        self._layers: list[_Layer] = []
        total = plain_sum([s for _, s in spec.regions]) or 1.0
        self.region_shares = tuple((r, s / total) for r, s in spec.regions)

    def users(self, t: float) -> float:
        base = self._users.value(t)
        cycle = self.spec.daily_cycle
        if cycle is None:
            return base
        clock = cycle.start_at + t
        return max(0.0, base * (1.0 + cycle.amplitude * math.cos(2 * math.pi * (clock - cycle.peak_at) / DAY)))

    def level(self, t: float) -> float:
        """The scripted level (without the daily cycle) at t."""
        return self._users.value(t)

    def target_level(self) -> float:
        return self._users.end

    def ramp_users(self, t: float, to: float, over: float) -> None:
        self._users = Ramp(t, t + max(0.0, over), self._users.value(t), max(0.0, to))

    def set_mix(self, mix: Mix) -> None:
        self.mix = mix.normalized()

    def apply_change(self, t: float, change: TrafficChange, over: float) -> "_Layer":
        """Apply a scripted change as a layer; returns the layer, to take it off later.

        The level is the starting one with every active layer applied in order: an
        absolute level replaces, a factor multiplies. Taking a layer off re-folds the
        rest, so overlapping surges end in any order and leave the baseline.
        """
        layer = _Layer(change)
        self._layers.append(layer)
        self._refold(t, over)
        return layer

    def revert(self, t: float, change: TrafficChange, layer: "_Layer", over: float) -> None:
        if layer in self._layers:
            self._layers.remove(layer)
        self._refold(t, over)

    def _refold(self, t: float, over: float) -> None:
        level, rpu, mix = self.spec.users, self.spec.rps_per_user, self.spec.mix
        for layer in self._layers:
            c = layer.change
            if c.users is not None:
                level = c.users
            elif c.users_factor is not None:
                level *= c.users_factor
            if c.rps_per_user is not None:
                rpu = c.rps_per_user
            if c.mix is not None:
                mix = c.mix
        if abs(level - self._users.end) > 1e-9:
            self.ramp_users(t, level, over)
        self.rps_per_user = rpu
        self.set_mix(mix)

    def rates(self, t: float) -> list[tuple[str, str, float]]:
        """Requests/s per (region, class) at t."""
        total = self.users(t) * self.rps_per_user
        out = []
        for region, share in self.region_shares:
            for cls in REQUEST_CLASSES:
                s = self.mix.share(cls)
                if s > 0 and share > 0:
                    out.append((region, cls, total * share * s))
        return out

    def expected_requests(self, t0: float, t1: float, step: float = 1.0) -> float:
        """Requests offered between t0 and t1 under the current script (no events ahead)."""
        n = max(1, int(math.ceil((t1 - t0) / step)))
        return plain_sum([self.users(t0 + i * step) for i in range(n)]) * self.rps_per_user * step


def forecast_requests(spec: Traffic, events: tuple[ScenarioEvent, ...], duration: float, step: float = 5.0) -> float:
    """Requests the script will offer over the run (what an error budget is a share of).

    Replays the scenario's traffic changes on a fresh model, without simulating anything.
    """
    model = TrafficModel(spec)
    changes: list[tuple[float, int, ScenarioEvent, bool]] = []
    for i, ev in enumerate(events):
        if ev.kind == "traffic" and ev.traffic is not None:
            changes.append((ev.at, i, ev, False))
            if ev.duration is not None:
                changes.append((ev.at + ev.duration, i, ev, True))
    changes.sort(key=lambda c: (c[0], c[1], c[3]))
    saved: dict[int, _Layer] = {}
    total = 0.0
    t = 0.0
    k = 0
    while t < duration:
        while k < len(changes) and changes[k][0] <= t:
            _, i, ev, undo = changes[k]
            assert ev.traffic is not None
            if undo:
                model.revert(changes[k][0], ev.traffic, saved[i], ev.over)
            else:
                saved[i] = model.apply_change(changes[k][0], ev.traffic, ev.over)
            k += 1
        span = min(step, duration - t)
        total += model.users(t + span / 2) * model.rps_per_user * span
        t += span
    return total
