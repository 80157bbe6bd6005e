"""Rewind: go back to an earlier moment of a game and play on from there (a fork).

The engine is deterministic: the same scenario, seed and actions at the same moments
give the same run. So going back to time t is a new game of the same scenario and seed
that replays the actions applied and the estimates answered before t, and runs to t.
"""

from __future__ import annotations

from scaletui.game.estimates import Scored
from scaletui.game.lesson import clock
from scaletui.game.session import Game


def rewind(game: Game, to: float) -> Game:
    """A new game, identical to `game` as it stood at `to` (0 <= to <= game.now)."""
    to = max(0.0, min(to, game.now))
    fork = Game(game.scenario, seed=game.seed, model=game.engine.model)
    answers = [s for s in game.estimates.scored if s.at < to]
    for at, cmd in game.applied:
        if at >= to:
            break
        _answer_until(fork, answers, at)
        fork.step(at)
        res = fork.act(cmd)
        if not res.ok:  # cannot happen in a deterministic engine: say so loudly if it does
            raise RuntimeError(f"the replay refused an action it accepted before: {res.message}")
    _answer_until(fork, answers, to)
    fork.step(to)
    return fork


def _answer_until(fork: Game, answers: list[Scored], until: float) -> None:
    """Give the answers (a skip stays a skip) to the estimates asked up to `until`: the game
    stopped for each question before anything else could happen in that second."""
    while answers and answers[0].at <= until:
        fork.step(answers[0].at)
        fork.answer_estimate(answers.pop(0).answer)


def rewind_points(game: Game, every: float = 60.0) -> list[float]:
    """The moments a player may go back to: each whole minute played, and the start."""
    n = int(game.now // every)
    return [i * every for i in range(n + 1) if i * every < game.now] or [0.0]


def opening_point(points: list[float], first_incident: float | None, every: float = 60.0) -> int:
    """Where the list of minutes opens: a minute or more before the first incident, where
    the player could still have acted, if there was one; else the newest minute."""
    if first_incident is None:
        return len(points) - 1
    before = [i for i, t in enumerate(points) if t <= first_incident - every + 1e-9]
    return before[-1] if before else 0


def first_incident(game: Game) -> float | None:
    """When the game's first incident began (None: there was none)."""
    incidents = game.postmortem.incidents
    return incidents[0].start if incidents else None


def left_behind(game: Game) -> str:
    """What the run a player rewound from is called beside the new one."""
    if game.finished:
        return f"the run you rewound from, {game.result().outcome} at {clock(game.now)}"
    return f"the run you rewound from, abandoned at {clock(game.now)}"
