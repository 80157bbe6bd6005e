"""The write policy as a player meets it (plans, checks, schema, engine refusals), the
stale-reads objective (judged at the end, in the panel, in the postmortem), and what a
failover cost the data in the postmortem."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from scaletui.game.plan_check import check_plan
from scaletui.game.plans import play_plan
from scaletui.game.postmortem import PostmortemRecorder
from scaletui.game.session import AT_RISK, LOST, OK, WON, Game
from scaletui.runner.headless import schema_command
from scaletui.scenario import ScenarioError, load_plan, load_scenario
from scaletui.sim.commands import Configure
from tests.game.conftest import SHOP



def write(tmp_path: Path, text: str, name: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_a_plan_sets_the_write_policy_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, "- {at: 1m, configure: cache-1, on_write: invalidate}\n", "p.plan.yaml"))
    assert plan.actions[0].command == Configure("cache-1", on_write="invalidate")
    bad = write(tmp_path, "- {at: 1m, configure: cache-1, on_write: sometimes}\n", "b.plan.yaml")
    with pytest.raises(ScenarioError) as info:
        load_plan(bad)
    assert str(info.value.problems[0]).startswith(f"{bad}:1:")
    assert "on_write" in str(info.value.problems[0])
    wrong = write(tmp_path, "- {at: 1m, add: cache, on_write: update}\n", "w.plan.yaml")
    with pytest.raises(ScenarioError) as info:
        load_plan(wrong)
    assert "on_write does not go with add" in str(info.value.problems[0])


def test_plan_check_and_engine_say_only_caches_have_a_write_policy(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, SHOP, "shop.yaml"))
    plan = load_plan(write(tmp_path, "- {at: 1m, configure: web-1, on_write: invalidate}\n", "p.plan.yaml"))
    assert [p.message for p in check_plan(sc, plan)] == ["on_write is a setting of cache nodes"]
    game = Game(sc)
    res = game.act(Configure("web-1", on_write="invalidate"))
    assert not res.ok and res.message == "on_write is a setting of cache nodes"
    assert game.act(Configure("cache", on_write="update")).ok
    assert {c.id: c.on_write for c in game.snapshot().components}["cache-1"] == "update"


def test_the_json_schema_has_the_write_policy_and_the_objective() -> None:
    doc = json.loads(schema_command())
    action = doc["plan"]["$defs"]["ActionSpec"]["properties"]["on_write"]
    assert {"invalidate", "update", "none"} <= set(json.dumps(action).replace('"', " ").split())
    assert "stale_reads" in doc["scenario"]["$defs"]["SloSpec"]["properties"]


def test_stale_reads_objective_lost_without_invalidation_won_with_it(tmp_path: Path) -> None:
    """No TTL and no write policy: the cache serves old values (the share of stale reads is
    far over 2%); with invalidation only the race window is left. The objective's figure
    is stale reads over reads answered, as the report counts them."""
    sc = load_scenario(write(tmp_path, SHOP, "shop.yaml"))
    lost = Game(sc)
    result = play_plan(lost, load_plan(write(tmp_path, "[]\n", "none.plan.yaml")))
    assert result.outcome == LOST and result.reason.startswith("objective missed: stale_reads")
    obj = next(o for o in result.objectives if o.name == "stale_reads")
    report = lost.report()["totals"]
    assert obj.achieved_value == pytest.approx(100.0 * report["stale_reads"] / report["reads"], rel=1e-3)
    assert obj.achieved_value > 5.0
    # The reason quotes the figure once, with one pair of brackets (it had two).
    assert result.reason == (f"objective missed: stale_reads {obj.achieved_value:.3f}% "
                             f"({report['stale_reads']:,.0f} of {report['reads']:,.0f} reads)")
    panel = next(o for o in lost.view().objectives if o.name == "stale_reads")
    assert panel.status == AT_RISK and panel.label == "stale reads <= 2%"
    symptoms = [i["first_symptom"] for i in result.postmortem["incidents"]]
    assert symptoms and symptoms[0].startswith("stale reads reached")

    won = Game(sc)
    plan = load_plan(write(tmp_path, "- {at: 0s, configure: cache-1, on_write: invalidate}\n", "inv.plan.yaml"))
    result = play_plan(won, plan)
    assert result.outcome == WON, result.reason
    assert next(o for o in won.view().objectives if o.name == "stale_reads").status == OK


def test_the_postmortem_counts_what_the_failover_cost_the_data() -> None:
    """The game's postmortem names the lost writes and the stale reads they caused."""
    pm = PostmortemRecorder(0.001, None).build([], 60.0, "lost", "", lost_writes=208, stale_after_failover=640)
    assert pm["data"] == {"lost_writes": 208, "stale_after_failover": 640}
    data = [x["message"] for x in pm["timeline"] if x["kind"] == "data"]
    assert data == ["208 acknowledged writes lost by failover; 640 reads then got the older values of their keys"]
    quiet = PostmortemRecorder(0.001, None).build([], 60.0, "won", "")
    assert not [x for x in quiet["timeline"] if x["kind"] == "data"]
