"""Text from a scenario file reaches the screen as written: markup in it is not markup."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

LEVEL = """\
name: marked
title: "[/oops] [bold]Marked[/bold]"
concept: "[/c] brackets"
duration: 2m
traffic: {users: 50, rps_per_user: 0.05}
topology:
  - {kind: web, size: small}
  - {kind: database, size: small}
"""


async def test_brackets_in_title_and_concept_are_shown_not_parsed(app_factory, tmp_path: Path) -> None:
    level = tmp_path / "marked.yaml"
    level.write_text(LEVEL)
    app = app_factory(str(level))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "BriefScreen"
        shown = str(app.screen.query_one("#title", Static).render())
        assert "[/oops] [bold]Marked[/bold]" in shown
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "[/c]" in screen and "brackets" in screen
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "GameScreen"
        assert "[/oops] [bold]Marked[/bold]" in str(app.screen.query_one("#title", Static).render())
        # at 100x30 the title moves to the topology's border: as written there too
        assert "[/oops] [bold]Marked[/bold]" in app.export_screenshot().replace("&#160;", " ")
