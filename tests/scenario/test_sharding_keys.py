"""The sharding keys of scenario and plan files: meaning, round trip, and errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scaletui.runner.headless import schema_command
from scaletui.scenario import ScenarioError, load_plan, load_scenario
from scaletui.scenario.load import command_to_action
from scaletui.sim.commands import Configure, describe


def write(tmp_path: Path, text: str, name: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_a_scenario_sets_the_scheme_the_virtual_nodes_and_the_copy_rates(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, """\
        name: x
        duration: 10m
        sharding: {scheme: consistent, vnodes: 512, migrate_keys_per_s: 2000, migrate_ms_per_key: 0.5}
        topology: [{kind: web}, {kind: database}]
        """, "s.yaml"))
    s = sc.config.sharding
    assert (s.scheme, s.vnodes, s.migrate_keys_per_s, s.migrate_ms_per_key) == ("consistent", 512, 2000, 0.5)


def test_a_plan_reshards_to_a_ring_and_records_it_back(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, """\
        - {at: 1m, configure: database-1, sharding: consistent}
        - {at: 5m, configure: database-1, shards: 3, sharding: mod}
        """, "x.plan.yaml"))
    cmds = [a.command for a in plan.actions]
    assert cmds == [Configure("database-1", sharding="consistent"), Configure("database-1", shards=3, sharding="mod")]
    assert command_to_action(60, cmds[0]) == {"at": "1m", "configure": "database-1", "sharding": "consistent"}
    # The log says the scheme in words, as the playtest asked ("by consistent" read as a typo).
    assert describe(cmds[1]) == "configure database-1: shards 3, sharding by hash mod n"
    assert describe(cmds[0]) == "configure database-1: sharding by consistent-hash ring"


def test_bad_sharding_values_point_at_their_place(tmp_path: Path) -> None:
    p = write(tmp_path, """\
        - {at: 1m, configure: database-1, sharding: ring}
        - {at: 2m, add: shard, sharding: consistent}
        """, "y.plan.yaml")
    with pytest.raises(ScenarioError) as info:
        load_plan(p)
    got = [str(x) for x in info.value.problems]
    assert got[0] == f"{p}:1:45: sharding: should be 'mod' or 'consistent'"
    assert got[1] == f"{p}:2:3: sharding does not go with add"
    s = write(tmp_path, "name: x\nduration: 1h\nsharding: {migrate_keys_per_s: 100000, migrate_ms_per_key: 5}\n",
              "s.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(s)
    (msg,) = [str(x) for x in info.value.problems]
    assert msg.startswith(f"{s}:3:11: ") and "500 workers busy" in msg


def test_the_cli_reports_a_bad_scheme_with_exit_code_2(tmp_path: Path) -> None:
    s = write(tmp_path, "name: x\nduration: 1m\nsharding: {scheme: modulo}\ntopology: [{kind: web}]\n", "s.yaml")
    src = Path(__file__).resolve().parents[2] / "src"
    run = subprocess.run([sys.executable, "-m", "scaletui", "run", str(s), "--json"], capture_output=True,
                         text=True, env={"PYTHONPATH": str(src)})
    assert run.returncode == 2
    assert f"{s}:3:20: " in run.stderr and "Traceback" not in run.stderr


def test_the_json_schema_has_the_sharding_keys() -> None:
    doc = json.loads(schema_command())
    text = json.dumps(doc)
    assert "sharding" in doc["scenario"]["properties"]
    for key in ("scheme", "vnodes", "migrate_keys_per_s", "migrate_ms_per_key"):
        assert f'"{key}"' in text
    assert '"consistent"' in text  # the plan action's values
