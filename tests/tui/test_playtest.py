"""The playtest of issue 10, item by item: each test failed on the screen before its fix."""

from __future__ import annotations

from scaletui.sim.commands import Add
from scaletui.tui.screens.game import GameScreen
from scaletui.tui.widgets.topology_panel import TopologyPanel


async def _millions_grown(pilot) -> GameScreen:
    """The playtest's millions grown until the topology overflows: 40 web servers, eu-west with 30."""
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, GameScreen)
    game = screen.game
    assert game.act(Add("web", count=40)).ok
    assert game.act(Add("datacenter", region="eu-west")).ok
    assert game.act(Add("web", count=30, region="eu-west")).ok
    screen.redraw(force=True)
    await pilot.pause()
    return screen


async def test_down_always_selects_and_the_panel_follows(app_factory) -> None:
    """Item 1: with the topology overflowing, ↓ moved the scroll bar, not the selection."""
    app = app_factory("millions")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _millions_grown(pilot)
        box = screen.query_one("#topology-box")
        panel = screen.query_one(TopologyPanel)
        seen = [screen.selected]
        for _ in range(12):
            await pilot.press("down")
            await pilot.pause()
            seen.append(screen.selected)
            line = panel.selected_line
            top = box.scroll_y
            assert top <= line < top + box.scrollable_content_region.height, (screen.selected, line, top)
        assert len(set(seen)) == len(seen), seen  # every press moved the selection on
