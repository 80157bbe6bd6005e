"""The autoscaler obeys the budget rule the player's actions obey, and its own max."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from scaletui.game.plans import play_plan
from scaletui.game.session import Game
from scaletui.scenario.load import load_plan, load_scenario
from scaletui.sim.commands import Add

# Catalog costs per hour (src/scaletui/sim/catalog.yaml), pinned: data centre 10,
# small load balancer 1, small session store 0.5, medium web server 2.
START_COST = 10 + 1 + 0.5 + 2
WEB_COST = 2

SCENARIO = """\
name: autoscaling
duration: 12m
seed: 5
slo: {{availability: 1}}
{budget}
traffic:
  users: 20000
  rps_per_user: 0.1
  mix: {{static: 1}}
topology:
  - {{kind: load_balancer, size: small}}
  - {{kind: web, size: medium}}
  - {{kind: session_store, size: small}}
events:
  - {{at: 1m, traffic: {{users: x8}}, over: 1m}}
{events}
allow: [web]
"""


def play(tmp_path: Path, rule: str, budget: str = "", events: str = "") -> tuple[Game, list[tuple[int, float]]]:
    (tmp_path / "level.yaml").write_text(textwrap.dedent(SCENARIO.format(budget=budget, events=events)),
                                         encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(
        f"scenario: autoscaling\nactions:\n  - {{at: 10s, configure: web, autoscale: {rule}}}\n", encoding="utf-8")
    game = Game(load_scenario(tmp_path / "level.yaml"), seed=5)
    seen: list[tuple[int, float]] = []  # web servers (any state) and cost per hour, each tick
    game.engine.tick_hooks.append(lambda e, row: seen.append((len(e.topology.of_kind("web")), e.cost_per_hour())))
    play_plan(game, load_plan(tmp_path / "plan.yaml"))
    return game, seen


def test_the_autoscaler_stops_at_the_budget_cap(tmp_path: Path):
    cap = 30.0
    game, seen = play(tmp_path, "{min: 1, max: 20, target: 0.5, warmup: 30s}", budget=f"budget_per_hour: {cap:g}")
    room = math.floor((cap - START_COST) / WEB_COST)  # 8 more medium web servers fit under the cap
    assert max(n for n, _ in seen) == 1 + room
    assert max(c for _, c in seen) <= cap
    # The traffic wanted more (160 k requests/s): the autoscaler said why it stopped, once.
    said = [ev.message for ev in game.engine.events.events if "refused" in ev.message and ev.kind == "autoscale"]
    assert len(said) == 1 and "over budget" in said[0]
    # The player is refused the same next server.
    assert not game.act(Add("web", "medium")).ok


def test_the_autoscaler_spends_past_the_cap_in_penalty_mode_as_the_player_may(tmp_path: Path):
    _, seen = play(tmp_path, "{min: 1, max: 20, target: 0.5, warmup: 30s}",
                   budget="budget_per_hour: 30\nbudget_mode: penalty")
    assert max(c for _, c in seen) > 30


def test_the_autoscaler_never_runs_more_than_its_max(tmp_path: Path):
    # web-1 crashes at 4 min for 3 min: while it is down the autoscaler may not replace
    # it past max, so when it comes back there are still at most 4.
    _, seen = play(tmp_path, "{min: 1, max: 4, target: 0.5, warmup: 30s}",
                   events="  - {at: 4m, fail: web-1, for: 3m}")
    counts = [n for n, _ in seen]
    assert max(counts) == 4
