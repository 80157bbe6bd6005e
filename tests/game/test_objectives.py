"""Error budget, latency windows, burn-rate alerts, stars and score."""

from __future__ import annotations

import pytest

from scaletui.game.scoring import score_run
from scaletui.game.session import LOST, WON
from scaletui.sim.commands import Add
from tests.game.conftest import BASE


def test_error_budget_ends_the_game_the_moment_it_is_spent(make_game) -> None:
    # A crash of the only database with no replica: every dynamic request fails.
    game = make_game("events:\n  - {at: 5m, fail: database-1}\n")
    allowed = game.budget.allowed
    result = game.finish()
    assert result.outcome == LOST
    assert "error budget is spent" in result.reason
    m = game.engine.metrics
    assert m.failed > allowed
    # The tick before the end had not spent it: the game stopped at the first tick over.
    before = m.failed - game.engine.metrics.recent[-1].failed_rps * game.engine.dt
    assert before <= allowed
    assert game.engine.now < game.engine.duration
    assert result.ended_at == game.engine.now
    # Nothing happens after the end.
    assert game.act(Add("web")).ok is False
    n = len(game.engine.events.events)
    game.step(game.engine.duration)
    assert len(game.engine.events.events) == n


def test_burn_rate_alerts_come_before_the_budget_is_gone(make_game) -> None:
    game = make_game("events:\n  - {at: 5m, fail: database-1}\n")
    game.finish()
    events = game.engine.events.events
    alerts = [e for e in events if e.kind == "alert" and "burn" in e.message]
    over = [e for e in events if e.kind == "outcome"]
    assert alerts and over
    assert alerts[0].t < over[0].t
    assert "fast burn" in alerts[0].message or "slow burn" in alerts[0].message


def test_burn_rate_alert_estimates_when_the_budget_is_gone(make_game) -> None:
    # Early in the run the alert's window holds only a few seconds: the estimate must use
    # the failures per second of what it holds, not spread them over the whole window.
    game = make_game("events:\n  - {at: 30s, fail: database-1}\n")
    game.finish()
    events = game.engine.events.events
    alert = next(e for e in events if e.kind == "alert" and "fast burn" in e.message)
    over = next(e for e in events if e.kind == "outcome")
    estimate = alert.message.split("gone in ")[1].rstrip(")")
    seconds = float(estimate[:-1]) * {"s": 1, "m": 60, "h": 3600}[estimate[-1]]
    actual = over.t - alert.t
    assert 0.5 * actual <= seconds <= 2 * actual, (estimate, actual)


def test_objective_states_follow_the_budget_not_the_early_ratio(make_game) -> None:
    game = make_game("slo: {availability: 99.0, latency_p95_ms: 500}\nevents:\n  - {at: 20s, fail: database-1, for: 3s}\n",
                     base=BASE.replace("slo: {availability: 99.0}\n", ""))
    states = lambda: {o.name: o.status for o in game.view().objectives}  # noqa: E731
    assert states() == {"availability": "ok", "latency_p95": "waiting"}  # nothing measured yet
    game.step(10)
    assert states() == {"availability": "ok", "latency_p95": "ok"}
    game.step(25)  # the database is down: the budget burns fast
    assert game.view().availability < 99.0
    assert states()["availability"] == "at risk"
    game.step(150)  # long recovered: the ratio is still under target, but most of the budget is left
    view = game.view()
    assert view.availability < 99.0 and view.budget_left > 0.25
    assert not any(game.alerts.firing.values())
    assert states()["availability"] == "ok"


def test_quiet_run_is_won_with_stars(make_game) -> None:
    game = make_game()
    result = game.finish()
    assert result.outcome == WON
    assert result.card.stars >= 2  # within the cap of 30/h
    assert [o.name for o in result.objectives] == ["availability"]
    assert all(o.met for o in result.objectives)


def test_latency_objective_is_per_window(make_game) -> None:
    # Too tight a target for any window: lost at the end, not at once.
    game = make_game("slo: {availability: 99.0, latency_p95_ms: 1, latency_window: 2m}\n".replace(
        "slo", "slo", 1), base=__import__("tests.game.conftest", fromlist=["BASE"]).BASE.replace(
        "slo: {availability: 99.0}\n", ""))
    result = game.finish()
    assert result.outcome == LOST
    lat = [o for o in result.objectives if o.name == "latency_p95"][0]
    assert not lat.met and lat.achieved_value == 0.0
    assert game.latency.windows == 10  # 20 minutes in windows of 2
    assert result.ended_at == game.engine.duration


