"""The sharding scheme from the configure dialog and the command palette."""

from __future__ import annotations

from scaletui.sim.commands import Configure
from scaletui.tui.commands import GameCommands


async def test_configure_switches_the_database_to_a_ring(app_factory) -> None:
    app = app_factory("resharding-day")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        screen.select_component("database-1")
        await pilot.press("c")
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        options = [choices.get_option_at_index(i) for i in range(choices.option_count)]
        ids = [o.id for o in options]
        assert "hash mod n" in str(options[ids.index("sharding")].prompt)
        choices.highlighted = ids.index("sharding")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.game.applied[-1][1] == Configure("database-1", sharding="consistent")
        assert screen.game.engine.reshard_target is not None  # the keys are moving


async def test_the_palette_offers_both_ways_to_reshard(app_factory) -> None:
    app = app_factory("resharding-day")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        names = [name for name, _, _ in GameCommands(app.screen)._commands()]
        assert "Reshard to 3 shards on a consistent-hash ring" in names
        assert "Reshard to 3 shards by hash mod n" in names
        assert "Switch sharding to a consistent-hash ring" in names
