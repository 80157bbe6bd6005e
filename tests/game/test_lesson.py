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
from tests.game.conftest import SHOP as COMMON_SHOP

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
    # The two servers came at 5:00, after web-1 gave way: too late, not too few (not "more web servers").
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


def _level(tmp_path, text: str):
    path = tmp_path / "level.yaml"
    path.write_text(text)
    return Game(load_scenario(path))


READS = """\
name: reads
concept: read replicas
duration: 4m
seed: 3
slo: {availability: 99}
traffic:
  users: 20000
  rps_per_user: 0.1
  mix: {read: 1.0}
topology:
  - {kind: load_balancer, size: large}
  - {kind: web, size: xlarge, count: 4}
  - {kind: database, size: small}
  - {kind: replica, size: small, of: database-1}
allow: [web, replica]
hints: ["Replicas take reads.", "Web servers take requests."]
"""


def test_a_concept_already_there_but_too_small_is_asked_for_in_more(tmp_path) -> None:
    # 2,000 reads/s on a small primary and one small replica: the replica is there, too few.
    game = _level(tmp_path, READS)
    play_plan(game, Plan(""))
    fix = game.lesson().fix
    assert fix is not None and fix.concept == "read replicas" and fix.hint == "Replicas take reads."
    assert fix.text().startswith(f"{fix.component} saturated first: more read replicas relieve it: "
                                 "1 was not enough (hint: ")
    # None there yet: the concept itself, as before.
    fix = suggest_fix("database", "database-1", True, "read replicas", ["replica"], [], {"web": 4})
    assert fix is not None and fix.text() == "database-1 saturated first: read replicas relieves it"
    fix = suggest_fix("web", "web-1", True, "horizontal scaling", ["web", "load_balancer"], [], {"web": 2})
    assert fix is not None and fix.text() == "web-1 saturated first: more web servers relieve it: 2 were not enough"
    # The one web server every level starts with is not horizontal scaling yet.
    fix = suggest_fix("web", "web-1", True, "horizontal scaling", ["web", "load_balancer"], [], {"web": 1})
    assert fix is not None and fix.text() == "web-1 saturated first: horizontal scaling relieves it"


SLOWED = """\
name: slowed
concept: {concept}
duration: 6m
seed: 3
slo: {{availability: 99}}
catalog:
  web: {{concurrency: threads, timeout_ms: 2000}}
  database: {{timeout_ms: 60000}}
traffic:
  users: 4000
  rps_per_user: 0.2
  mix: {{static: 0.95, read: 0.05}}
topology:
  - {{kind: load_balancer, size: small}}
  - {{kind: web, size: medium, count: 5}}
  - {{kind: database, size: large}}
events:
  - {{at: 1m, slow: database-1, factor: 80, for: 4m}}
allow: [web, load_balancer]
hints:
  - "More web servers only wait too."
  - "A timeout on the web tier's database calls (configure web, db_timeout: 200ms) frees the threads."
"""


def test_a_dependency_a_script_slowed_is_fixed_at_its_callers(tmp_path) -> None:
    # The script slows database-1; the level teaches timeouts: the fix points at web's calls.
    game = _level(tmp_path, SLOWED.format(concept="timeouts and circuit breakers"))
    play_plan(game, Plan(""))
    fix = game.lesson().fix
    assert fix is not None
    assert fix.text() == ("database-1 slowed down first: no action undoes that, but web's calls to database-1 "
                          "held every thread: a db_timeout or a breaker on web lets go of them (hint: A timeout on "
                          "the web tier's database calls (configure web, db_timeout: 200ms) frees the threads.)")
    # A level about the database itself keeps pointing at it.
    game = _level(tmp_path, SLOWED.format(concept="vertical scaling"))
    play_plan(game, Plan(""))
    fix = game.lesson().fix
    assert fix is not None and (fix.component, fix.concept) == ("database-1", "vertical scaling")


SHOP = COMMON_SHOP.replace("name: shop\n", "name: shop\nconcept: cache consistency\n") + """\
hints:
  - "A cached value goes stale when its key is written."
  - "Tell the cache: configure cache-1 with on_write: invalidate."
"""


def test_a_loss_on_stale_reads_names_the_cache_its_write_policy_and_ttl(tmp_path) -> None:
    game = _level(tmp_path, SHOP)
    play_plan(game, Plan(""))
    assert game.result().reason.startswith("objective missed: stale_reads ")
    fix = game.lesson().fix
    assert fix is not None
    assert fix.text() == ("cache-1 served stale reads: it keeps an entry with no TTL, and a write leaves it alone "
                          "(on_write none); on_write invalidate or update, or a shorter TTL, keeps it fresh "
                          "(hint: Tell the cache: configure cache-1 with on_write: invalidate.)")
    game = _level(tmp_path, SHOP)
    play_plan(game, _plan(tmp_path, "- {at: 0s, configure: cache-1, ttl: 120s}\n"))
    fix = game.lesson().fix
    assert fix is not None and "it keeps an entry for its TTL of 120s, and a write leaves it alone" in fix.text()


def test_replicas_still_copying_data_when_the_incident_began_are_not_counted(tmp_path) -> None:
    # Two more replicas added at 0s copy data for 5 minutes (a replica's documented boot):
    # the incident starts long before they serve, so one replica was too few, not three.
    game = _level(tmp_path, READS)
    play_plan(game, _plan(tmp_path, "- {at: 0s, add: replica, count: 2, size: small, of: database-1}\n"))
    assert len([c for c in game.snapshot().components if c.kind == "replica"]) == 3
    fix = game.lesson().fix
    assert fix is not None and fix.concept == "read replicas"
    assert "1 was not enough" in fix.text(), fix.text()
