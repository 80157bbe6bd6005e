"""Plans: playing a plan file's actions in a game, and recording a game as a plan."""

from __future__ import annotations

import yaml

from scaletui.scenario.durations import format_duration

from scaletui.game.session import Game, GameResult
from scaletui.scenario.campaign import run_argument
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import Plan, PlanAnswer, command_to_action


def play_plan(game: Game, plan: Plan) -> GameResult:
    """Apply every action at its time, then run to the end.

    An action the game refuses (a component that does not exist then, a rule broken)
    stops the run with a file:line:col error, as bad input does.
    """
    answers = list(plan.answers)
    for action in plan.actions:
        if game.finished:
            break
        _answer_until(game, answers, action.at)
        game.step(action.at)
        if game.finished:
            break
        res = game.act(action.command)
        if not res.ok:
            raise ScenarioError([action.problem(f"at {action.at:g}s: {res.message}")])
    _answer_until(game, answers, game.engine.duration)
    return game.finish()


def _answer_until(game: Game, answers: list[PlanAnswer], until: float) -> None:
    """Give the plan's answers to the estimates asked up to `until` (before the actions then)."""
    while answers and answers[0].at <= until and not game.finished:
        ans = answers.pop(0)
        game.step(ans.at)
        if game.finished:
            break  # lost before the question: nothing is asked any more
        game.estimates.skip_passed(game.now)
        due = game.estimates.due(game.now)
        if due is None or abs(due.at - ans.at) > 1e-9:
            raise ScenarioError([ans.problem(f"no estimate is asked at {ans.at:g}s")])
        game.answer_estimate(ans.answer)


def record_plan(game: Game) -> str:
    """The actions the game applied, as a plan file that replays it exactly."""
    lines = [
        f"# Recorded plan: scenario {game.scenario.name}, seed {game.seed}.",
        f"# Replay: scaletui run {run_argument(game.scenario.name, game.scenario.path)} --plan THIS_FILE",
        f"scenario: {game.scenario.name}",
        f"seed: {game.seed}",
    ]
    answered = [s for s in game.estimates.scored if s.answer is not None]
    if answered:
        lines.append("estimates:")
        for s in answered:
            lines.append(f"  - {{at: {format_duration(s.at)}, answer: {s.answer:g}}}")
    if not game.applied:
        lines.append("actions: []")
    else:
        lines.append("actions:")
        for i, (t, cmd) in enumerate(game.applied):
            item = command_to_action(t, cmd)
            text = yaml.safe_dump(item, default_flow_style=True, sort_keys=False, width=1000).strip()
            # An undo replays as the removal it is; the comment says it undid an addition.
            lines.append(f"  - {text}" + ("  # undo: removed before it served, cost refunded" if i in game.undos else ""))
    return "\n".join(lines) + "\n"
