"""The `scaletui` command."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from scaletui import __version__


class _Main(click.Group):
    """Any unexpected error ends in one line, a crash report and exit 3 (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last guard: everything else is a bug
            from scaletui.runner.crash import report_crash

            sys.exit(report_crash(exc))


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="scaletui")
def main() -> None:
    """scaletui: keep a web service alive from zero to millions of users.

    A terminal game and explorer of system-design scaling, driven by a discrete-event
    simulation whose numbers agree with queueing theory.
    """


@main.command()
@click.argument("scenario")
@click.option("--plan", "plan_file", metavar="PLAN", help="A plan file of timed actions to play.")
@click.option("--seed", type=int, default=None, help="Random seed (default: the plan's, else the scenario's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
@click.option("--record", metavar="FILE", help="Write the actions applied as a plan that replays this run.")
@click.option("--model", type=click.Choice(["flow", "exact"]), default="flow", show_default=True,
              help="flow: the fast engine; exact: every request simulated (slow; for checking).")
def run(scenario: str, plan_file: str | None, seed: int | None, as_json: bool, record: str | None,
        model: str) -> None:
    """Run SCENARIO (a built-in name or a file) to its end and report.

    Exits 0 when the game is won, 1 when it is lost, 2 on bad input, 3 on an internal
    error (with the path of a crash report).
    """
    from scaletui.runner.headless import run_command

    sys.exit(run_command(scenario, seed=seed, as_json=as_json, model=model, plan_file=plan_file, record=record))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def scenarios(as_json: bool) -> None:
    """List the built-in campaign with your best stars."""
    from scaletui.runner.headless import scenarios_command

    sys.exit(scenarios_command(as_json))


@main.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Print it without asking (it is the level's answer).")
def solution(name: str, yes: bool) -> None:
    """Print the reference plan of built-in scenario NAME (on a terminal, after asking)."""
    from scaletui.runner.headless import solution_command

    if not yes and _on_terminal() and not click.confirm(
            f"This prints the answer to '{name}'. Its hints (h in the game) only point the way. Show it?",
            default=False, err=True):
        click.echo(f"Not shown. Play it with: scaletui play {name}", err=True)
        sys.exit(1)
    sys.exit(solution_command(name))


def _on_terminal() -> bool:
    """A person at a terminal (a script or a pipe gets the plan without a question)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="A.json B.json | SCENARIO")
@click.option("--plan", "plans", multiple=True, metavar="PLAN",
              help="Play SCENARIO with this plan (twice: two plans; once: against the reference plan).")
@click.option("--seed", type=int, default=None, help="Random seed for both plays (default: each plan's, else the scenario's).")
def compare(inputs: tuple[str, ...], plans: tuple[str, ...], seed: int | None) -> None:
    """Compare two runs side by side: objectives, totals, curves on one scale, and actions.

    Give two JSON reports (scaletui run ... --json > FILE), or a SCENARIO with two --plan
    files, or a built-in SCENARIO with one --plan to compare it with the reference plan.
    """
    from scaletui.runner.compare import compare_command

    sys.exit(compare_command(inputs, plans, seed))


@main.command()
@click.argument("scenario", required=False)
@click.option("--sandbox", is_flag=True, help="Go straight to the sandbox.")
@click.option("--seed", type=int, default=None, help="Random seed (default: the scenario's).")
@click.option("--theme", default=None, help="A Textual theme (e.g. nord, gruvbox, textual-light).")
def play(scenario: str | None, sandbox: bool, seed: int | None, theme: str | None) -> None:
    """Play: the campaign, or SCENARIO (a built-in name or a file) directly."""
    if not _on_terminal() and not _served():
        click.echo("scaletui play needs a terminal (stdin and stdout must be a TTY); without one, use "
                   "scaletui run SCENARIO [--plan PLAN] [--json]", err=True)
        sys.exit(2)
    from scaletui.tui.launch import launch  # textual is imported only with a terminal to draw on

    sys.exit(launch(scenario, sandbox=sandbox, seed=seed, theme=theme))


def _served() -> bool:
    """Started by `scaletui serve` for a page in a browser: textual-serve names the driver that draws."""
    return bool(os.environ.get("TEXTUAL_DRIVER"))


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="The port on 127.0.0.1 to serve on.")
def serve(port: int) -> None:
    """Play in a web browser: serve the game on http://127.0.0.1:PORT (this machine only)."""
    from scaletui.tui.serve import serve as serve_app

    sys.exit(serve_app(port))


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario and plan files; print file:line:col problems."""
    from scaletui.runner.headless import validate_command

    sys.exit(validate_command(list(files)))


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario and plan files (for editors)."""
    from scaletui.runner.headless import schema_command

    click.echo(schema_command())


if __name__ == "__main__":  # pragma: no cover
    main()
