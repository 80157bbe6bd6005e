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


def test_the_list_opens_a_minute_or_more_before_the_first_incident() -> None:
    from scaletui.game.rewind import opening_point

    points = [0.0, 60.0, 120.0, 180.0, 240.0]
    assert opening_point(points, None) == 4  # no incident: the newest minute
    assert opening_point(points, 150.0) == 1  # 2:30 -> 1:00 (1:30 and before)
    assert opening_point(points, 180.0) == 2  # 3:00 -> 2:00
    assert opening_point(points, 30.0) == 0  # too early for a minute before it: the start


def test_the_run_left_behind_says_when_it_was_left() -> None:
    from scaletui.game.rewind import left_behind

    game = Game(load_scenario(builtin_path("scale-out")))
    game.step(160.0)  # scale-out with no actions is lost at about 5 minutes
    assert left_behind(game) == "the run you rewound from, abandoned at 2:40"
    game.finish()  # no actions: lost
    assert left_behind(game) == f"the run you rewound from, lost at {game.now // 60:.0f}:{game.now % 60:02.0f}"


ESTIMATING = """\
name: estimating
duration: 5m
traffic: {users: 200, rps_per_user: 0.5}
topology:
  - {kind: web, size: small}
  - {kind: database, size: small}
estimates:
  - at: 1m
    ask: How many requests are in flight at 2,000 requests/s and 150 ms?
    in_flight: {rps: 2000, latency_ms: 150}
  - at: 2m
    ask: How many requests are in flight at 1,000 requests/s and 100 ms?
    in_flight: {rps: 1000, latency_ms: 100}
"""


def test_a_rewind_keeps_the_estimates_answered_before_the_minute(tmp_path) -> None:
    path = tmp_path / "estimating.yaml"
    path.write_text(ESTIMATING)
    game = Game(load_scenario(path))
    game.step(60.0)
    game.answer_estimate(300.0)
    game.step(120.0)
    game.answer_estimate(None)  # skipped
    game.step(180.0)
    fork = rewind(game, 180.0)
    assert [(s.at, s.answer) for s in fork.estimates.scored] == [(60.0, 300.0), (120.0, None)]
    assert fork.estimates.due(fork.now) is None  # neither is asked again
    fork = rewind(game, 120.0)  # the 2m question is at the chosen minute: asked again there
    assert [(s.at, s.answer) for s in fork.estimates.scored] == [(60.0, 300.0)]
    assert fork.estimates.due(fork.now) is not None and fork.now == 120.0
