"""Back-of-the-envelope estimates: expected answers from the formulas written here, scoring,
plans that carry answers, and bad input.

Catalog numbers are the documented ones: a large web server has 16 workers at 20 ms.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from scaletui.game.estimates import expected
from scaletui.game.plan_check import check_plan
from scaletui.game.plans import play_plan, record_plan
from scaletui.game.session import LOST, Game
from scaletui.runner.headless import to_json
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import load_plan, load_scenario
from scaletui.scenario.schema import EstimateSpec

SCENARIO = """\
name: estimating
duration: 5m
traffic: {users: 200, rps_per_user: 0.5}
topology:
  - {kind: web, size: small}
  - {kind: database, size: small}
estimates:
  - at: 1m
    ask: How many large web servers will 4,000 requests/s need at 70% utilization?
    servers: {rps: 4000, size: large, utilization: 0.7}
  - at: 2m
    ask: How many requests are in flight at 2,000 requests/s and 150 ms?
    in_flight: {rps: 2000, latency_ms: 150}
"""


def _scenario(tmp_path: Path, text: str = SCENARIO):
    path = tmp_path / "estimating.yaml"
    path.write_text(text)
    return load_scenario(path)


def test_servers_follow_the_utilization_law(tmp_path) -> None:
    sc = _scenario(tmp_path)
    e = expected(sc.spec.estimates[0], sc.config.catalog)
    per_server = 16 * 1000 / 20  # 800 requests/s at full load
    assert e.value == math.ceil(4000 / (per_server * 0.7)) == 8
    assert "800 requests/s" in e.explanation and "round up" in e.explanation


def test_in_flight_is_littles_law(tmp_path) -> None:
    sc = _scenario(tmp_path)
    assert expected(sc.spec.estimates[1], sc.config.catalog).value == 2000 * 0.150


def test_hit_rate_is_ches_approximation(tmp_path) -> None:
    sc = _scenario(tmp_path)
    keys, items, alpha = 20_000, 2_000, 0.9
    spec = EstimateSpec.model_validate({"at": 60, "ask": "?", "hit_rate": {"items": items, "keys": keys, "zipf": alpha}})
    # Che, written here: T solves sum(1 - exp(-p_i T)) = items; hit = sum p_i (1 - exp(-p_i T)).
    w = [i ** -alpha for i in range(1, keys + 1)]
    total = sum(w)
    p = [x / total for x in w]
    lo, hi = 0.0, 1e9
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(-math.expm1(-q * mid) for q in p) < items:
            lo = mid
        else:
            hi = mid
    che = 100 * sum(q * -math.expm1(-q * lo) for q in p)
    assert expected(spec, sc.config.catalog).value == pytest.approx(che, abs=0.5)


def test_a_plan_answers_and_the_report_scores_and_explains(tmp_path) -> None:
    sc = _scenario(tmp_path)
    plan_path = tmp_path / "p.plan.yaml"
    plan_path.write_text("estimates:\n  - {at: 1m, answer: 8}\n  - {at: 2m, answer: 200}\nactions: []\n")
    game = Game(sc)
    play_plan(game, load_plan(plan_path))
    est = game.report()["estimates"]
    assert [(e["answer"], e["expected"], e["right"]) for e in est] == [(8, 8, True), (200, 300, False)]
    assert est[1]["verdict"] == "33% low"
    assert any(ev.kind == "estimate" and "Little's law" in ev.message for ev in game.engine.events.events)
    # The recorded plan carries the answers and replays to the same report.
    recorded = tmp_path / "r.plan.yaml"
    recorded.write_text(record_plan(game))
    again = Game(sc)
    play_plan(again, load_plan(recorded))
    assert to_json(again.report()) == to_json(game.report())


def test_a_game_lost_before_an_estimate_ends_the_plan_there(tmp_path) -> None:
    """A plan's answer to a question that comes after the game is lost is not an error:
    the game ended first (a small web server drowns in 20x its traffic at once)."""
    sc = _scenario(tmp_path, SCENARIO.replace("traffic: {users: 200, rps_per_user: 0.5}",
                                              "traffic: {users: 4000, rps_per_user: 0.5}"))
    plan_path = tmp_path / "p.plan.yaml"
    plan_path.write_text("estimates:\n  - {at: 2m, answer: 300}\nactions: []\n")
    result = play_plan(Game(sc), load_plan(plan_path))
    assert result.outcome == LOST and result.ended_at < 120, result.reason


def test_an_unanswered_estimate_is_skipped(tmp_path) -> None:
    game = Game(_scenario(tmp_path))
    game.finish()
    assert [e["verdict"] for e in game.report()["estimates"]] == ["skipped", "skipped"]


def test_answers_and_estimates_are_checked_with_file_line_col(tmp_path) -> None:
    sc = _scenario(tmp_path)
    plan_path = tmp_path / "p.plan.yaml"
    plan_path.write_text("estimates:\n  - {at: 90s, answer: 3}\n")
    problems = check_plan(sc, load_plan(plan_path))
    assert [str(p) for p in problems] == [
        f"{plan_path}:2:5: no estimate is asked at 90s (this scenario asks at 60s, 120s)"]
    bad = SCENARIO.replace("size: large", "size: huge")
    with pytest.raises(ScenarioError) as err:
        _scenario(tmp_path, bad)
    assert "estimating.yaml:10:32: web comes in small, medium, large, xlarge" in str(err.value) and "not 'huge'" in str(err.value)
    two = SCENARIO.replace("    in_flight: {rps: 2000, latency_ms: 150}",
                           "    in_flight: {rps: 2000, latency_ms: 150}\n    hit_rate: {items: 5, keys: 10}")
    with pytest.raises(ScenarioError) as err:
        _scenario(tmp_path, two)
    assert "exactly one of servers, hit_rate, in_flight" in str(err.value)


def test_an_announcement_at_the_questions_second_is_logged_before_it_is_asked(tmp_path) -> None:
    sc = _scenario(tmp_path, SCENARIO.replace(
        "estimates:", "events:\n  - {at: 1m, say: The partner goes live in a minute.}\nestimates:"))
    game = Game(sc)
    game.step(game.estimates.next_at())  # where the game stops to ask
    assert game.now == 60.0 and game.estimates.due(game.now) is not None
    assert [ev.message for ev in game.engine.events.events if ev.kind == "say"] == [
        "The partner goes live in a minute."]
