"""The `scaletui` command as a user runs it: exit codes, reports, replays, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaletui import __version__
from scaletui.cli import main
from scaletui.scenario.campaign import builtin_path, solution_path

ONE = "one-server"


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out
    code, out, _ = run("--help")
    assert code == 0
    for cmd in ("run", "validate", "schema", "scenarios", "solution"):
        assert cmd in out


def test_run_json_report_has_every_field() -> None:
    code, out, _ = run("run", ONE, "--json")
    assert code == 1  # no actions: lost
    r = json.loads(out)
    for key in ("scenario", "seed", "outcome", "stars", "score", "slo", "postmortem", "totals", "series",
                "components", "events"):
        assert key in r, key
    t = r["totals"]
    for key in ("requests", "served", "failed", "availability", "latency_ms", "cost", "lost_writes", "revenue",
                "revenue_lost"):
        assert key in t
    # one-server earns the default 0.5 per 1,000 requests answered
    assert t["revenue_lost"] == pytest.approx(t["failed"] * 0.0005, abs=0.01) and t["revenue_lost"] > 0
    assert set(t["latency_ms"]) >= {"mean", "p50", "p95", "p99"}
    assert t["requests"] == t["served"] + t["failed"]
    row = r["series"][0]
    assert set(row) >= {"t", "rps", "p95_ms", "error_rate", "cost_per_hour", "users", "users_served"}
    comp = r["components"][0]
    assert set(comp) >= {"id", "kind", "region", "utilization"}
    assert r["outcome"] == "lost" and r["stars"] == 0
    assert all({"objective", "target", "achieved", "met"} <= set(o) for o in r["slo"])
    assert {"t", "kind", "message"} <= set(r["events"][0])
    kinds = {x["kind"] for x in r["postmortem"]["timeline"]}
    assert {"trigger", "symptom", "outcome"} <= kinds


def test_same_seed_same_bytes_and_other_seed_differs() -> None:
    _, a, _ = run("run", ONE, "--json", "--seed", "3")
    _, b, _ = run("run", ONE, "--json", "--seed", "3")
    _, c, _ = run("run", ONE, "--json", "--seed", "4")
    assert a == b
    assert a != c


def test_reference_plan_wins_and_recorded_plan_replays_exactly(tmp_path: Path) -> None:
    rec = tmp_path / "rec.plan.yaml"
    code, first, _ = run("run", ONE, "--plan", str(solution_path(ONE)), "--json", "--record", str(rec))
    assert code == 0
    assert json.loads(first)["outcome"] == "won"
    text = rec.read_text()
    assert "scenario: one-server" in text and "upgrade: web-1" in text
    assert "# Replay: scaletui run one-server --plan THIS_FILE" in text  # the built-in name, not a path
    code, again, _ = run("run", ONE, "--plan", str(rec), "--json")
    assert code == 0
    assert again == first


def test_summary_is_readable() -> None:
    code, out, _ = run("run", ONE, "--plan", str(solution_path(ONE)))
    assert code == 0
    assert "WON" in out and "Objectives" in out and "Postmortem" in out and "availability" in out


def test_bad_scenario_is_file_line_col_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration: 1h\ntraffic: {users: lots}\n")
    code, out, err = run("run", str(bad))
    assert code == 2
    assert err.startswith(f"{bad}:3:18: users:")
    assert "Traceback" not in err and out == ""


def test_plan_naming_a_missing_component_is_exit_2(tmp_path: Path) -> None:
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("- {at: 1m, upgrade: web-1, size: large}\n- {at: 2m, upgrade: web-7, size: large}\n")
    code, _, err = run("run", ONE, "--plan", str(plan))
    assert code == 2
    assert err.strip() == (f"{plan}:2:3: there is no component 'web-7' at that time; did you mean 'web-1'? "
                           "(there are: web-1, database-1)")


def test_plan_breaking_the_rules_is_exit_2(tmp_path: Path) -> None:
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("- {at: 1m, add: load_balancer}\n")
    code, _, err = run("run", ONE, "--plan", str(plan))
    assert code == 2
    assert err.startswith(f"{plan}:1:3: this scenario does not allow building load_balancer")


def test_plan_for_another_scenario(tmp_path: Path) -> None:
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("scenario: somewhere-else\nactions: []\n")
    code, _, err = run("run", ONE, "--plan", str(plan))
    assert code == 2 and "this plan is for scenario 'somewhere-else'" in err


def test_unknown_scenario_name() -> None:
    code, _, err = run("run", "no-such-level")
    assert code == 2 and err.startswith("no-such-level:1:1: no such file or built-in scenario")


def test_validate(tmp_path: Path) -> None:
    code, out, _ = run("validate", str(builtin_path(ONE)), str(solution_path(ONE)))
    assert code == 0 and "ok (scenario one-server)" in out
    assert "ok (plan, 2 actions, against scenario one-server)" in out
    bad = tmp_path / "b.yaml"
    bad.write_text("name: x\nduration: 1h\nduration: 2h\n")
    code, _, err = run("validate", str(bad))
    assert code == 2 and err.startswith(f"{bad}:3:1: duplicate key 'duration'")
    # a plan alone is checked only for its shape, and says so; with a scenario named, fully
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("- {at: 1m, upgrade: web-7, size: xlarge}\n- {at: 2m, add: cache}\n")
    code, out, _ = run("validate", str(plan))
    assert code == 0 and "not checked against a scenario" in out
    code, _, err = run("validate", ONE, str(plan))
    assert code == 2
    assert f"{plan}:1:3: there is no component 'web-7'" in err and f"{plan}:2:3:" in err


def test_validate_reports_sizes_regions_and_event_targets_at_once(tmp_path: Path) -> None:
    level = tmp_path / "level.yaml"
    level.write_text("name: x\nduration: 1h\ntopology:\n  - {kind: web, size: huge, region: mars}\n"
                     "events:\n  - {at: 90s, fail: web-9}\n")
    code, _, err = run("validate", str(level))
    assert code == 2
    assert [line.split(": ", 1)[0] for line in err.strip().splitlines()] == [
        f"{level}:4:23", f"{level}:4:37", f"{level}:6:21"]


def test_schema_is_json_schema_of_both_formats() -> None:
    code, out, _ = run("schema")
    assert code == 0
    doc = json.loads(out)
    assert "duration" in doc["scenario"]["properties"]
    assert "actions" in doc["plan"]["properties"]
    assert doc["scenario"]["additionalProperties"] is False
    text = json.dumps(doc)  # issue 11's keys: the client policy, load shedding, a failing server
    for key in ('"timeout"', '"retries"', '"backoff"', '"jitter"', '"max_in_flight"', '"errors"'):
        assert key in text, key
    defs = doc["scenario"]["$defs"]
    assert "fanout" in defs["MixSpec"]["properties"] and "fanout_shards" in defs["TrafficSpec"]["properties"]
    assert "denormalize" in doc["plan"]["$defs"]["ActionSpec"]["properties"]


def test_scenarios_lists_the_campaign_and_best_stars(tmp_path: Path) -> None:
    code, out, _ = run("scenarios", "--json")
    assert code == 0
    rows = json.loads(out)
    first = rows[0]
    assert first["name"] == ONE and first["title"] and first["concept"] == "vertical scaling"
    assert first["best_stars"] is None
    # replaying the shipped solution earns nothing ...
    assert run("run", ONE, "--plan", str(solution_path(ONE)))[0] == 0
    assert json.loads(run("scenarios", "--json")[1])[0]["best_stars"] is None
    # ... a plan of one's own does
    own = tmp_path / "own.plan.yaml"
    own.write_text("- {at: 0s, upgrade: web-1, size: xlarge}\n- {at: 0s, upgrade: database-1, size: large}\n")
    assert run("run", ONE, "--plan", str(own))[0] == 0
    rows = json.loads(run("scenarios", "--json")[1])
    assert rows[0]["best_stars"] >= 1
    code, out, _ = run("scenarios")
    assert code == 0 and "One server" in out


def test_solution_prints_the_reference_plan() -> None:
    code, out, _ = run("solution", ONE)
    assert code == 0 and out == solution_path(ONE).read_text()
    code, _, err = run("solution", "nope")
    assert code == 2 and "no built-in scenario 'nope'" in err


@pytest.mark.parametrize("args", [["run"], ["validate"], ["solution"]])
def test_missing_arguments_exit_2(args) -> None:
    code, _, _ = run(*args)
    assert code == 2


def test_every_plan_problem_at_once_before_running(tmp_path: Path) -> None:
    plan = tmp_path / "bad.plan.yaml"
    plan.write_text(
        "scenario: one-server\n"
        "actions:\n"
        "  - {at: 1m, upgrade: web-1, size: xlarg}\n"
        "  - {at: 2m, upgrade: database-9, size: large}\n"
        "  - {at: 50m, upgrade: web-1, size: large}\n"
        "  - {at: 3m, add: web}\n"
    )
    for args in (("validate", str(plan)), ("run", ONE, "--plan", str(plan))):
        code, _, err = run(*args)
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 4
        assert lines[0].startswith(f"{plan}:3:5: web server comes in") and "did you mean 'xlarge'" in lines[0]
        assert lines[1].startswith(f"{plan}:4:5: there is no component 'database-9' at that time")
        assert lines[2].startswith(f"{plan}:5:5: at 3000s is after the end")
        assert lines[3].startswith(f"{plan}:6:5: this scenario does not allow building web")


def test_solution_asks_first_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import scaletui.cli

    monkeypatch.setattr(scaletui.cli, "_on_terminal", lambda: True)
    plan = solution_path(ONE).read_text()
    declined = CliRunner().invoke(main, ["solution", ONE], input="n\n")
    assert declined.exit_code == 1 and plan not in declined.stdout
    assert "This prints the answer to 'one-server'" in declined.stderr
    assert "scaletui play one-server" in declined.stderr
    accepted = CliRunner().invoke(main, ["solution", ONE], input="y\n")
    assert accepted.exit_code == 0 and accepted.stdout.endswith(plan)
    unasked = CliRunner().invoke(main, ["solution", ONE, "--yes"])
    assert unasked.exit_code == 0 and unasked.stdout == plan and unasked.stderr == ""
