"""Scenario and plan files: what loads, and every kind of bad input as file:line:col."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from scaletui.scenario import ScenarioError, load_plan, load_scenario
from scaletui.scenario.durations import format_duration, parse_duration
from scaletui.scenario.load import command_to_action
from scaletui.sim.commands import Add, Configure, Promote, Remove, Upgrade

ILLUSTRATION = """\
name: launch-day
title: Launch day
brief: A tech blog is about to feature you. One server will not survive it.
duration: 2h
seed: 7
slo: {availability: 99.9, latency_p95_ms: 300}
budget_per_hour: 40
traffic:
  users: 2000            # concurrent users at the start
  rps_per_user: 0.05
  mix: {static: 0.5, read: 0.4, write: 0.1}
  keys: {count: 1000000, zipf: 0.9}
topology:
  - {kind: web, size: medium}
  - {kind: database, size: medium}
events:
  - {at: 10m, traffic: {users: x10}, over: 5m, say: "You are on the front page"}
  - {at: 40m, fail: web-1, for: 10m}
  - {at: 70m, hot_key: {share: 0.3}, for: 10m, say: "A celebrity joined"}
allow: [web, load_balancer, cache, cdn, replica, session_store, queue, shard, datacenter]
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
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


def test_design_illustration_loads_with_its_meaning(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, ILLUSTRATION))
    cfg = sc.config
    assert sc.name == "launch-day" and sc.title == "Launch day"
    assert cfg.duration == 7200 and cfg.seed == 7
    assert cfg.traffic.users == 2000 and cfg.traffic.rps_per_user == 0.05
    assert (cfg.traffic.mix.static, cfg.traffic.mix.read, cfg.traffic.mix.write) == (0.5, 0.4, 0.1)
    assert cfg.traffic.key_count == 1_000_000 and cfg.traffic.zipf == 0.9
    assert [(c.kind, c.size) for c in cfg.topology] == [("web", "medium"), ("database", "medium")]
    surge, crash, hot = cfg.events
    assert surge.kind == "traffic" and surge.at == 600 and surge.over == 300
    assert surge.traffic.users_factor == 10 and surge.say == "You are on the front page"
    assert crash.kind == "fail" and crash.target == "web-1" and crash.at == 2400 and crash.duration == 600
    assert hot.kind == "hot_key" and hot.share == 0.3 and hot.duration == 600
    assert sc.spec.slo.availability == 99.9 and sc.spec.slo.latency_p95_ms == 300
    assert sc.spec.budget_per_hour == 40
    assert sc.initial_ids() == ["dc-us-east", "web-1", "database-1"]


@pytest.mark.parametrize(
    "text,seconds",
    [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (45, 45), (2.5, 2.5), ("250ms", 0.25)],
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["1:30", "ten minutes", "-5s", "", "5 parsecs", True])
def test_bad_durations(bad) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_round_trips() -> None:
    for s in (0, 12.5, 59, 60, 540, 5400, 86400, 90061):
        assert parse_duration(format_duration(s)) == s


def test_surge_as_absolute_users(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, """\
        name: s
        duration: 1h
        events:
          - {at: 5m, traffic: {users: 20000}, over: 1m}
        """))
    ev = sc.config.events[0]
    assert ev.traffic.users == 20000 and ev.traffic.users_factor is None


