"""Plans: playing a plan file's actions in a game, and recording a game as a plan."""

from __future__ import annotations

import yaml

from scaletui.game.session import Game, GameResult
from scaletui.scenario.campaign import run_argument
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import Plan, command_to_action


def play_plan(game: Game, plan: Plan) -> GameResult:
    """Apply every action at its time, then run to the end.

    An action the game refuses (a component that does not exist then, a rule broken)
    stops the run with a file:line:col error, as bad input does.
    """
    for action in plan.actions:
        if game.finished:
            break
        game.step(action.at)
        if game.finished:
            break
        res = game.act(action.command)
        if not res.ok:
            raise ScenarioError([action.problem(f"at {action.at:g}s: {res.message}")])
    return game.finish()


def record_plan(game: Game) -> str:
    """The actions the game applied, as a plan file that replays it exactly."""
    lines = [
        f"# Recorded plan: scenario {game.scenario.name}, seed {game.seed}.",
        f"# Replay: scaletui run {run_argument(game.scenario.name, game.scenario.path)} --plan THIS_FILE",
        f"scenario: {game.scenario.name}",
        f"seed: {game.seed}",
    ]
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
