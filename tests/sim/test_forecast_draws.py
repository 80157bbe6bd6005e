"""Varied events: the seed draws each one's time and size within its documented range.

The ranges are the documented formulas, written here: a surge with nominal target T
and nominal level before it P draws its target in [T - size (T - P), T + size (T - P)];
its time moves by whole seconds within [at - vary.at, at + vary.at], inside the run.
"""

from __future__ import annotations

import statistics

from simtools import make_config, spec

from scaletui.sim.config import ScenarioEvent, TrafficChange, Vary
from scaletui.sim.engine import Engine
from scaletui.sim.report import engine_report

SEEDS = range(200)
SIZE = 0.3
REACH = 120  # vary.at: 2m
BASE = 1000.0


def surge(at: float, users: float | None = None, factor: float | None = None, **kw) -> ScenarioEvent:
    return ScenarioEvent(at=at, kind="traffic", traffic=TrafficChange(users=users, users_factor=factor), **kw)


# A: 1,000 -> 4,000. B: x2 of A's NOMINAL 4,000 -> 8,000. C: 2,000 for 5 minutes, then
# back to 8,000 (its revert counts). D: x3 of 8,000 -> 24,000.
A = surge(300, users=4000, over=60, id="a", vary=Vary(at=REACH, size=SIZE))
B = surge(600, factor=2, id="b", vary=Vary(size=SIZE))
C = surge(900, users=2000, duration=300)
D = surge(1500, factor=3, id="d", vary=Vary(size=SIZE))
EARLY = ScenarioEvent(at=60, kind="fail", target="web-1", duration=30, vary=Vary(at=REACH))
LATE = ScenarioEvent(at=1740, kind="say", say="late", vary=Vary(at=REACH))
CONFIG = make_config(spec("web", "large"), users=BASE, duration=1800.0, events=(A, B, C, D, EARLY, LATE))


def draws() -> list[dict[int, tuple[float, float | None]]]:
    """Per seed: event index -> (drawn time, drawn users)."""
    return [{d.index: (d.at, d.users) for d in Engine(CONFIG, seed=s).drawn} for s in SEEDS]


DRAWS = draws()


def check_users(index: int, target: float, before: float) -> None:
    got = [run[index][1] for run in DRAWS]
    assert all(u is not None for u in got)
    values = [u for u in got if u is not None]
    spread = SIZE * abs(target - before)
    lo, hi = target - spread, target + spread
    assert all(lo <= u <= hi for u in values), (min(values), max(values), lo, hi)
    # Uniform over the whole range: the extremes of 200 draws come near both ends.
    assert min(values) <= lo + 0.05 * (hi - lo) and max(values) >= hi - 0.05 * (hi - lo)
    assert abs(statistics.mean(values) - target) <= 0.03 * target


def test_a_varied_surge_draws_its_size_within_the_range_and_covers_it() -> None:
    check_users(0, 4000.0, BASE)


def test_a_second_surge_is_varied_on_the_first_ones_nominal_level_not_its_draw() -> None:
    # Were P and T taken from A's draw (3,100-4,900), B would reach 5,270-11,270.
    check_users(1, 8000.0, 4000.0)


def test_the_nominal_level_before_a_surge_counts_the_reverts_of_earlier_ones() -> None:
    # C (2,000 for 5m) has ended by D: D triples 8,000, not C's 2,000.
    check_users(3, 24000.0, 8000.0)


def test_times_move_by_whole_seconds_within_the_reach_and_stay_inside_the_run() -> None:
    for index, nominal in ((0, 300.0), (4, 60.0), (5, 1740.0)):
        times = [run[index][0] for run in DRAWS]
        assert all(t == int(t) for t in times)
        assert all(max(0.0, nominal - REACH) <= t <= min(1800.0, nominal + REACH) for t in times)
    a = [run[0][0] for run in DRAWS]
    assert min(a) <= 300 - REACH + 12 and max(a) >= 300 + REACH - 12  # 5% of the 240 s span
    assert min(run[4][0] for run in DRAWS) == 0.0  # clamped at the start (a quarter of draws would be earlier)
    assert max(run[5][0] for run in DRAWS) == 1800.0  # clamped at the end


def test_an_event_varied_only_in_time_keeps_its_size() -> None:
    assert all(run[4][1] is None and run[5][1] is None for run in DRAWS)
    assert all(2 not in run for run in DRAWS)  # C does not vary: nothing drawn


def test_the_same_seed_draws_the_same_and_other_seeds_differ() -> None:
    assert draws() == DRAWS
    assert len({(run[0], run[1]) for run in DRAWS}) == len(DRAWS)


def test_the_engine_plays_the_drawn_surge() -> None:
    # A short run: 1,000 users at 1 request/s each, one varied surge to 3,000 at 2m over 1m.
    rpu = 1.0
    ev = surge(120, users=3000, over=60, id="s", vary=Vary(at=60, size=SIZE))
    cfg = make_config(spec("web", "xlarge"), spec("web", "xlarge"), users=BASE, rps_per_user=rpu,
                      duration=600.0, events=(ev,))
    for seed in (1, 2):
        e = Engine(cfg, seed=seed)
        (d,) = e.drawn
        assert d.users is not None
        e.run()
        # The report's windows (t: their start) after the ramp's end offer drawn users x rps/user.
        after = [row for row in engine_report(e, "vary")["series"] if row["t"] >= d.at + 60.0]
        assert len(after) >= 4
        offered = statistics.mean(row["rps"] for row in after)
        assert abs(offered - d.users * rpu) <= 0.01 * d.users * rpu, (offered, d.users)


def test_no_vary_draws_nothing_and_plays_the_events_as_written() -> None:
    plain = make_config(spec("web", "large"), users=BASE, duration=1800.0, events=(A, B, C, D))
    unvaried = make_config(spec("web", "large"), users=BASE, duration=1800.0,
                           events=tuple(ScenarioEvent(**{**ev.__dict__, "vary": None}) for ev in (A, B, C, D)))
    zero = make_config(spec("web", "large"), users=BASE, duration=1800.0,
                       events=tuple(ScenarioEvent(**{**ev.__dict__, "vary": Vary()}) for ev in (A, B, C, D)))
    assert Engine(plain, seed=3).drawn  # the varied ones are drawn
    for cfg in (unvaried, zero):
        e = Engine(cfg, seed=3)
        assert e.drawn == () and e.script == cfg.events


def test_the_draws_leave_the_engines_other_draws_alone() -> None:
    # A varied say changes nothing the engine simulates: the run is the run without vary.
    def series(vary: Vary | None) -> list:
        say = ScenarioEvent(at=60, kind="say", say="hello", vary=vary)
        e = Engine(make_config(spec("web", "large"), users=BASE, duration=300.0, events=(say,)), seed=5)
        e.run()
        return [(row.t, row.rps, row.p95_ms) for row in e.metrics.series]

    assert series(Vary(at=30)) == series(None)
