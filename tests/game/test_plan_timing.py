"""A plan's action takes effect at the first tick at or after its time (README, "Plans")."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scaletui.game.plans import play_plan
from scaletui.game.session import Game
from scaletui.scenario.load import load_plan, load_scenario

SCENARIO = """\
name: timing
duration: 70s
tick: {tick}
slo: {{availability: 1}}
traffic:
  users: 100
  rps_per_user: 1
  mix: {{static: 1}}
topology:
  - {{kind: web, size: large}}
allow: [web]
"""

# An upgrade restarts the only web server: everything fails from the tick it applies at.
PLAN = "scenario: timing\nactions:\n  - {at: 59.5s, upgrade: web-1, size: xlarge}\n"


@pytest.mark.parametrize("tick, last_up, first_down", [(1, 59.0, 60.0), (0.25, 59.25, 59.5)])
def test_a_plan_action_at_59_5s_applies_from_the_first_tick_at_or_after(tmp_path: Path, tick, last_up, first_down):
    (tmp_path / "level.yaml").write_text(textwrap.dedent(SCENARIO.format(tick=tick)), encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    game = Game(load_scenario(tmp_path / "level.yaml"), seed=3)
    play_plan(game, load_plan(tmp_path / "plan.yaml"))
    rows = {r.t: r for r in game.engine.metrics.recent}
    assert rows[last_up].served_rps > 50 and rows[last_up].failed_rps == 0
    assert rows[first_down].served_rps == 0 and rows[first_down].failed_rps > 50
    assert [t for t, _ in game.applied] == [first_down]
