"""The web tier's database-call levers and thread-per-request web servers in files."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from scaletui.scenario import ScenarioError, load_plan, load_scenario
from scaletui.scenario.load import command_to_action, to_command
from scaletui.scenario.schema import ActionSpec
from scaletui.sim.commands import Configure, describe
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.engine import Engine

SCENARIO = """\
name: threads
title: Threads
duration: 10m
slo: {availability: 99}
traffic: {users: 100, rps_per_user: 0.1, mix: {static: 0.5, read: 0.5}}
catalog:
  web: {concurrency: threads}
topology:
  - {kind: web, size: medium}
  - {kind: database, size: medium}
allow: [web]
"""


def write(tmp_path: Path, text: str, name: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        if path.name.endswith(".plan.yaml"):
            load_plan(path)
        else:
            load_scenario(path)
    return [str(p) for p in info.value.problems]


def test_the_levers_load_as_commands(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, """\
        - {at: 1m, configure: web, db_timeout: 200ms}
        - {at: 1m, configure: web, db_retries: 2}
        - {at: 2m, configure: web, breaker: {error_rate: 0.4, open_for: 30s}}
        - {at: 3m, configure: web, breaker: off, db_timeout: none}
        """, "p.plan.yaml"))
    cmds = [a.command for a in plan.actions]
    assert cmds[0] == Configure("web", db_timeout=0.2)
    assert cmds[1] == Configure("web", db_retries=2)
    assert cmds[2] == Configure("web", breaker=BreakerRule(0.4, 30.0))
    assert cmds[3] == Configure("web", breaker_off=True, db_timeout=math.inf)
    # Recorded plans write them back the same way.
    for cmd in cmds:
        action = command_to_action(60.0, cmd)
        assert to_command(ActionSpec.model_validate(action)) == cmd


def test_a_thread_per_request_catalog_loads(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, SCENARIO, "s.yaml"))
    assert sc.config.catalog["web"].concurrency == "threads"
    assert sc.config.catalog["database"].concurrency == "event_loop"


@pytest.mark.parametrize(("line", "message"), [
    ("- {at: 1m, configure: web, db_retries: 9}", "1:40: db_retries: should be less than or equal to 5"),
    ("- {at: 1m, configure: web, breaker: {error_rate: 2}}", "1:50: error_rate: should be less than or equal to 1"),
    ("- {at: 1m, configure: web, db_timeout: soon}",
     "1:40: db_timeout: 'soon' is not a duration; write e.g. 90s, 10m, 2h, 1d or 1h30m"),
])
def test_bad_levers_are_located(tmp_path: Path, line: str, message: str) -> None:
    plan = write(tmp_path, line + "\n", "p.plan.yaml")
    assert f"{plan}:{message}" in problems(plan)


def test_concurrency_is_a_setting_of_web_servers(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO.replace("web: {concurrency: threads}", "database: {concurrency: threads}"), "s.yaml")
    assert problems(path) == [f"{path}:7:27: catalog: concurrency is a setting of web servers, not of database"]


def test_the_engine_refuses_the_levers_elsewhere_and_applies_them_to_the_tier(tmp_path: Path) -> None:
    e = Engine(load_scenario(write(tmp_path, SCENARIO, "s.yaml")).config)
    refused = e.apply(Configure("database-1", db_timeout=0.2))
    assert not refused.ok and "web tier" in refused.message
    assert not e.apply(Configure("web", db_retries=7)).ok
    ok = e.apply(Configure("web-1", db_timeout=0.2, db_retries=1, breaker=BreakerRule(0.5, 10.0)))
    assert ok.ok, ok.message
    assert (e.db_calls.timeout, e.db_calls.retries, e.db_calls.breaker) == (0.2, 1, BreakerRule(0.5, 10.0))
    assert describe(Configure("web", db_timeout=0.2, db_retries=1)) == "configure web: db_timeout 200ms, db_retries 1"
