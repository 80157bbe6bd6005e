"""Snapshot tests of the screens (pytest-textual-snapshot). Update with --snapshot-update."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.game.progress import Progress
from scaletui.sim.commands import Add
from scaletui.tui.app import make_app


@pytest.fixture
def app(tmp_path: Path):
    def make(scenario: str | None = None):
        return make_app(scenario, progress=Progress(tmp_path / "p.sqlite3"), plan_dir=tmp_path)

    return make


async def _mid_surge(pilot) -> None:
    """scale-out at 11:30: a load balancer and two servers added, the big wave rising."""
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    game = screen.game
    game.step(60)
    game.act(Add("load_balancer", "small"))
    game.act(Add("web", "large", 2))
    game.step(11 * 60 + 30)
    screen.redraw(force=True)
    await pilot.pause()


def test_campaign_screen(snap_compare, app) -> None:
    assert snap_compare(app(), terminal_size=(100, 30))


def test_game_screen_mid_surge_100x30(snap_compare, app) -> None:
    assert snap_compare(app("scale-out"), terminal_size=(100, 30), run_before=_mid_surge)


def test_game_screen_mid_surge_80x24(snap_compare, app) -> None:
    assert snap_compare(app("scale-out"), terminal_size=(80, 24), run_before=_mid_surge)


def test_end_screen(snap_compare, app) -> None:
    async def lose(pilot) -> None:
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        screen.game.finish()
        screen.frame()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app("scale-out"), terminal_size=(100, 30), run_before=lose)