def test_lost_writes_objective(make_game) -> None:
    extra = """\
        slo: {availability: 50, lost_writes: 0}
        events:
          - {at: 1m, slow: replica-1, factor: 40}
          - {at: 2m, fail: database-1}
        """
    base = __import__("tests.game.conftest", fromlist=["BASE"]).BASE.replace("slo: {availability: 99.0}\n", "")
    base = base.replace("mix: {static: 0.3, read: 0.6, write: 0.1}", "mix: {read: 0.2, write: 0.8}")
    base = base.replace("  - {kind: database, size: medium}\n",
                        "  - {kind: database, size: medium}\n  - {kind: replica, size: medium}\n")
    game = make_game(extra, base=base)
    game.step(2 * 60 + 1)
    from scaletui.sim.commands import Promote

    assert game.act(Promote("replica-1")).ok
    result = game.finish()
    lw = [o for o in result.objectives if o.name == "lost_writes"][0]
    # 80 writes/s against a replica slowed to apply 40/s, for a minute: ~2,400 behind,
    # promoted a second after the crash, before it could apply them.
    assert 1500 < lw.achieved_value < 4000 and not lw.met
    assert result.outcome == LOST


def test_stars_follow_the_definitions() -> None:
    common = dict(budget_left=0.5, latency_share=1.0, hours=1.0, overspend=0.0, penalise=False, lasted=1.0)
    assert score_run(won=False, cost=5, par_cost=6, budget_per_hour=10, peak_cost_per_hour=5, **common).stars == 0
    assert score_run(won=True, cost=5, par_cost=4, budget_per_hour=10, peak_cost_per_hour=12, **common).stars == 1
    assert score_run(won=True, cost=5, par_cost=4, budget_per_hour=10, peak_cost_per_hour=9, **common).stars == 2
    assert score_run(won=True, cost=5, par_cost=6, budget_per_hour=10, peak_cost_per_hour=9, **common).stars == 3
    assert score_run(won=True, cost=5, par_cost=None, budget_per_hour=None, peak_cost_per_hour=9, **common).stars == 2


def test_score_rewards_availability_latency_and_low_cost() -> None:
    def score(**kw):
        base = dict(won=True, budget_left=0.5, latency_share=0.9, cost=8.0, par_cost=6.0, budget_per_hour=10.0,
                    hours=1.0, peak_cost_per_hour=8.0, overspend=0.0, penalise=False, lasted=1.0)
        base.update(kw)
        return score_run(**base).score

    s = score()
    assert score(budget_left=0.9) > s
    assert score(latency_share=1.0) > s
    assert score(cost=6.0) > s
    assert score(won=False, lasted=0.5) < s
    # gradual: a little less budget left costs a little score
    assert 0 < score(budget_left=0.5) - score(budget_left=0.45) <= 30
    assert score_run(won=True, budget_left=1, latency_share=1, cost=1, par_cost=1, budget_per_hour=1, hours=1,
                     peak_cost_per_hour=1, overspend=0, penalise=False, lasted=1).score == 1000


@pytest.mark.parametrize("users", [4000, 4400, 4800])
def test_degradation_is_gradual(make_game, users) -> None:
    """A little too little capacity costs a little availability, not everything at once."""
    base = __import__("tests.game.conftest", fromlist=["BASE"]).BASE.replace("users: 2000", f"users: {users}")
    base = base.replace("slo: {availability: 99.0}", "slo: {availability: 1.0}")
    game = make_game(base=base)
    game.finish()
    t = game.engine.metrics.totals()
    # two medium web servers serve 800 rps; users * 0.05 offered
    offered = users * 0.05
    expected_loss = max(0.0, 1 - 800 / offered)
    assert abs((100 - t.availability) / 100 - expected_loss) < 0.03


SILENT_LEVEL = """\
name: silent
duration: 8m
seed: 5
slo: {availability: 50.0, latency_p95_ms: 250}
traffic:
  users: 2000
  rps_per_user: 0.05
  mix: {static: 0.3, read: 0.6, write: 0.1}
topology:
  - {kind: load_balancer, size: small}
  - {kind: web, size: medium}
  - {kind: database, size: medium}
events:
  - {at: 150s, fail: lb-1, for: 3m}
"""


def test_windows_that_answered_nothing_are_counted_apart_from_the_worst_p95(make_game) -> None:
    """The load balancer is down from 2:30 to 5:30: the windows of minutes 3 and 4 answer
    nothing. They are misses with no p95, so "worst p95" (of the 6 windows that answered)
    alone read as if the run had been nearly fine: each place that shows it says how many."""
    from scaletui.game.compare import compare

    game = make_game(base=SILENT_LEVEL)
    result = game.finish()
    lat = next(o for o in result.objectives if o.name == "latency_p95")
    assert (lat.met, lat.silent_windows) == (False, 2)
    assert lat.achieved.startswith(f"{100 * 6 / 8:.1f}% of 8 windows (worst p95 ")
    assert lat.achieved.endswith(" ms; 2 windows answered nothing)")
    assert result.reason == f"objective missed: latency_p95 {lat.achieved}"
    report = game.report()
    slo = next(o for o in report["slo"] if o["objective"] == "latency_p95")
    assert slo["silent_windows"] == 2 and slo["text"].endswith("; 2 windows answered nothing)")
    panel = next(o for o in game.view().objectives if o.name == "latency_p95")
    assert panel.current.endswith(", 6/8 ok, 2 unanswered")
    row = next(r for r in compare(report, report).objectives if r.name.startswith("p95"))
    assert row.a == "✘ 75.0% of windows; 2 windows answered nothing"