def test_syntax_error_points_at_line_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1h\ntopology: [\n  {kind: web\n")
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:5:1: YAML syntax error")


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1h\ntraffic:\n  userz: 5\n")
    assert problems(p) == [f"{p}:4:3: unknown key 'userz'; did you mean 'users'?"]


def test_wrong_type_and_impossible_values(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        name: x
        duration: 1h
        slo: {availability: 120, latency_p95_ms: fast}
        traffic: {users: -5, rps_per_user: 0}
        """)
    got = problems(p)
    assert f"{p}:3:21: availability: should be less than or equal to 100" in got
    assert any(m.startswith(f"{p}:3:42: latency_p95_ms:") for m in got)
    assert f"{p}:4:18: users: should be greater than or equal to 0" in got
    assert f"{p}:4:36: rps_per_user: should be greater than 0" in got


def test_missing_required_key(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\n")
    assert problems(p) == [f"{p}:1:1: missing required key 'duration'"]


def test_duplicate_keys_are_caught(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1h\nduration: 2h\n")
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:3:1: duplicate key 'duration' (first given at line 2)")


def test_yaml11_booleans_are_not_silently_booleans(tmp_path: Path) -> None:
    # `on` as a key stays the word "on" (not True), so it is reported as unknown
    p = write(tmp_path, "name: x\nduration: 1h\ntraffic:\n  mix: {static: 1, on: 1}\n")
    assert problems(p) == [f"{p}:4:20: unknown key 'on' (expected one of: static, read, write, async, fanout)"]
    plan = write(tmp_path, "- {at: 1m, configure: cdn-1, invalidate: yes}\n", "p.plan.yaml")
    assert problems(plan) == [f"{plan}:1:42: invalidate: 'yes' is a boolean only in YAML 1.1; write true or false"]
    # a region called `no` (Norway) stays a region name
    sc = load_scenario(write(tmp_path, "name: x\nduration: 1h\ntraffic: {regions: {no: 1}}\n", "n.yaml"))
    assert sc.config.traffic.region_names == ("no",)


def test_sexagesimal_and_octal_are_not_numbers(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1:30\n")
    assert problems(p) == [f"{p}:2:11: duration: '1:30' is not a duration; write e.g. 90s, 10m, 2h, 1d or 1h30m"]
    sc = load_scenario(write(tmp_path, "name: x\nduration: 1h\nseed: 010\n", "o.yaml"))
    assert sc.config.seed == 10


def test_unknown_component_in_an_event(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        name: x
        duration: 1h
        topology: [{kind: web}, {kind: database}]
        events:
          - {at: 5m, fail: web-9, for: 1m}
          - {at: 6m, slow: cache}
        """)
    got = problems(p)
    assert len(got) == 1
    assert got[0].startswith(f"{p}:5:20: unknown component 'web-9'; did you mean 'web-1'?")


def test_event_after_the_end_and_unknown_region(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        name: x
        duration: 1h
        events:
          - {at: 2h, say: too late}
          - {at: 5m, outage: mars}
        """)
    got = problems(p)
    assert got[0].startswith(f"{p}:4:10: at 7200s is not before the end")
    assert got[1].startswith(f"{p}:5:22: no region 'mars'")


def test_bad_size_region_and_replica_target(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        name: x
        duration: 1h
        topology:
          - {kind: web, size: huge}
          - {kind: cache, region: eu-west}
        """)
    got = problems(p)
    assert got[0] == f"{p}:4:23: web comes in small, medium, large, xlarge, not 'huge'"
    assert got[1].startswith(f"{p}:5:27: no users are in region 'eu-west'")
    p2 = write(tmp_path, "name: x\nduration: 1h\ntopology: [{kind: database}, {kind: replica, of: web-1}]\n", "r.yaml")
    assert problems(p2)[0].startswith(f"{p2}:3:50: 'web-1' is not a database or shard")


def test_event_with_two_actions_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1h\nevents:\n  - {at: 1m, fail: web, outage: us-east}\n")
    assert problems(p) == [f"{p}:4:5: one event does one thing; this one has fail, outage"]


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    p = write(tmp_path, "- just\n- a list\n")
    assert problems(p) == [f"{p}:1:1: a scenario is a mapping of keys (name, duration, traffic, ...)"]
    missing = tmp_path / "nope.yaml"
    assert problems(missing) == [f"{missing}:1:1: no such file"]


def test_catalog_overrides_per_kind_and_size(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, """\
        name: x
        duration: 1h
        catalog:
          web:
            boot_s: 10s
            medium: {workers: 2, service_ms: 50}
            huge: {workers: 64, cost_per_hour: 30}
        topology: [{kind: web, size: huge}]
        """))
    web = sc.config.catalog["web"]
    assert web.boot_s == 10
    assert web.size("medium").workers == 2 and web.size("medium").service_ms == 50
    assert web.size("medium").cost_per_hour == 2.0  # untouched
    assert web.largest.name == "huge" and web.largest.workers == 64
    bad = write(tmp_path, "name: x\nduration: 1h\ncatalog: {web: {medium: {wrokers: 2}}}\n", "b.yaml")
    assert problems(bad) == [f"{bad}:3:26: unknown key 'wrokers'; did you mean 'workers'?"]


def test_plan_loads_every_verb(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        - {at: 9m, add: cache, size: large}
        - {at: 30m, upgrade: database-1, size: large}
        - {at: 41m, promote: replica-1}
        - {at: 1m, configure: cache, ttl: none}
        - {at: 2m, configure: web, autoscale: {min: 2, max: 8, target: 0.6, warmup: 2m}}
        - {at: 3m, remove: web-2}
        """, "x.plan.yaml")
    plan = load_plan(p)
    cmds = [(a.at, a.command) for a in plan.actions]
    assert cmds[0] == (60, Configure("cache", ttl=math.inf))
    assert isinstance(cmds[1][1], Configure) and cmds[1][1].autoscale.max == 8
    assert cmds[2] == (180, Remove("web-2"))
    assert cmds[3] == (540, Add("cache", "large"))
    assert cmds[4] == (1800, Upgrade("database-1", "large"))
    assert cmds[5] == (2460, Promote("replica-1"))
    assert (plan.actions[3].line, plan.actions[3].col) == (1, 3)


def test_plan_errors(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        actions:
          - {at: 1m, add: webb}
          - {at: 2m, remove: web-1, size: large}
          - {at: 3m, upgrade: web-1}
          - {at: 4m}
        """, "y.plan.yaml")
    got = problems(p)
    assert got[0].startswith(f"{p}:2:19: add: 'webb' is not valid; did you mean 'web'?")
    assert got[1] == f"{p}:3:5: size does not go with remove"
    assert got[2] == f"{p}:4:5: upgrade needs a size"
    assert got[3].startswith(f"{p}:5:5: an action needs one of add, remove")


def test_misspelt_kind_gets_a_suggestion(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1h\ntopology: [{kind: databse}]\n")
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:3:19: kind: 'databse' is not valid; did you mean 'database'? (it should be")


def test_colon_in_unquoted_text_is_explained(tmp_path: Path) -> None:
    p = write(tmp_path, "name: x\nduration: 1h\nhints:\n  - Watch out: it is a trap\n")
    (msg,) = problems(p)
    assert msg.startswith(f"{p}:4:5: expected text, but YAML read a mapping here")


def _readme_yaml_blocks() -> list[str]:
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]


def test_readme_scenario_and_plan_examples_load(tmp_path: Path) -> None:
    scenario, plan = _readme_yaml_blocks()[:2]
    sc = load_scenario(write(tmp_path, scenario))
    assert sc.name == "launch-day"
    assert sc.config.traffic.revenue_per_1k_requests == 0.5
    assert [r for r, _ in sc.config.traffic.regions] == ["us-east", "eu-west"]
    assert sc.config.catalog["web"].concurrency == "threads"
    actions = load_plan(write(tmp_path, plan, "p.plan.yaml")).actions
    assert len(actions) == 19
    assert (sc.spec.slo.stale_reads, sc.spec.slo.returning_users) == (1.0, 75)
    assert (sc.config.traffic.return_rate, sc.config.traffic.churn_on_failure) == (0.8, 0.5)
    assert Configure("cache-1", on_write="invalidate") in [a.command for a in actions]
    assert sc.config.sharding.scheme == "mod"
    assert {type(a.command) for a in actions} == {Add, Upgrade, Promote, Remove, Configure}


def test_fanout_keys_and_the_denormalize_action(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, """\
        name: x
        duration: 1h
        traffic: {mix: {static: 0.2, write: 0.2, fanout: 0.6}, fanout_shards: 3}
        """))
    assert sc.config.traffic.mix.fanout == 0.6 and sc.config.traffic.fanout_shards == 3
    assert load_scenario(write(tmp_path, "name: x\nduration: 1h\n", "d.yaml")).config.traffic.fanout_shards is None
    plan = load_plan(write(tmp_path, "- {at: 1m, configure: database-1, denormalize: true}\n", "p.plan.yaml"))
    assert plan.actions[0].command == Configure("database-1", denormalize=True)
    assert command_to_action(60.0, plan.actions[0].command) == {
        "at": "1m", "configure": "database-1", "denormalize": True}
    bad = write(tmp_path, """\
        name: x
        duration: 1h
        traffic: {fanout_shards: 0, mix: {read: 0.5, fanout: 0.6}}
        """, "b.yaml")
    got = problems(bad)
    assert f"{bad}:3:26: fanout_shards: should be greater than or equal to 1" in got
    assert any(m.startswith(f"{bad}:3:34: mix: ") and "sum to 1" in m for m in got)
    bad_plan = write(tmp_path, """\
        - {at: 1m, configure: database-1, denormalize: yes}
        - {at: 2m, add: shard, denormalize: true}
        """, "b.plan.yaml")
    assert problems(bad_plan) == [
        f"{bad_plan}:1:48: denormalize: 'yes' is a boolean only in YAML 1.1; write true or false",
        f"{bad_plan}:2:3: denormalize does not go with add",
    ]


def test_revenue_per_request_is_checked(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        name: x
        duration: 1h
        traffic: {revenue_per_1k_requests: -1}
        """)
    assert f"{p}:3:36: revenue_per_1k_requests: should be greater than or equal to 0" in problems(p)
