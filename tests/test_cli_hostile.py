"""The command line under hostile input: exit codes 0/1/2/3, nothing lost, nothing raw.

Exit codes: 0 won, 1 lost, 2 bad input (file:line:col), 3 an internal error (one line and
the path of a crash report).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from scaletui.cli import main
from scaletui.game.plans import record_plan
from scaletui.game.session import Game
from scaletui.scenario import load_plan, load_scenario
from scaletui.scenario.campaign import builtin_path, solution_path
from scaletui.sim.commands import Upgrade

ONE = "one-server"
SHORT = """\
name: short
title: TITLE
duration: 2m
traffic: {users: 50, rps_per_user: 0.05}
topology:
  - {kind: web, size: small}
  - {kind: database, size: small}
events:
  - {at: 30s, say: SAY}
"""


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_an_internal_error_exits_3_with_one_line_and_a_crash_report(monkeypatch) -> None:
    def broken(*_a, **_k):
        raise RuntimeError("engine fell over\nsecond line")

    monkeypatch.setattr("scaletui.runner.headless.Game", broken)
    code, out, err = run("run", ONE, "--json")
    assert code == 3 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    m = re.fullmatch(r"scaletui: internal error \(RuntimeError: engine fell over second line\); "
                     r"crash report: (.+)", lines[0])
    assert m, lines[0]
    report = Path(m.group(1)).read_text()
    assert "Traceback" in report and "engine fell over" in report


def test_markup_in_texts_is_shown_as_written(tmp_path: Path) -> None:
    level = tmp_path / "m.yaml"
    level.write_text(SHORT.replace("TITLE", '"[/oops] [bold]T[/bold]"').replace("SAY", '"[red]hi[/x]"'))
    code, out, err = run("run", str(level))
    assert code in (0, 1), err
    assert "[/oops] [bold]T[/bold]" in out


def test_a_plan_given_as_the_scenario_says_use_plan() -> None:
    code, out, err = run("run", str(solution_path(ONE)), "--json")
    assert code == 2 and out == ""
    assert err.strip() == (f"{solution_path(ONE)}:6:1: this is a plan, not a scenario; run it with: "
                           "scaletui run SCENARIO --plan FILE")


def test_control_characters_in_a_file_name_are_shown_escaped() -> None:
    code, _, err = run("run", "no\x1b]0;PWNED\x07such.yaml")
    assert code == 2 and "\x1b" not in err and "\x07" not in err
    assert err.startswith("no\\x1b]0;PWNED\\x07such.yaml:1:1: no such file or built-in scenario")


def test_users_in_a_region_without_a_data_centre_are_warned_of(tmp_path: Path) -> None:
    level = tmp_path / "r.yaml"
    level.write_text(SHORT.replace("rps_per_user: 0.05}", "rps_per_user: 0.05, regions: {us-east: 3, eu-west: 1}}"))
    code, out, err = run("validate", str(level))
    assert code == 0 and err == ""
    assert out.splitlines()[1] == (f"{level}:4:64: warning: no data centre in eu-west at the start: its users "
                                   "(25% of all) are served from another region, with cross-region latency, "
                                   "until a plan adds one there")


def test_an_unknown_level_suggests_the_closest() -> None:
    code, _, err = run("run", "one-servr")
    assert code == 2 and err.startswith("one-servr:1:1: no such file or built-in scenario; did you mean 'one-server'?")


def test_validate_and_run_agree_on_the_budget(tmp_path: Path) -> None:
    level = tmp_path / "tight.yaml"
    level.write_text(builtin_path(ONE).read_text().replace("budget_per_hour: 40", "budget_per_hour: 20")
                     .replace("name: one-server", "name: tight"))
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("- {at: 1m, upgrade: web-1, size: xlarge}\n")
    # 13/h now (a small web 1, a small database 2, the data centre 10); xlarge web is 9/h
    expected = f"{plan}:1:3: over budget: that would cost 21.0/h and the budget is 20.0/h (now 13.0/h)"
    code, _, err = run("validate", str(level), str(plan))
    assert code == 2 and err.strip() == expected
    code, _, err = run("run", str(level), "--plan", str(plan), "--json")
    assert code == 2 and err.strip() == expected


def test_a_plan_may_not_grow_the_topology_past_1000(tmp_path: Path) -> None:
    level = tmp_path / "big.yaml"
    level.write_text(SHORT.replace("{kind: web, size: small}", "{kind: web, size: small, count: 990}"))
    plan = tmp_path / "p.plan.yaml"
    plan.write_text("- {at: 10s, add: web, count: 8}\n- {at: 20s, add: web, count: 8}\n")
    expected = f"{plan}:2:3: a topology holds at most 1000 components (it has 1000)"
    for args in (("validate", str(level), str(plan)), ("run", str(level), "--plan", str(plan), "--json")):
        code, _, err = run(*args)
        assert code == 2 and err.startswith(expected), err


def test_exact_model_refuses_more_keys_than_it_can_hold(tmp_path: Path) -> None:
    level = tmp_path / "k.yaml"
    level.write_text(SHORT.replace("rps_per_user: 0.05}", "rps_per_user: 0.05, keys: {count: 100000000}}"))
    code, _, err = run("run", str(level), "--model", "exact", "--json")
    assert code == 2
    assert err.strip() == (f"{level}:4:56: count: --model exact holds state for every key and takes at most "
                           "2,000,000 keys, not 100,000,000; use --model flow")


def test_recording_keeps_every_digit_of_the_time() -> None:
    game = Game(load_scenario(builtin_path(ONE)))
    game.applied.append((10000.25, Upgrade("web-1", "large")))  # as if applied at that tick
    text = record_plan(game)
    assert "{at: 10000.25s, upgrade: web-1, size: large}" in text
    path = Path(game.scenario.path).parent / "unused"  # load_plan takes the text; the path only names it
    assert [a.at for a in load_plan(path, text=text).actions] == [10000.25]


def own_winning_plan(tmp_path: Path) -> Path:
    own = tmp_path / "own.plan.yaml"
    own.write_text("- {at: 0s, upgrade: web-1, size: xlarge}\n- {at: 0s, upgrade: database-1, size: large}\n")
    return own


def test_a_bad_store_row_neither_loses_the_report_nor_hides(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SCALETUI_DATA_DIR", str(data))
    db = sqlite3.connect(data / "progress.sqlite3")
    db.execute("CREATE TABLE best (scenario TEXT PRIMARY KEY, stars, score, updated REAL)")
    db.executemany("INSERT INTO best VALUES (?, ?, ?, 0)", [("scale-out", "abc", 1), ("stateless", 2_000_000_000, 1)])
    db.commit()
    db.close()
    code, out, err = run("run", ONE, "--plan", str(own_winning_plan(tmp_path)), "--json")
    assert code == 0 and json.loads(out)["outcome"] == "won"
    assert err.count("skipped 2 unreadable row(s)") == 1
    code, out, err = run("scenarios", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows[ONE]["best_stars"] >= 1 and rows["stateless"]["best_stars"] is None
    assert err.count("skipped 2 unreadable row(s)") == 1


def test_the_report_is_written_before_the_store(tmp_path: Path, monkeypatch) -> None:
    def store_fails(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("scaletui.runner.headless.Store", store_fails)
    code, out, err = run("run", ONE, "--plan", str(own_winning_plan(tmp_path)), "--json")
    assert json.loads(out)["outcome"] == "won"  # the report got out before the store broke
    assert code == 3 and "internal error (OSError: disk full)" in err
