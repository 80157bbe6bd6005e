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


async def test_campaign_opens_on_the_first_level_without_three_stars(tmp_path) -> None:
    """Item 9: the campaign always opened on level 1."""
    from scaletui.game.progress import Progress
    from scaletui.scenario.campaign import builtin_names
    from scaletui.tui.app import make_app

    names = builtin_names()
    progress = Progress(tmp_path / "progress.sqlite3")
    progress.record(names[0], 3, 900)
    progress.record(names[1], 3, 800)
    progress.record(names[2], 2, 700)  # two stars: not finished
    progress.record(names[3], 3, 600)
    app = make_app(progress=progress, plan_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("DataTable").cursor_row == 2


async def test_save_plan_asks_where_and_saves_one_file_per_game(app_factory, tmp_path) -> None:
    """Item 9: each press of s wrote one more file into the current directory, unasked."""
    from textual.widgets import Input

    from scaletui.tui.screens.end import EndScreen
    from scaletui.tui.screens.save_plan import SavePlanScreen

    app = app_factory("one-server")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        game = app.screen.game
        game.step(30)
        game.finish()
        await pilot.pause(0.3)
        assert isinstance(app.screen, EndScreen)
        for _ in range(3):
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, SavePlanScreen)
            proposed = app.screen.query_one(Input).value
            assert proposed == str(tmp_path / f"one-server.seed{game.seed}.plan.yaml")
            await pilot.press("enter")
            await pilot.pause()
        assert [p.name for p in tmp_path.glob("*.plan.yaml")] == [f"one-server.seed{game.seed}.plan.yaml"]
        # a path of the player's choosing, and esc writes nothing
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "mine.yaml")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert sorted(p.name for p in tmp_path.glob("*.yaml")) == [
            "mine.yaml", f"one-server.seed{game.seed}.plan.yaml"]


async def test_the_dead_primary_says_what_it_is_and_that_it_bills(app_factory) -> None:
    """Item 8: "database-1 replica large, down (crashed), follows replica-1", billed silently."""
    from scaletui.sim.commands import Configure
    from scaletui.tui.widgets.component_panel import ComponentPanel

    app = app_factory("failover")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        game = screen.game
        assert game.act(Configure("database-1", failover="auto")).ok
        game.step(12 * 60 + 60)  # it dies at 12:00; auto failover promotes within ~40 s
        screen.select_component("database-1")
        await pilot.pause()
        text = "\n".join(line.plain for line in screen.query_one(ComponentPanel).render().renderables)
        assert "former primary" in text and " replica " not in text, text
        assert "down" in text and "follows" not in text, text
        assert "still billed 8.0/h" in text, text  # database large: 8/h in the catalog
