"""The `scaletui` command."""

from __future__ import annotations

import sys

import click

from scaletui import __version__

EXIT_WON = 0
EXIT_LOST = 1
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """Bad files: printed as they are (file:line:col: message lines), exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file=None) -> None:  # type: ignore[override]
        click.echo(self.message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="scaletui")
def main() -> None:
    """scaletui: keep a web service alive from zero to millions of users.

    A terminal game and explorer of system-design scaling, driven by a discrete-event
    simulation whose numbers agree with queueing theory.
    """


@main.command()
@click.argument("scenario")
@click.option("--seed", type=int, default=None, help="Random seed (default: the scenario's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
@click.option("--model", type=click.Choice(["flow", "exact"]), default="flow", show_default=True,
              help="flow: the fast engine; exact: every request simulated (slow; for checking).")
def run(scenario: str, seed: int | None, as_json: bool, model: str) -> None:
    """Run SCENARIO (a built-in name or a file) to its end and report."""
    from scaletui.runner.headless import run_command

    sys.exit(run_command(scenario, seed=seed, as_json=as_json, model=model))


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
