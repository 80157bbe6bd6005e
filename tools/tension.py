"""How tense each campaign level is: the tension rules of issue 13, level by level.

For each level (all, or those named) plays the reference plan on ten seeds (the level's
own and the next nine) and prints how many it wins, how much of the error budget it
leaves and its worst p95 window against the target on the level's own seed, and the
outcome with its key actions (lines marked `# key` in the plan) 3 minutes late.
The rules: wins >= 9 of 10; budget left <= 60% or worst p95 >= 75% of the target;
late loses. tests/campaign/test_tension.py proves them on fewer seeds.

    python tools/tension.py [NAME ...] [--seeds 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "campaign"))

from scaletui.game.plans import play_plan  # noqa: E402
from scaletui.game.session import WON, Game  # noqa: E402
from scaletui.scenario.campaign import builtin_names, builtin_path, solution_path  # noqa: E402
from scaletui.scenario.load import load_plan, load_scenario  # noqa: E402
from test_tension import key_actions, late_plan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    names = args.names or builtin_names()
    print(f"{'level':18} {'wins':>6} {'left':>5} {'worst':>6} {'late':>5}  lost seeds / late reason")
    for name in names:
        sc = load_scenario(builtin_path(name))
        path = solution_path(name)
        assert path is not None, name
        plan = load_plan(path)
        lost: list[str] = []
        left = worst = 0.0
        for off in range(args.seeds):
            game = Game(sc, seed=sc.spec.seed + off)
            r = play_plan(game, plan)
            if r.outcome != WON:
                lost.append(f"+{off}: {r.reason[:50]}")
            if off == 0:
                left = game.budget.remaining
                lat = game.latency
                worst = lat.worst_p95_ms / lat.p95_ms if lat is not None else 0.0
        key = key_actions(name)
        late = "-"
        why = ""
        if key:
            r = play_plan(Game(sc, seed=sc.spec.seed), late_plan(plan, key))
            late = "LOST" if r.outcome != WON else "won"
            why = r.reason[:60]
        tight = left <= 0.60 or worst >= 0.75
        flag = "" if (tight and len(lost) * 10 <= args.seeds and late == "LOST") else "  <-- fails a rule"
        print(f"{name:18} {args.seeds - len(lost):>3}/{args.seeds:<2} {left:5.0%} {worst:6.0%} {late:>5}  "
              f"{'; '.join(lost)} {('| late: ' + why) if why else ''}{flag}", flush=True)


if __name__ == "__main__":
    main()
