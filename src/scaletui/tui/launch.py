"""Starting the app from the command line: the theme and the scenario are checked first."""

from __future__ import annotations

import sys

from scaletui.runner.crash import report_crash
from scaletui.scenario.errors import ScenarioError
from scaletui.tui.app import make_app
from scaletui.tui.themes import theme_names

EXIT_BAD_INPUT = 2


def launch(scenario: str | None, sandbox: bool = False, seed: int | None = None, theme: str | None = None) -> int:
    if theme is not None and theme not in theme_names():
        print(f"unknown theme '{theme}'; themes: {', '.join(theme_names())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        app = make_app(scenario, sandbox=sandbox, seed=seed, theme=theme)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    app.run()
    if app.crash is not None:
        return report_crash(app.crash)
    return 0
