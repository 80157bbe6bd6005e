"""`scaletui compare`: two runs side by side, from two JSON reports or two plans of one scenario."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from scaletui.game.compare import Comparison, Curve, Row, compare, missing_fields
from scaletui.game.plan_check import check_plan
from scaletui.game.plans import play_plan
from scaletui.game.session import Game
from scaletui.scenario.campaign import resolve, solution_path
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import load_plan, load_scenario
from scaletui.scenario.safe_text import visible

EXIT_BAD_INPUT = 2


def load_report(path: str) -> dict[str, Any]:
    """A run's JSON report from a file, or file:line:col problems."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.at(path, 1, 1, f"cannot read it ({exc.__class__.__name__}: {exc})") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError.at(path, exc.lineno, exc.colno, f"not JSON: {exc.msg}") from None
    missing = missing_fields(report)
    if missing:
        raise ScenarioError.at(path, 1, 1, "not a scaletui run report (it has no " + ", ".join(missing)
                               + "); make one with: scaletui run SCENARIO --json > FILE")
    return report


def _played(scenario: str, plan_file: str, seed: int | None) -> dict[str, Any]:
    """The report of SCENARIO played by a plan (checked first, as `run` checks it)."""
    sc = load_scenario(resolve(scenario))
    plan = load_plan(plan_file)
    problems = check_plan(sc, plan)
    if problems:
        raise ScenarioError(problems)
    game = Game(sc, seed=seed if seed is not None else plan.seed)
    play_plan(game, plan)
    return game.report()


def compare_command(inputs: tuple[str, ...], plans: tuple[str, ...], seed: int | None, width: int | None = None) -> int:
    """Reports: two JSON files. Plans: one scenario and two plans, or one plan against the reference."""
    try:
        if plans:
            if len(inputs) != 1 or len(plans) > 2:
                raise ScenarioError.at("scaletui compare", 1, 1,
                                       "with --plan give one SCENARIO and one or two plans (one: against the reference plan)")
            scenario = inputs[0]
            if len(plans) == 1:
                ref = solution_path(scenario)
                if ref is None:
                    raise ScenarioError.at("scaletui compare", 1, 1,
                                           f"'{scenario}' has no reference plan: give two --plan files")
                plans = (plans[0], str(ref))
                labels = (Path(plans[0]).name, "reference")
            else:
                labels = (Path(plans[0]).name, Path(plans[1]).name)
            a, b = (_played(scenario, p, seed) for p in plans)
        else:
            if len(inputs) != 2:
                raise ScenarioError.at("scaletui compare", 1, 1,
                                       "give two JSON reports (scaletui run ... --json > FILE), or SCENARIO --plan A --plan B")
            a, b = load_report(inputs[0]), load_report(inputs[1])
            labels = (Path(inputs[0]).name, Path(inputs[1]).name)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    console = Console(width=width) if width else Console()
    console.print(render_comparison(compare(a, b, labels), console.width))
    return 0


def _cell(row: Row, side: str) -> Text:
    text = Text(visible(row.a if side == "a" else row.b))
    if row.better == side:
        text.stylize("bold green")
    return text


def _figures(title: str, rows: list[Row], labels: tuple[str, str]) -> Table:
    t = Table(title=title, title_justify="left", expand=False)
    t.add_column("", style="bold")
    t.add_column(Text(visible(labels[0])))
    t.add_column(Text(visible(labels[1])))
    for r in rows:
        t.add_row(Text(r.name), _cell(r, "a"), _cell(r, "b"))
    return t


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}".rstrip("0").rstrip(".")


def _scale(curve: Curve) -> tuple[str, str]:
    """The line's scale beside A's row, and its target beside B's."""
    peak = max(curve.a + curve.b + [0.0])
    target = f"target {_num(curve.target)}{curve.unit}" if curve.target is not None else ""
    return f"max {_num(peak)}{curve.unit}", target


def _spark(curve: Curve, values: list[float], n: int, width: int, style: str) -> Text:
    cells, over = curve.line(values, n, width)
    text = Text(cells, style=style)
    for i in over:
        text.stylize("bold red", i, i + 1)
    return text


def render_comparison(c: Comparison, width: int = 100) -> Group:
    parts: list[Any] = []
    if not c.same_scenario:
        parts.append(Text("These runs are of different scenarios: their figures are not like for like.",
                          style="bold yellow"))
    parts.append(_figures("Runs", c.heading, c.labels))
    parts.append(_figures("Objectives", c.objectives, c.labels))
    parts.append(_figures("Totals", c.totals, c.labels))

    n = max((max(len(cv.a), len(cv.b)) for cv in c.curves), default=0)
    label_w, scale_w = 10, 17
    spark_w = max(10, min(n or 10, width - label_w - scale_w - 6))
    curves = Table(title="Minute by minute (one scale per metric; red: over the target)", title_justify="left",
                   show_header=False, expand=False, box=None, padding=(0, 1))
    curves.add_column(style="bold", no_wrap=True, width=label_w)
    curves.add_column(no_wrap=True, width=1)
    curves.add_column(no_wrap=True, width=spark_w)
    curves.add_column(style="dim", no_wrap=True, width=scale_w)
    for cv in c.curves:
        peak, target = _scale(cv)
        curves.add_row(cv.name, "A", _spark(cv, cv.a, n, spark_w, "cyan"), peak)
        curves.add_row("", "B", _spark(cv, cv.b, n, spark_w, "magenta"), target)
    parts.append(curves)
    parts.append(Text(f"A = {visible(c.labels[0])}   B = {visible(c.labels[1])}", style="dim"))

    if c.steps:
        steps = Table(title="Actions", title_justify="left", expand=False)
        steps.add_column("time", justify="right", style="dim")
        steps.add_column(Text(visible(c.labels[0])))
        steps.add_column(Text(visible(c.labels[1])))
        for s in c.steps:
            h, rem = divmod(int(round(s.t)), 3600)
            m, sec = divmod(rem, 60)
            what = Text(visible(s.text))
            steps.add_row(f"{h}:{m:02d}:{sec:02d}", what if s.run == "a" else "", what if s.run == "b" else "")
        parts.append(steps)
    return Group(*parts)
