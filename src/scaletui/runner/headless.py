"""What the headless commands do: run, validate, schema."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.table import Table

from scaletui.runner.report import engine_report, to_json
from scaletui.scenario.campaign import resolve
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import is_plan, load_plan, load_scenario
from scaletui.scenario.schema import PlanSpec, ScenarioSpec
from scaletui.sim.engine import Engine

EXIT_BAD_INPUT = 2


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def run_command(scenario: str, seed: int | None, as_json: bool, model: str = "flow") -> int:
    try:
        sc = load_scenario(resolve(scenario))
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = Engine(sc.config, seed=seed, model=model)
    engine.run()
    if model == "exact":
        engine.plane.drain()  # type: ignore[attr-defined]
    report = engine_report(engine, sc.name)
    if as_json:
        sys.stdout.write(to_json(report) + "\n")
    else:
        print_summary(report, sc.title)
    return 0


def print_summary(report: dict, title: str) -> None:
    console = Console(highlight=False)
    t = report["totals"]
    lat = t["latency_ms"]
    table = Table(title=f"{title} (seed {report['seed']})", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("requests", f"{t['requests']:,}")
    table.add_row("served", f"{t['served']:,}")
    table.add_row("failed", f"{t['failed']:,}")
    table.add_row("availability", f"{t['availability']:.3f}%")
    table.add_row("latency mean / p50 / p95 / p99",
                  f"{lat['mean']:.1f} / {lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f} ms")
    table.add_row("cost", f"{t['cost']:.2f}")
    table.add_row("lost writes", f"{t['lost_writes']:,}")
    console.print(table)
    if report["failures"]:
        console.print("[bold]why requests failed[/bold]")
        for f in report["failures"][:6]:
            console.print(f"  {f['count']:>10,}  {f['cause']}")


def validate_command(files: list[str]) -> int:
    bad = False
    for f in files:
        try:
            if is_plan(f):
                load_plan(f)
                kind = "plan"
            else:
                load_scenario(f)
                kind = "scenario"
            print(f"{f}: ok ({kind})")
        except ScenarioError as exc:
            bad = True
            print(exc, file=sys.stderr)
    return EXIT_BAD_INPUT if bad else 0


def schema_command() -> str:
    return json.dumps(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "scaletui files",
            "scenario": ScenarioSpec.model_json_schema(by_alias=True),
            "plan": PlanSpec.model_json_schema(by_alias=True),
        },
        indent=2,
    )
