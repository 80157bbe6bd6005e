"""Snapshot tests of the screens (pytest-textual-snapshot). Update with --snapshot-update."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.game.progress import Progress
from scaletui.scenario.campaign import builtin_path
from scaletui.scenario.load import load_plan
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


async def _millions_at_21m(pilot) -> None:
    """millions played by its reference plan to 21:00: three data centres, ap-south folded,
    us-east and eu-west open with their identical servers grouped, eu-west's centre selected."""
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    game = screen.game
    plan = load_plan(builtin_path("millions").with_name("millions.plan.yaml"))
    for action in plan.actions:
        if action.at > 21 * 60:
            break
        game.step(action.at)
        assert game.act(action.command).ok
    game.step(21 * 60)
    for ans in plan.answers:  # as the plan answers it, else the 20m estimate's dialog covers the screen
        game.answer_estimate(ans.answer)
    screen.select_component("dc-ap-south")
    screen.action_fold()
    screen.select_component("dc-eu-west")
    screen.redraw(force=True)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 50)], ids=["80x24", "100x30", "160x50"])
def test_game_screen_millions(snap_compare, app, size) -> None:
    assert snap_compare(app("millions"), terminal_size=size, run_before=_millions_at_21m)


def test_game_screen_sandbox_with_1000_components(snap_compare, app) -> None:
    async def grow(pilot) -> None:
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        game = screen.game
        for cmd in (Add("load_balancer", "large"), Add("session_store", "large"), Add("web", "large", 850),
                    Add("cache", "large", 120), Add("replica", "large", 25)):
            assert game.act(cmd).ok
        assert len(game.snapshot().components) >= 1000
        game.step(90)
        screen.redraw(force=True)
        await pilot.pause()

    assert snap_compare(app("sandbox"), terminal_size=(100, 30), run_before=grow)
