"""Rewind as the playtest met it: the speed reset to 10x, the list opened on the newest
minute, rows after the chosen minute read as kept, and the end screen compared against
"your previous one" without saying it was the run abandoned by the rewind."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from textual.widgets import Label

from scaletui.sim.commands import Add
from scaletui.tui.screens.end import EndScreen
from scaletui.tui.screens.game import GameScreen
from scaletui.tui.screens.rewind import RewindScreen
from tests.tui.conftest import wait_for

# The database crashes at 2:30 and stays down: the first incident starts then.
CRASH = """\
name: crash
duration: 8m
seed: 3
slo: {availability: 50}
traffic: {users: 200, rps_per_user: 0.5, mix: {static: 0.2, read: 0.8}}
topology:
  - {kind: web, size: large}
  - {kind: database, size: medium}
events:
  - {at: 150s, fail: database-1}
allow: [web, load_balancer, replica]
"""


async def test_rewind_keeps_the_speed_opens_before_the_incident_and_marks_what_it_drops(app_factory,
                                                                                        tmp_path: Path) -> None:
    level = tmp_path / "crash.yaml"
    level.write_text(CRASH)
    app = app_factory(str(level))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        first = app.screen
        await pilot.press("+", "+")  # 10x -> 30x -> 60x
        await pilot.pause()
        assert first.clock.speed == 60
        game = first.game
        assert game.act(Add("load_balancer", "small")).ok  # at 0:00
        game.step(125.0)
        assert game.act(Add("web", "large")).ok  # at 2:05
        game.step(250.0)  # 4:10, the incident began at about 2:30
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, RewindScreen))
        options = app.screen.query_one("#choices")

        def row(i: int) -> str:
            return str(options.get_option_at_index(i).prompt)

        assert options.option_count == 5  # 0:00 .. 4:00
        assert options.highlighted == 1  # 1:00, a minute before the incident, not 4:00
        assert "then: add load balancer" in row(0)
        assert "dropped: add web server (large)" in row(2)  # going back to 1:00 undoes it
        await pilot.press("up")  # 0:00: the load balancer's row is dropped too
        await pilot.pause()
        assert "dropped: add load balancer" in row(0) and "then:" not in row(0)
        await pilot.press("down", "enter")  # back to 1:00
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen is not first)
        assert app.screen.clock.speed == 60 and app.screen.clock.paused  # paused, at the player's speed
        app.screen.game.finish()
        await wait_for(pilot, lambda: isinstance(app.screen, EndScreen), timeout=60)
        heading = str(app.screen.query_one("#compared-with", Label).render())
        assert heading == "This run against the run you rewound from, abandoned at 4:10"
        console = Console(width=100, record=True)
        console.print(app.screen.query_one("#comparison").content)
        assert "rewound from" in console.export_text()
