"""Active and returning users under the documented churn rule (game/business.py).

A visit lasts the session (10 minutes) and sends k = rps_per_user x 600 requests; with
error rate e it meets a failure with probability 1 - (1 - e)^k. A good visit comes back
with probability 0.8, one that met a failure half as often.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scaletui.game.business import BusinessMetrics
from scaletui.game.plans import play_plan
from scaletui.game.session import AT_RISK, LOST, WON, Game
from scaletui.scenario import load_plan, load_scenario
from scaletui.sim.config import Traffic
from scaletui.sim.snapshot import TickRow


def tick(t: float, users: float, error_rate: float) -> TickRow:
    return TickRow(t=t, users=users, users_served=users * (1 - error_rate), offered_rps=users * 0.05,
                   served_rps=users * 0.05 * (1 - error_rate), failed_rps=users * 0.05 * error_rate,
                   error_rate=error_rate, p95_ms=50.0, cost_per_hour=1.0, hit_rate=None, db_utilization=0.0,
                   lag_s=0.0, queue_depth=0.0)


def test_returning_users_follow_the_churn_rule() -> None:
    """1,000 users for 20 minutes: 2,000 visits of 30 requests. Ten good minutes and ten at
    2% errors: half the visits met a failure with probability 1 - 0.98^30 = 0.455."""
    biz = BusinessMetrics(Traffic(users=1000, rps_per_user=0.05, session_minutes=10))
    for t in range(600):
        biz.observe(tick(t, 1000.0, 0.0), 1.0)
    for t in range(600, 1200):
        biz.observe(tick(t, 1000.0, 0.02), 1.0)
    f = biz.figures()
    met = 1000 * (1 - 0.98 ** 30)
    assert f.active_users == pytest.approx(2000.0)
    assert f.met_failures == pytest.approx(met)
    assert f.returning_users == pytest.approx(0.8 * (2000 - 0.5 * met))
    # Tomorrow's revenue: returning users x 30 requests x 0.5 per 1,000; the failures cost the rest.
    assert f.revenue_tomorrow == pytest.approx(f.returning_users * 30 * 0.0005)
    assert f.revenue_lost_tomorrow == pytest.approx(0.8 * 0.5 * met * 30 * 0.0005)


def test_no_failures_keep_the_return_rate() -> None:
    biz = BusinessMetrics(Traffic(users=500, rps_per_user=0.1, return_rate=0.7))
    for t in range(300):
        biz.observe(tick(t, 500.0, 0.0), 1.0)
    assert biz.figures().returning_share == pytest.approx(0.7)


SCENARIO = """\
name: loyal
duration: 10m
seed: 5
slo: {availability: 50, returning_users: 78}
traffic:
  users: 1000
  rps_per_user: 0.1
  mix: {static: 1.0}
topology:
  - {kind: web, size: large}
events:
  - {at: 4m, fail: web-1, for: 1m}
allow: [web]
"""


def test_returning_users_objective_in_the_report_the_panel_and_the_outcome(tmp_path: Path) -> None:
    """A minute without the only web server: the visits of those minutes (k = 60 requests)
    all meet a failure, and the share that comes back falls under 78% (0.8 x (1 - 0.5 x 0.1) = 76%); with the objective
    at 70% the same run is won. The report carries the figures either way."""
    path = tmp_path / "loyal.yaml"
    path.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    none = tmp_path / "none.plan.yaml"
    none.write_text("[]\n", encoding="utf-8")
    game = Game(load_scenario(path))
    result = play_plan(game, load_plan(none))
    assert result.outcome == LOST and "returning_users" in result.reason
    biz = game.report()["business"]
    # 10 minutes of 1,000 users in 10-minute visits; about a tenth of them (the failure's
    # minute, plus the health check's seconds) met failures and come back half as often.
    assert biz["active_users"] == pytest.approx(1000.0, rel=1e-3)
    assert 0.8 * (1 - 0.5 * 0.12) < biz["returning_share"] < 0.8 * (1 - 0.5 * 0.08)
    panel = next(o for o in game.view().objectives if o.name == "returning_users")
    assert panel.status == AT_RISK and panel.label == "returning users >= 78%"
    path.write_text(textwrap.dedent(SCENARIO).replace("returning_users: 78", "returning_users: 70"), encoding="utf-8")
    assert play_plan(Game(load_scenario(path)), load_plan(none)).outcome == WON
