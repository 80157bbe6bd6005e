"""Two runs side by side, from their reports: which run did better, on one scale."""

from __future__ import annotations

from scaletui.game.compare import compare, missing_fields


def _report(name: str, *, outcome: str, failed: int, p95: float, cost: float, rps: list[float],
            errors: list[float], actions: list[tuple[float, str]], met: bool) -> dict:
    return {
        "scenario": name, "seed": 7, "model": "flow", "outcome": outcome, "stars": 3 if met else 0,
        "score": 900 if met else 100, "reason": "every objective met" if met else "the error budget is spent",
        "slo": [{"objective": "availability", "target": 99.5, "achieved": 100 - failed / 1000, "met": met},
                {"objective": "latency_p95", "target": 250.0, "achieved": 100.0 if met else 80.0, "met": met}],
        "budget": {"per_hour": 45.0, "peak_cost_per_hour": cost},
        "totals": {"requests": 100_000, "served": 100_000 - failed, "failed": failed, "availability": 100 - failed / 1000,
                   "latency_ms": {"mean": p95 / 3, "p50": p95 / 4, "p95": p95, "p99": p95 * 1.5},
                   "cost": cost, "lost_writes": 0, "revenue_lost": failed / 100},
        "series": [{"t": 60.0 * i, "rps": r, "error_rate": e, "p95_ms": p95, "cost_per_hour": cost}
                   for i, (r, e) in enumerate(zip(rps, errors))],
        "actions": [{"t": t, "action": a} for t, a in actions],
    }


A = _report("scale-out", outcome="lost", failed=2000, p95=900.0, cost=12.0, rps=[100, 200, 300],
            errors=[0.0, 0.01, 0.2], actions=[(300.0, "add load balancer")], met=False)
B = _report("scale-out", outcome="won", failed=100, p95=70.0, cost=24.0, rps=[100, 200, 300, 400],
            errors=[0.0, 0.0, 0.001, 0.0], actions=[(60.0, "add load balancer"), (840.0, "add web")], met=True)


def test_the_better_run_is_named_for_each_figure() -> None:
    c = compare(A, B, ("mine", "ref"))
    rows = {r.name: r for r in c.totals}
    assert rows["failed"].better == "b" and rows["failed"].a == "2,000" and rows["failed"].b == "100"
    assert rows["latency p95"].better == "b"
    assert rows["cost"].better == "a"  # cheaper is better, even in the run that lost
    assert rows["requests"].better is None  # equal: nobody is better
    objectives = {r.name: r for r in c.objectives}
    assert objectives["availability >= 99.5%"].a == "✘ 98.000%"
    assert objectives["availability >= 99.5%"].b == "✔ 99.900%"
    assert objectives["availability >= 99.5%"].better == "b"
    outcome = next(r for r in c.heading if r.name == "outcome")
    assert outcome.a.startswith("lost ☆☆☆") and outcome.b.startswith("won ★★★") and outcome.better == "b"
    assert c.same_scenario


def test_curves_share_one_scale_that_holds_the_target() -> None:
    c = compare(A, B)
    by = {cv.name: cv for cv in c.curves}
    rps = by["requests/s"]
    assert rps.top == 400 and rps.a == [100, 200, 300] and rps.b == [100, 200, 300, 400]
    errors = by["errors"]
    assert errors.a == [0.0, 1.0, 20.0]  # percent
    assert errors.target == 0.5  # 100 - 99.5: what the availability objective allows
    assert errors.over_target(errors.a, 3) == [False, True, True]
    p95 = by["p95"]
    assert p95.target == 250.0 and p95.top == 900.0
    cost = by["cost/h"]
    assert cost.target == 45.0 and cost.top == 45.0  # the budget is above both runs: it sets the scale


def test_actions_interleave_in_time_order() -> None:
    c = compare(A, B)
    assert [(s.t, s.run, s.text) for s in c.steps] == [
        (60.0, "b", "add load balancer"), (300.0, "a", "add load balancer"), (840.0, "b", "add web")]


def test_different_scenarios_are_flagged_and_a_report_needs_its_fields() -> None:
    other = dict(B, scenario="cdn")
    assert not compare(A, other).same_scenario
    assert missing_fields(A) == []
    assert missing_fields({"scenario": "x", "totals": {}}) == ["outcome", "series", "slo"]
    assert missing_fields([1, 2]) == ["scenario", "outcome", "totals", "series", "slo"]


def test_a_line_starts_at_minute_zero_however_wide_the_space() -> None:
    c = compare(A, B)
    rps = next(cv for cv in c.curves if cv.name == "requests/s")
    for width in (2, 4, 40):
        a_cells, _ = rps.line(rps.a, 4, width)
        b_cells, _ = rps.line(rps.b, 4, width)
        assert len(a_cells) == len(b_cells) == width
        assert a_cells[0] != " " and b_cells[0] != " "
        assert len(a_cells.rstrip()) <= len(b_cells.rstrip())  # A has 3 minutes, B 4


def test_an_unfinished_run_is_not_called_won() -> None:
    unfinished = dict(B, ended_at_s=185.0, duration_s=2400.0)
    outcome = next(r for r in compare(A, unfinished).heading if r.name == "outcome")
    assert outcome.b == "unfinished: played to 3:05" and outcome.better is None
    c = compare(A, unfinished)
    assert all(r.better is None for r in c.objectives + c.totals)  # a run cut short wins nothing


def test_stale_reads_read_as_a_percent_of_reads_as_everywhere_else() -> None:
    """A playtest saw "stale reads (target 1) ✔ 0.196009 / ✘ 1.63163" beside "0.196%"
    elsewhere: the objective's target and figures are percents of reads."""
    a, b = dict(A), dict(B)
    a["slo"] = A["slo"] + [{"objective": "stale_reads", "target": 1.0, "achieved": 1.63163, "met": False}]
    b["slo"] = B["slo"] + [{"objective": "stale_reads", "target": 1.0, "achieved": 0.196009, "met": True}]
    row = next(r for r in compare(a, b, ("mine", "ref")).objectives if r.name.startswith("stale reads"))
    assert (row.name, row.a, row.b, row.better) == ("stale reads <= 1%", "✘ 1.632%", "✔ 0.196%", "b")
