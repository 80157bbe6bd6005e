"""What the headless commands do: run, validate, schema, scenarios, solution."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.markup import escape
from rich.text import Text

from scaletui.game.plan_check import check_plan
from scaletui.game.plans import play_plan, record_plan
from scaletui.game.progress import Progress as Store
from scaletui.game.session import WON, Game
from scaletui.runner.summary import render_summary
from scaletui.scenario.campaign import builtin_names, builtin_path, resolve, solution_path
from scaletui.scenario.errors import Problem, ScenarioError
from scaletui.scenario.load import Plan, exact_model_problems, is_plan, load_plan, load_scenario
from scaletui.scenario.safe_text import visible
from scaletui.scenario.schema import PlanSpec, ScenarioSpec

EXIT_WON = 0
EXIT_LOST = 1
EXIT_BAD_INPUT = 2


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)


def _bad(exc: ScenarioError) -> int:
    print(exc, file=sys.stderr)
    return EXIT_BAD_INPUT


def run_command(
    scenario: str,
    seed: int | None = None,
    as_json: bool = False,
    model: str = "flow",
    plan_file: str | None = None,
    record: str | None = None,
    progress: bool | None = None,
) -> int:
    try:
        path = resolve(scenario)
        sc = load_scenario(path)
        plan = load_plan(plan_file) if plan_file else Plan("")
        if plan.scenario is not None and plan.scenario not in (sc.name, scenario, str(path)):
            raise ScenarioError([Problem(1, 1, f"this plan is for scenario '{plan.scenario}', not '{sc.name}'",
                                         plan_file or "")])
        problems = check_plan(sc, plan)
        if model == "exact":
            problems += exact_model_problems(sc)
        if problems:
            raise ScenarioError(problems)
    except ScenarioError as exc:
        return _bad(exc)
    if seed is None:
        seed = plan.seed
    game = Game(sc, seed=seed, model=model)
    show = sys.stdout.isatty() and not as_json if progress is None else progress
    try:
        if show:
            _run_with_progress(game, plan)
        else:
            play_plan(game, plan)
    except ScenarioError as exc:
        return _bad(exc)
    game.engine.plane.drain()  # the exact plane's last requests are still on their way
    result = game.result()
    report = game.report()
    if record:
        try:
            Path(record).write_text(record_plan(game), encoding="utf-8")
        except OSError as exc:
            print(visible(f"{record}:1:1: cannot write the plan: {exc.strerror}"), file=sys.stderr)
            return EXIT_BAD_INPUT
    # The report first: whatever happens to the progress store, the run is not lost.
    if as_json:
        sys.stdout.write(to_json(report) + "\n")
    else:
        console = Console(highlight=False)
        console.print(render_summary(report, sc.title))
        if record:
            console.print(Text(f"plan recorded to {visible(record)}"))
    sys.stdout.flush()
    if builtin_path(scenario) is not None and model == "flow" and result.outcome == WON \
            and not _is_reference_plan(sc.name, plan):
        store = Store()
        store.record(sc.name, result.card.stars, result.card.score)
        store.close()
        _say_store_problems(store)
    return EXIT_WON if result.outcome == WON else EXIT_LOST


def _say_store_problems(store: Store) -> None:
    """The progress store's troubles, once each, on stderr (never on stdout: it may be JSON)."""
    for problem in store.problems:
        print(f"scaletui: {problem}", file=sys.stderr)


def _is_reference_plan(name: str, plan: Plan) -> bool:
    """Replaying the shipped solution earns no stars: only the player's own plans count."""
    ref_path = solution_path(name)
    if ref_path is None:
        return False
    try:
        ref = load_plan(ref_path)
    except ScenarioError:
        return False
    return [(a.at, a.command) for a in ref.actions] == [(a.at, a.command) for a in plan.actions]


