"""Hostile scenario and plan files: each is refused at load with file:line:col and a reason.

Every case here once passed validation and then crashed a run, hung, ate memory, or
was silently taken to mean something else (issue 9).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from scaletui.scenario import ScenarioError, load_plan, load_scenario
from scaletui.scenario.durations import format_duration, parse_duration

BASE = """\
name: tiny
title: Tiny
duration: 10m
seed: 3
slo: {availability: 99.0, latency_p95_ms: 400}
budget_per_hour: 40
par_cost: 20
traffic:
  users: 200
  rps_per_user: 0.05
  mix: {static: 0.3, read: 0.6, write: 0.1}
topology:
  - {kind: web, size: small}
  - {kind: database, size: small}
events:
  - {at: 1m, traffic: {users: x3}, over: 1m}
"""


def refused(tmp_path: Path, text: str, name: str = "s.yaml") -> list[str]:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        (load_plan if name.endswith(".plan.yaml") else load_scenario)(p)
    return [str(x)[len(str(p)) + 1:] for x in info.value.problems]  # "line:col: message"


def test_base_loads(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(BASE)
    assert load_scenario(p).config.traffic.users == 200


# (what to replace in BASE, with what, the expected "line:col: message" start)
VALUES = [
    # 1. non-finite and out-of-range numbers, with the limit in the message
    ("users: 200", "users: .inf", "9:10: users: should be a finite number"),
    ("users: 200", "users: 1e308", "9:10: users: should be less than or equal to 1,000,000,000"),
    ("users: x3}", "users: xinf}", "16:31: users: 'xinf' is not a factor"),
    ("over: 1m}", "over: 1m}\n  - {at: 2m, fail: web-1, for: .inf}", "17:32: for: a duration is a finite number"),
    ("topology:", "network: {hop_ms: .inf}\ntopology:", "12:19: hop_ms: should be a finite number"),
    ("topology:", "catalog: {web: {timeout_ms: .inf}}\ntopology:", "12:29: timeout_ms: should be a finite number"),
    ("latency_p95_ms: 400}", "latency_p95_ms: 400, latency_window: 0}",
     "5:64: latency_window: should be greater than or equal to 1"),
    # 2. infinite money or latency would break the JSON writer after the whole run
    ("budget_per_hour: 40", "budget_per_hour: .inf", "6:18: budget_per_hour: should be a finite number"),
    ("par_cost: 20", "par_cost: .inf", "7:11: par_cost: should be a finite number"),
    ("latency_p95_ms: 400", "latency_p95_ms: .inf", "5:43: latency_p95_ms: should be a finite number"),
    ("topology:", "catalog: {web: {small: {cost_per_hour: 1e308}}}\ntopology:",
     "12:40: cost_per_hour: should be less than or equal to 1,000,000"),
    ("topology:", "catalog: {cdn: {cost_per_gb: .inf}}\ntopology:", "12:30: cost_per_gb: should be a finite number"),
    ("rps_per_user: 0.05", "rps_per_user: 0.05\n  static_kb: 1e308",
     "11:14: static_kb: should be less than or equal to 1,000,000"),
    # 3. explicit tags and huge integers
    ("seed: 3", "seed: !!int abc", "4:7: YAML tags (!!int) are not accepted"),
    ("duration: 10m", "duration: !!float 1m", "3:11: YAML tags (!!float) are not accepted"),
    ("seed: 3", "seed: !!python/name:os.system 3", "4:7: YAML tags (!!python/name:os.system) are not accepted"),
    ("seed: 3", "seed: !!timestamp 2001-12-14", "4:7: YAML tags (!!timestamp) are not accepted"),
    ("title: Tiny", "title: !!binary aGVsbG8=", "2:8: YAML tags (!!binary) are not accepted"),
    ("seed: 3", "seed: " + "9" * 4301, "4:7: a number of 4301 digits is too long (at most 30)"),
    # 9. the smaller ones
    ("users: 200", "users: true", "9:10: users: should be a number, not true"),
    ("{kind: web, size: small}", "{kind: web, size: ''}", "13:23: size: should not be empty"),
    ("{at: 1m, traffic", "{at: .nan, traffic", "16:10: at: a duration is a finite number"),
    ("{at: 1m, traffic", "{at: .inf, traffic", "16:10: at: a duration is a finite number"),
    ("write: 0.1}", "write: 0.3}", "11:8: mix: the mix shares are fractions of all requests and must sum to 1; "
                                   "these sum to 1.2"),
    ("name: tiny", "name: Tiny_One", "1:7: name: 'Tiny_One' is not a valid name: use lowercase letters"),
    # 8. terminal escapes are refused, and shown escaped
    ("title: Tiny", 'title: "T\\e]0;PWNED\\a\\e[2J"', "2:8: control character U+001B (ESC) in text"),
    ("title: Tiny", '"bad\\e[2Jkey": 1', "2:1: control character U+001B (ESC) in text"),
    # 11. work that grows without bound
    ("duration: 10m", "duration: 7d\nreport_every: 1", "4:15: report_every: 1s over 7d"),
]


@pytest.mark.parametrize(("old", "new", "expected"), VALUES, ids=[v[2][:40] for v in VALUES])
def test_hostile_value_refused_with_position(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BASE
    got = refused(tmp_path, BASE.replace(old, new, 1))
    assert any(g.startswith(expected) for g in got), got
    assert not any("\x1b" in g for g in got)


@pytest.mark.parametrize(("char", "name"), [("\x00", "U+0000 (NUL)"), ("\x7f", "U+007F (DEL)")])
def test_nul_and_del_point_at_the_character(tmp_path: Path, char: str, name: str) -> None:
    got = refused(tmp_path, BASE.replace("title: Tiny", f"title: Ti{char}ny"))
    assert got == [f"2:10: character {name} is not allowed in a YAML file"]


@pytest.mark.parametrize("name", ["s.yaml", "p.plan.yaml"])
def test_deep_nesting_refused(tmp_path: Path, name: str) -> None:
    got = refused(tmp_path, "title: " + "[" * 500 + "]" * 500 + "\n", name)
    assert len(got) == 1 and got[0].endswith("nested more than 32 levels deep")


def test_alias_bomb_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    start = time.perf_counter()
    got = refused(tmp_path, "\n".join(lines) + "\n" + BASE)
    assert time.perf_counter() - start < 2.0
    assert got == ["1:1: the document expands to more than 100,000 values (through YAML aliases?); "
                   "write it out plainly"]


def test_oversized_file_refused(tmp_path: Path) -> None:
    got = refused(tmp_path, BASE + "#" * 1_000_001 + "\n")
    assert len(got) == 1 and "scenario and plan files are at most 1,000,000" in got[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_and_device_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "f.plan.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ScenarioError) as info:
            load_plan(path)
        assert "is not a regular file" in str(info.value)


def test_users_multiplied_past_the_limit_refused(tmp_path: Path) -> None:
    text = BASE.replace("over: 1m}", "over: 1m}\n  - {at: 2m, traffic: {users: x1000000}}\n"
                                     "  - {at: 3m, traffic: {users: x1000}}")
    got = refused(tmp_path, text)
    assert any(g.startswith("18:31: users: events raise the users to 6e+11") for g in got), got


@pytest.mark.parametrize("seconds", [10000.25, 0.25, 59.5, 3600.75, 86399.25, 1 / 3, 604799.9])
def test_format_duration_round_trips_exactly(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_plan_file_given_as_a_scenario_says_use_plan(tmp_path: Path) -> None:
    for text in ("- {at: 1m, upgrade: web-1, size: large}\n", "actions:\n  - {at: 1m, upgrade: web-1, size: large}\n"):
        got = refused(tmp_path, text)
        assert got == ["1:1: this is a plan, not a scenario; run it with: scaletui run SCENARIO --plan FILE"]
