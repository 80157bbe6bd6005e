"""How fast simulated time runs, and how much of it to compute per frame.

The engine is stepped from a timer in the app's own loop: each frame advances the
target time by speed x wall time elapsed, then steps the engine towards it within a
time budget, so that key presses are answered promptly even at full speed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Protocol

SPEEDS = (1, 2, 5, 10, 30, 60, 120, 300, 600)
FRAME_S = 1 / 15  # timer interval
WORK_BUDGET_S = 0.02  # longest a frame may spend stepping the engine
MAX_LAG_S = 0.25  # a frame never catches up more than this much wall time
# Up to 10x the picture changes slowly; five redraws a second are plenty and save the CPU.
SLOW_REDRAW_S = 0.2
SLOW_SPEED = 10


class Steppable(Protocol):
    """What the clock drives: a game that advances in whole ticks of the engine."""

    @property
    def now(self) -> float: ...

    @property
    def finished(self) -> bool: ...

    def step(self, until: float) -> object: ...


@dataclass
class GameClock:
    speed_index: int = 3  # 10x
    paused: bool = False
    target: float = 0.0  # simulated time the engine should reach
    last_wall: float = field(default_factory=time.perf_counter)
    tick_cost: float = 0.001  # wall seconds per engine tick, measured as the game runs

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_index]

    def label(self) -> str:
        return f"PAUSED {self.speed}x" if self.paused else f"▶ {self.speed}x"

    @property
    def redraw_interval(self) -> float:
        return SLOW_REDRAW_S if self.speed <= SLOW_SPEED else 0.0

    def faster(self) -> None:
        self.speed_index = min(len(SPEEDS) - 1, self.speed_index + 1)

    def slower(self) -> None:
        self.speed_index = max(0, self.speed_index - 1)

    def toggle(self, now: float) -> None:
        self.paused = not self.paused
        self.sync(now)

    def sync(self, sim_now: float) -> None:
        """Forget wall time that passed while nothing should advance."""
        self.target = sim_now
        self.last_wall = time.perf_counter()

    def tick(self, sim_now: float) -> float:
        """The simulated time to reach this frame."""
        wall = time.perf_counter()
        elapsed = min(MAX_LAG_S, wall - self.last_wall)
        self.last_wall = wall
        if self.paused:
            return sim_now
        # Never run further ahead of the engine than it can catch up in one frame.
        self.target = min(max(self.target, sim_now) + self.speed * elapsed, sim_now + self.speed * MAX_LAG_S)
        return self.target

    def run_frame(self, game: Steppable, dt: float, stop_at: float | None = None) -> None:
        """Step the game towards this frame's target, within the frame's work budget, and no
        further than `stop_at` (a moment the game stops for, such as an estimate)."""
        target = self.tick(game.now)
        if stop_at is not None and stop_at >= game.now - 1e-9:
            target = min(target, stop_at)  # at it already: stay until the game moves on
        goal = math.floor(target / dt + 1e-9) * dt  # the engine moves in whole ticks
        if goal <= game.now:
            return
        start = time.perf_counter()
        # Slices small enough that a frame does not overrun its budget on a big
        # topology (a tick of the finale costs several milliseconds).
        per_slice = max(1, int(WORK_BUDGET_S / 3 / self.tick_cost))
        chunk = max(dt, min(math.floor(self.speed * FRAME_S / 4 / dt), per_slice) * dt)
        while game.now < goal and not game.finished:
            t0, before = time.perf_counter(), game.now
            game.step(min(goal, game.now + chunk))
            ticks = round((game.now - before) / dt)
            if ticks > 0:
                self.tick_cost = 0.7 * self.tick_cost + 0.3 * (time.perf_counter() - t0) / ticks
            if time.perf_counter() - start > WORK_BUDGET_S:
                break
