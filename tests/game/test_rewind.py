"""Rewind and fork: going back to a minute and playing on gives the run the engine would have given."""

from __future__ import annotations

from scaletui.game.rewind import rewind, rewind_points
from scaletui.game.session import Game
from scaletui.runner.headless import to_json
from scaletui.scenario.campaign import builtin_path, solution_path
from scaletui.scenario.load import load_plan, load_scenario
from scaletui.sim.commands import Add


def _play_until(game: Game, actions, until: float) -> None:
    for a in actions:
        game.step(a.at)
        assert game.act(a.command).ok
    game.step(until)


def test_a_rewound_game_played_on_the_same_way_is_byte_for_byte_the_same() -> None:
    sc = load_scenario(builtin_path("scale-out"))
    plan = load_plan(solution_path("scale-out"))  # actions at 1m and 14m
    original = Game(sc)
    _play_until(original, plan.actions, 1200.0)
    fork = rewind(original, 600.0)  # between the two actions
    assert fork.now == 600.0 and len(fork.applied) == 2
    assert original.now == 1200.0  # the original is untouched
    _play_until(fork, [a for a in plan.actions if a.at >= 600.0], 1200.0)
    assert to_json(fork.report()) == to_json(original.report())


def test_a_fork_can_take_another_path() -> None:
    sc = load_scenario(builtin_path("scale-out"))
    game = Game(sc)
    game.step(300.0)
    fork = rewind(game, 120.0)
    assert fork.act(Add("load_balancer", "small")).ok
    assert fork.now == 120.0 and [t for t, _ in fork.applied] == [120.0]
    assert game.applied == [] and game.now == 300.0


def test_the_points_to_go_back_to_are_the_minutes_played() -> None:
    game = Game(load_scenario(builtin_path("scale-out")))
    assert rewind_points(game) == [0.0]
    game.step(185.0)
    assert rewind_points(game) == [0.0, 60.0, 120.0, 180.0]
    game.step(240.0)
    assert rewind_points(game) == [0.0, 60.0, 120.0, 180.0]  # 4:00 is now: nothing to go back to
