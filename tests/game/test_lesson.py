"""The lesson of a run: concepts against the reference plan, the stars missed and why, the fix.

Expected values come from the shipped reference plans (read here as literals: scale-out's
reference adds its load balancer and web servers at 2m) and the levels' rules.
"""

from __future__ import annotations

from rich.console import Console

from scaletui.game.lesson import ConceptTiming, build_lesson, suggest_fix
from scaletui.game.plans import play_plan
from scaletui.game.scoring import ScoreCard
from scaletui.game.session import Game
from scaletui.scenario.campaign import builtin_path
from scaletui.runner.summary import render_summary
from scaletui.scenario.load import Plan, load_plan, load_scenario

LATE = "- {at: 5m, add: load_balancer}\n- {at: 5m, add: web, count: 2, size: large}\n"


def _lesson(name: str, plan: Plan):
    game = Game(load_scenario(builtin_path(name)))
    play_plan(game, plan)
    return game, game.lesson()


def _plan(tmp_path, text: str) -> Plan:
    path = tmp_path / "p.plan.yaml"
    path.write_text(text)
    return load_plan(path)


def test_a_late_concept_is_named_with_its_time_and_par(tmp_path) -> None:
    game, lesson = _lesson("scale-out", _plan(tmp_path, LATE))
    assert game.result().outcome == "lost"
    report = game.report()
    assert report["lesson"] == lesson.to_json()
    console = Console(width=120, record=True)
    console.print(render_summary(report, "scale-out"))
    out = console.export_text()
    assert "Your run against the reference" in out and "3:00 later" in out
    assert "suggested fix: web-1 saturated first: horizontal scaling relieves it" in out
    assert [c.row() for c in lesson.concepts] == [("horizontal scaling", "5:00", "2:00", "3:00 later")]
    assert lesson.missed[0].startswith("first star (survive) missed: the error budget is spent")
    assert lesson.missed[0].endswith("you brought in horizontal scaling at 5:00; par is 2:00")
    assert lesson.fix is not None
    assert (lesson.fix.component, lesson.fix.gave_way, lesson.fix.concept) == ("web-1", "saturated", "horizontal scaling")


def test_a_concept_within_half_a_minute_of_par_is_on_time() -> None:
    rows = [ConceptTiming("caching", 90.0, 60.0), ConceptTiming("caching", 91.0, 60.0),
            ConceptTiming("CDN", 60.0, 600.0), ConceptTiming("CDN", None, 60.0), ConceptTiming("queue", 5.0, None)]
    assert [c.verdict() for c in rows] == ["on time", "0:31 later", "9:00 earlier", "never", "not in the reference"]


def test_a_won_run_is_told_the_star_it_missed() -> None:
    sc = load_scenario(builtin_path("scale-out"))  # budget 50/h, par 30
    over_par = ScoreCard(2, 800, survived=True, within_budget=True, at_par=False, points={})
    lesson = build_lesson(sc, [], over_par, "every objective met", 35.04, 44.0, [], {})
    assert lesson.missed == ["third star (par) missed: you spent 35.0; par is 30"] and lesson.fix is None
    over_cap = ScoreCard(1, 700, survived=True, within_budget=False, at_par=False, points={})
    lesson = build_lesson(sc, [], over_cap, "every objective met", 35.0, 53.0, [], {})
    assert lesson.missed == ["second star (budget) missed: cost per hour peaked at 53.0/h; the cap is 50/h"]


def test_the_fix_follows_what_gave_way_and_what_the_level_allows() -> None:
    # failover: the primary dies and stays dead; the fix is failover, with the hint on promotion.
    _, lesson = _lesson("failover", Plan(""))
    assert lesson.fix is not None
    assert (lesson.fix.component, lesson.fix.gave_way, lesson.fix.concept) == ("database-1", "failed", "database failover")
    assert lesson.fix.hint is not None and "promot" in lesson.fix.hint.lower()
    assert lesson.missed[0].endswith("you never brought in database failover; par brings it in at 2:00")
    # one-server allows nothing to be added: a saturated web server can only be upgraded.
    _, lesson = _lesson("one-server", Plan(""))
    assert lesson.fix is not None and lesson.fix.concept == "vertical scaling"
    assert lesson.fix.hint is not None and "upgrade" in lesson.fix.hint.lower()


def test_the_level_concept_wins_among_the_fixes_that_are_allowed() -> None:
    everything = ["web", "load_balancer", "replica", "cache", "shard"]
    hints = ["Add a cache node.", "Replicas take reads."]
    fix = suggest_fix("database", "database-1", True, "caching", everything, hints)
    assert fix is not None and fix.concept == "caching" and fix.hint == "Add a cache node."
    fix = suggest_fix("database", "database-1", True, "data centres", everything, hints)
    assert fix is not None and fix.concept == "read replicas" and fix.hint == "Replicas take reads."
    fix = suggest_fix("database", "database-1", True, "caching", [], hints)
    assert fix is not None and fix.concept == "vertical scaling" and fix.hint is None
    assert suggest_fix("database", "database-1", False, "caching", ["web"], hints) is None


def test_the_fix_names_the_first_domino_not_the_tier_that_refused() -> None:
    # cascading-failure: the web tier refuses requests, but its threads wait on database-1.
    _, lesson = _lesson("cascading-failure", Plan(""))
    assert lesson.fix is not None
    assert (lesson.fix.component, lesson.fix.gave_way, lesson.fix.concept) == ("database-1", "saturated",
                                                                               "read replicas")


def test_the_levers_of_the_newer_levels_are_concepts_too() -> None:
    from scaletui.game.lesson import concept_of
    from scaletui.sim.commands import Configure
    from scaletui.sim.db_calls import BreakerRule

    assert concept_of(Configure("lb-1", max_in_flight=100)) == "load shedding"
    assert concept_of(Configure("lb-1", max_in_flight=0)) is None  # turning it off brings nothing in
    assert concept_of(Configure("web", breaker=BreakerRule(0.5, 10.0))) == "timeouts and circuit breakers"
    assert concept_of(Configure("web", db_timeout=0.2)) == "timeouts and circuit breakers"
    assert concept_of(Configure("database-1", denormalize=True)) == "joins and denormalization"
    assert concept_of(Configure("cache-1", on_write="invalidate")) == "cache consistency"
    assert concept_of(Configure("database-1", sharding="consistent", shards=3)) == "consistent hashing"
    assert concept_of(Configure("database-1", shards=3)) == "sharding"