def _run_with_progress(game: Game, plan: Plan) -> None:
    """Same as play_plan, stepping in slices so a progress bar can move."""
    console = Console(stderr=False)
    duration = game.engine.duration
    actions = list(plan.actions)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(escape(visible(game.scenario.title)), total=duration, clock="", status="")
        slice_s = max(game.engine.dt, duration / 200.0)
        while not game.finished:
            target = min(duration, game.now + slice_s)
            if actions and actions[0].at <= target:
                target = actions[0].at
            game.step(target)
            while actions and actions[0].at <= game.now and not game.finished:
                a = actions.pop(0)
                res = game.act(a.command)
                if not res.ok:
                    raise ScenarioError([a.problem(f"at {a.at:g}s: {res.message}")])
            v = game.view()
            bar.update(task, completed=game.now, clock=_clock(game.now),
                       status=f"error budget {v.budget_left:.0%} left")
            if game.now >= duration:
                break
    game.finish()


def _clock(t: float) -> str:
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


def validate_command(files: list[str]) -> int:
    """Check each file; a plan is also checked against its scenario: the one its
    `scenario:` key names, else the one scenario file given alongside it."""
    bad = False
    plans = [f for f in files if is_plan(f)]
    scenarios = {}
    for f in files:
        if f in plans:
            continue
        try:
            sc = load_scenario(resolve(f))  # a file, or a built-in name
            scenarios[f] = sc
            print(f"{f}: ok (scenario {sc.name})")
            for warning in sc.warnings():
                print(warning)
        except ScenarioError as exc:
            bad = True
            print(exc, file=sys.stderr)
    for f in plans:
        try:
            plan = load_plan(f)
            against = None
            if plan.scenario is not None:
                against = load_scenario(resolve(plan.scenario))
            elif len(scenarios) == 1:
                against = next(iter(scenarios.values()))
            if against is not None:
                problems = check_plan(against, plan)
                if problems:
                    raise ScenarioError(problems)
                print(f"{f}: ok (plan, {len(plan.actions)} actions, against scenario {against.name})")
            else:
                print(f"{f}: ok as a plan ({len(plan.actions)} actions), but not checked against a scenario: "
                      f"give it a 'scenario:' key or name the scenario too (scaletui validate SCENARIO {f})")
        except ScenarioError as exc:
            bad = True
            print(exc, file=sys.stderr)
    return EXIT_BAD_INPUT if bad else 0


def schema_command() -> str:
    return json.dumps(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "scaletui files",
            "description": "Two formats: 'scenario' (a challenge) and 'plan' (timed player actions).",
            "scenario": ScenarioSpec.model_json_schema(by_alias=True),
            "plan": PlanSpec.model_json_schema(by_alias=True),
        },
        indent=2,
    )


def campaign_rows() -> list[dict[str, Any]]:
    store = Store()
    rows = []
    for name in builtin_names():
        path = builtin_path(name)
        try:
            sc = load_scenario(path)  # type: ignore[arg-type]  # a listed name always has a file
        except ScenarioError as exc:
            rows.append({"name": name, "title": name, "concept": "", "difficulty": 0,
                         "best_stars": None, "error": str(exc)})
            continue
        best = store.best(name)
        rows.append({
            "name": name,
            "title": sc.title,
            "concept": sc.spec.concept,
            "difficulty": sc.spec.difficulty,
            "duration_s": sc.spec.duration,
            "par_cost": sc.spec.par_cost,
            "best_stars": best[0] if best else None,
            "best_score": best[1] if best else None,
            "solution": solution_path(name) is not None,
        })
    store.close()
    _say_store_problems(store)
    return rows


def scenarios_command(as_json: bool) -> int:
    rows = campaign_rows()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    table = Table(title="The scaletui campaign", title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("name", style="bold cyan")
    table.add_column("title")
    table.add_column("concept")
    table.add_column("difficulty")
    table.add_column("best", justify="center")
    for i, r in enumerate(rows, 1):
        stars = r.get("best_stars")
        best = Text("★" * stars + "☆" * (3 - stars), style="yellow") if stars else Text("-", style="dim")
        table.add_row(str(i), r["name"], Text(visible(r["title"])), Text(visible(r["concept"])),
                      "●" * r["difficulty"], best)
    Console(highlight=False).print(table)
    return 0


def solution_command(name: str) -> int:
    path = solution_path(name)
    if path is None:
        names = ", ".join(n for n in builtin_names() if solution_path(n) is not None)
        print(visible(f"scaletui: no built-in scenario '{name}' with a reference plan (have: {names})"),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0
