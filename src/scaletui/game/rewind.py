"""Rewind: go back to an earlier moment of a game and play on from there (a fork).

The engine is deterministic: the same scenario, seed and actions at the same moments
give the same run. So going back to time t is a new game of the same scenario and seed
that replays the actions applied before t, and runs to t.
"""

from __future__ import annotations

from scaletui.game.session import Game


def rewind(game: Game, to: float) -> Game:
    """A new game, identical to `game` as it stood at `to` (0 <= to <= game.now)."""
    to = max(0.0, min(to, game.now))
    fork = Game(game.scenario, seed=game.seed, model=game.engine.model)
    for at, cmd in game.applied:
        if at >= to:
            break
        fork.step(at)
        res = fork.act(cmd)
        if not res.ok:  # cannot happen in a deterministic engine: say so loudly if it does
            raise RuntimeError(f"the replay refused an action it accepted before: {res.message}")
    fork.step(to)
    return fork


def rewind_points(game: Game, every: float = 60.0) -> list[float]:
    """The moments a player may go back to: each whole minute played, and the start."""
    n = int(game.now // every)
    return [i * every for i in range(n + 1) if i * every < game.now] or [0.0]
