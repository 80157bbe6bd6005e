"""Stars and score.

Stars: 1 for surviving (every objective met), 2 for also staying within the budget
(cost per hour never above the cap), 3 for also finishing at or under the scenario's
par cost. The score rewards what the objectives measure, out of 1000:
  500 x the share of the error budget left,
  300 x the share of latency windows within target (300 without a latency objective),
  200 x min(1, par cost / cost) (without a par: against the budget cap over the run),
minus up to 200 for spending over the cap when the scenario penalises rather than
refuses it. A lost game scores half of that, times the share of the run it lasted.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.sim.summation import plain_sum


@dataclass(frozen=True)
class ScoreCard:
    stars: int
    score: int
    survived: bool
    within_budget: bool
    at_par: bool
    points: dict[str, float]


def score_run(
    *,
    won: bool,
    budget_left: float,
    latency_share: float | None,
    cost: float,
    par_cost: float | None,
    budget_per_hour: float | None,
    hours: float,
    peak_cost_per_hour: float,
    overspend: float,
    penalise: bool,
    lasted: float,
) -> ScoreCard:
    within = budget_per_hour is None or peak_cost_per_hour <= budget_per_hour + 1e-6
    at_par = par_cost is not None and cost <= par_cost + 1e-6
    points: dict[str, float] = {}
    points["availability"] = 500.0 * max(0.0, min(1.0, budget_left))
    points["latency"] = 300.0 * (1.0 if latency_share is None else max(0.0, min(1.0, latency_share)))
    if par_cost is not None and cost > 0:
        points["cost"] = 200.0 * min(1.0, par_cost / cost)
    elif budget_per_hour is not None and hours > 0:
        points["cost"] = 200.0 * max(0.0, 1.0 - cost / (budget_per_hour * hours))
    else:
        points["cost"] = 100.0
    if penalise and budget_per_hour is not None and hours > 0 and overspend > 0:
        points["overspend"] = -min(200.0, 200.0 * overspend / (budget_per_hour * hours))
    total = plain_sum(points.values())
    if not won:
        total *= 0.5 * max(0.0, min(1.0, lasted))
    stars = 0
    if won:
        stars = 1
        if within:
            stars = 2
            if at_par:
                stars = 3
    return ScoreCard(stars, int(round(max(0.0, total))), won, within, at_par,
                     {k: round(v, 1) for k, v in points.items()})
