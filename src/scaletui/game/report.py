"""The game's JSON report: the engine's report plus outcome, stars, score, slo, postmortem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scaletui.sim.commands import describe
from scaletui.sim.report import engine_report

if TYPE_CHECKING:
    from scaletui.game.session import Game


def game_report(game: "Game") -> dict[str, Any]:
    res = game.result()
    base = engine_report(game.engine, game.scenario.name)
    out: dict[str, Any] = {
        "scenario": base.pop("scenario"),
        "seed": base.pop("seed"),
        "outcome": res.outcome,
        "reason": res.reason,
        "stars": res.card.stars,
        "score": res.card.score,
        "score_points": res.card.points,
        "ended_at_s": round(res.ended_at, 3),
        "slo": [o.to_json() for o in res.objectives],
        "budget": {
            "per_hour": game.scenario.spec.budget_per_hour,
            "mode": game.scenario.spec.budget_mode,
            "peak_cost_per_hour": round(game.peak_cost_per_hour, 4),
            "within": res.card.within_budget,
            "par_cost": game.scenario.spec.par_cost,
        },
        "actions": [{"t": round(t, 3), "action": describe(cmd)} for t, cmd in game.applied],
    }
    out.update(base)
    out["business"] = game.business.figures().to_json()
    out["postmortem"] = res.postmortem
    out["lesson"] = game.lesson().to_json()
    if game.scenario.spec.estimates:
        game.estimates.skip_passed(game.engine.now)  # asked while no one answered (a plan without answers)
        out["estimates"] = [s.to_json() for s in game.estimates.scored]
    return out
