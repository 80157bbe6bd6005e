"""The game played through the keyboard, as a person plays it (headless Textual pilot)."""

from __future__ import annotations

import json
from pathlib import Path

from scaletui.game.session import WON
from scaletui.runner.headless import run_command
from scaletui.scenario.campaign import builtin_path
from scaletui.sim.commands import Add, Configure
from scaletui.sim.db_calls import BreakerRule
from scaletui.tui.screens.add import AddScreen
from scaletui.tui.screens.campaign import CampaignScreen
from scaletui.tui.screens.end import EndScreen
from scaletui.tui.screens.game import GameScreen
from scaletui.tui.widgets.topology_panel import TopologyPanel
from tests.tui.conftest import wait_for



def _estimate_asked(app) -> bool:
    """The estimate dialog is up with its answer box mounted (a screen is pushed before its
    children are: querying it at once failed on a loaded CI machine)."""
    from textual.widgets import Input

    from scaletui.tui.screens.estimate import EstimateScreen

    return isinstance(app.screen, EstimateScreen) and bool(app.screen.query(Input))

async def _add(pilot, kind_steps: int, size_steps: int, count: int = 1) -> None:
    """a, move down to the kind, enter, move to the size, +count, enter."""
    await pilot.press("a")
    await pilot.pause()
    for _ in range(kind_steps):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(abs(size_steps)):
        await pilot.press("down" if size_steps > 0 else "up")
    for _ in range(count - 1):
        await pilot.press("plus")
    await pilot.press("enter")
    await pilot.pause()


async def test_campaign_lists_levels_and_opens_a_brief(app_factory) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CampaignScreen)
        table = app.screen.query_one("DataTable")
        assert table.row_count >= 8
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "BriefScreen"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)
        assert app.screen.game.scenario.name == "one-server"


async def test_scale_out_won_with_keys_only(app_factory) -> None:
    """Add a load balancer and web servers by keys, run the clock, answer the estimate, win."""
    from textual.widgets import Input

    app = app_factory("scale-out")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")  # brief -> game (paused)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GameScreen) and screen.clock.paused
        # kinds offered in scale-out: load balancer, web (in catalog order)
        await _add(pilot, kind_steps=0, size_steps=-1)  # load balancer, small
        await _add(pilot, kind_steps=1, size_steps=1, count=5)  # web large x5: one past the default, medium
        ids = [c.id for c in screen.game.snapshot().components]
        assert "lb-1" in ids and {"web-2", "web-3", "web-4", "web-5", "web-6"} <= set(ids)
        await pilot.press("space")  # run
        for _ in range(8):
            await pilot.press("plus")  # up to full speed
        await wait_for(pilot, lambda: _estimate_asked(app), timeout=120)  # at 14m
        app.screen.query_one(Input).value = "5"
        await pilot.press("enter")  # answer
        await pilot.pause()
        await pilot.press("enter")  # play on
        await wait_for(pilot, lambda: isinstance(app.screen, EndScreen), timeout=120)
        assert screen.game.result().outcome == WON
        assert screen.frames > 10


async def test_error_rate_falls_when_servers_are_added(app_factory, tmp_path: Path) -> None:
    level = tmp_path / "overloaded.yaml"
    level.write_text(
        "name: overloaded\nduration: 20m\nslo: {availability: 50}\n"
        "traffic: {users: 20000, rps_per_user: 0.05}\n"
        "topology: [{kind: web, size: large}, {kind: database, size: large}]\n"
        "allow: [load_balancer, web, session_store]\n"
    )
    app = app_factory(str(level))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        await pilot.press("space")
        await pilot.press("plus", "plus", "plus")  # faster: the test waits on simulated minutes
        await wait_for(pilot, lambda: screen.game.now >= 30)
        await pilot.press("space")  # pause to act
        before = screen.game.snapshot().last.error_rate
        assert before > 0.1  # 1000 rps on one 800 rps server
        await _add(pilot, kind_steps=0, size_steps=-1)  # load balancer small
        await _add(pilot, kind_steps=1, size_steps=1, count=2)  # 2 more web large (one past medium)
        await _add(pilot, kind_steps=2, size_steps=-1)  # session store small (else sticky sessions keep web-1 hot)
        await pilot.press("space")
        # On a loaded machine the clock may run on well past 30 s before the pause lands:
        # wait for what was added to serve (not for a fixed minute), then a few ticks more.
        await wait_for(pilot, lambda: all(c.health == "up" for c in screen.game.snapshot().components))
        up_at = screen.game.now
        await wait_for(pilot, lambda: screen.game.now >= up_at + 10)
        after = screen.game.snapshot().last.error_rate
        assert after < 0.001 < before


async def test_refused_action_shows_its_reason_and_changes_nothing(app_factory) -> None:
    app = app_factory("one-server")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        before = [(c.id, c.size, c.health) for c in screen.game.snapshot().components]
        screen.select_component("database-1")
        await pilot.press("x")  # remove the primary?
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        notes = list(app._notifications)
        assert any("refused" in (n.title or "") and "primary" in n.message for n in notes)
        assert "It is the only database" not in str(notes)
        assert [(c.id, c.size, c.health) for c in screen.game.snapshot().components] == before
        # adding is not allowed at all here: the dialog says so
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddScreen)
        option = app.screen.query_one("OptionList").get_option_at_index(0)
        assert option.disabled and "allows no new components" in str(option.prompt)
        await pilot.press("escape")
        assert [(c.id, c.size, c.health) for c in screen.game.snapshot().components] == before
        assert screen.game.applied == []


async def test_pause_stops_the_clock(app_factory) -> None:
    app = app_factory("one-server")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.clock.paused
        t0 = screen.game.now
        await pilot.pause(0.4)
        assert screen.game.now == t0
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.game.now > t0 + 2)
        await pilot.press("space")
        t1 = screen.game.now
        await pilot.pause(0.5)
        assert screen.game.now == t1


async def test_saved_plan_replays_headless_to_the_same_result(app_factory, tmp_path: Path, capsys) -> None:
    app = app_factory("one-server")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        await pilot.press("u")  # web-1 is selected: upgrade
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # from small (highlighted) to xlarge
        await pilot.pause()
        await pilot.press("j")  # select database-1
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # from small to large
        await pilot.pause()
        assert [str(c) for _, c in screen.game.applied] == [
            "Upgrade(target='web-1', size='xlarge')", "Upgrade(target='database-1', size='large')"]
        await pilot.press("space")
        for _ in range(8):
            await pilot.press("plus")
        await wait_for(pilot, lambda: isinstance(app.screen, EndScreen), timeout=120)
        await pilot.press("s")  # save: the dialog proposes a path
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        game = screen.game
        played = json.dumps(game.report(), indent=2, ensure_ascii=False) + "\n"
    plan = tmp_path / f"one-server.seed{game.seed}.plan.yaml"
    assert plan.is_file()
    capsys.readouterr()
    code = run_command("one-server", plan_file=str(plan), as_json=True)
    out = capsys.readouterr().out
    assert code == (0 if game.result().outcome == WON else 1)
    assert out == played


async def test_help_hints_and_palette(app_factory) -> None:
    app = app_factory("one-server")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("h")
        await pilot.pause()
        assert type(app.screen).__name__ == "HintsScreen"
        shown = " ".join(str(w.content) for w in app.screen.query("Static"))
        assert "Watch utilization" in shown and "An upgrade restarts" not in shown  # one hint at a time
        await pilot.press("escape")
        await pilot.pause()
        screen = app.screen
        # the command palette upgrades by name
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"upgrade web-1 to large")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert [str(c) for _, c in screen.game.applied] == ["Upgrade(target='web-1', size='large')"]
        assert builtin_path("one-server") is not None


async def test_dialogs_from_the_playtest(app_factory) -> None:
    """Long questions wrap; hints reveal one more with h; size lists stop at their ends;
    a bad autoscaling rule says what is expected; the campaign returns to the level."""
    app = app_factory()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("down")  # scale-out
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # brief -> game
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GameScreen) and screen.game.scenario.name == "scale-out"
        # remove the only web server: the whole warning is on screen
        screen.select_component("web-1")
        await pilot.press("x")
        await pilot.pause()
        title = app.screen.query_one("#dialog-title")
        assert "It stops serving at once. It is the only web in us-east.\ncost " in str(title.content)
        dialog = app.screen.query_one("#dialog")
        assert title.size.height >= 2 and title.region.right <= dialog.region.right  # wrapped, not cut
        await pilot.press("n")
        await pilot.pause()
        # hints: h opens the first, h again shows the second in place
        await pilot.press("h")
        await pilot.pause()
        assert "Hints (1 of" in str(app.screen.query_one("#dialog-title").content)
        await pilot.press("h")
        await pilot.pause()
        assert "Hints (2 of" in str(app.screen.query_one("#dialog-title").content)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.hints_shown == 2
        # the size list stops at the largest size instead of wrapping to the smallest
        await pilot.press("u")
        await pilot.pause()
        sizes = app.screen.query_one("#choices")
        for _ in range(6):
            await pilot.press("down")
        assert sizes.get_option_at_index(sizes.highlighted).id == "xlarge"
        await pilot.press("escape")
        await pilot.pause()
        assert screen.game.applied == []
        # back to the campaign: the cursor is on the level just played
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, CampaignScreen)
        assert app.screen.query_one("DataTable").cursor_row == 1


async def test_bad_autoscaling_rule_says_what_is_expected(app_factory) -> None:
    app = app_factory("sandbox")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        screen.select_component("web-1")
        await pilot.press("c")
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        choices.highlighted = ids.index("autoscale")
        await pilot.press("enter")
        await pilot.pause()
        box = app.screen.query_one("Input")
        box.value = "abc"
        await pilot.press("enter")
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("expected min max target warm-up" in m for m in notes), notes
        assert not any("unpack" in m for m in notes)
        assert screen.game.applied == []


async def test_the_web_tier_gets_a_breaker_and_a_database_timeout_from_the_dialog(app_factory) -> None:
    app = app_factory("slow-dependency")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        for choice, value in (("breaker", "0.5 10s"), ("db_timeout", "200ms")):
            screen.select_component("web-1")
            await pilot.press("c")
            await pilot.pause()
            choices = app.screen.query_one("#choices")
            ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
            choices.highlighted = ids.index(choice)
            await pilot.press("enter")
            await pilot.pause()
            app.screen.query_one("Input").value = value
            await pilot.press("enter")
            await pilot.pause()
        assert [cmd for _, cmd in screen.game.applied] == [
            Configure("web", breaker=BreakerRule(0.5, 10.0)), Configure("web", db_timeout=0.2)]
        assert screen.game.engine.db_calls.timeout == 0.2


async def test_the_configure_dialog_denormalizes_the_database(app_factory) -> None:
    app = app_factory("the-feed")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        screen.select_component("database-1")
        await pilot.press("c")
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        choices.highlighted = ids.index("denormalize")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.game.applied[-1][1].denormalize is True
        assert screen.game.engine.topology.denormalized


async def test_topology_fits_at_80x24(app_factory) -> None:
    app = app_factory("thundering-herd")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.game.act(Add("cache", "small", count=3)).ok
        screen.game.step(40)
        screen.redraw(force=True)
        await pilot.pause()
        panel = screen.query_one(TopologyPanel)
        lines = [line.plain for line in panel._draw().renderables]
        assert len(lines) <= panel.parent.size.height, (lines, panel.size)
        assert any("database-1" in line for line in lines)
        assert any("web ×4" in line for line in lines), lines  # four identical servers: one line
    async with app_factory("thundering-herd").run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        lines = [line.plain for line in pilot.app.screen.query_one(TopologyPanel)._draw().renderables]
        assert any("▯" in line for line in lines)  # room enough: load bars


async def test_write_policy_from_the_dialog_and_the_palette(app_factory) -> None:
    """c on a cache offers the write policies it is not using; the palette has them by name."""
    app = app_factory("stale-prices")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        screen.select_component("cache-1")
        await pilot.press("c")
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        assert "on-write-none" not in ids  # the one in force
        choices.highlighted = ids.index("on-write-invalidate")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"on write update for cache-1")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert [(c.target, getattr(c, "on_write", None)) for _, c in screen.game.applied] == [
            ("cache-1", "invalidate"), ("cache-1", "update")]


async def test_rewind_goes_back_to_a_minute_and_the_end_compares_both_runs(app_factory) -> None:
    from rich.console import Console

    from scaletui.tui.screens.rewind import RewindScreen

    app = app_factory("scale-out")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        first = app.screen
        game = first.game
        assert game.act(Add("load_balancer", "small")).ok  # at 0:00
        game.step(125.0)
        assert game.act(Add("web", "large")).ok  # at 2:05
        game.step(185.0)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, RewindScreen))
        options = app.screen.query_one("#choices")
        assert options.option_count == 4  # 0:00 1:00 2:00 3:00
        assert "then: add web server (large)" in str(options.get_option_at_index(2).prompt)
        await pilot.press("up", "up", "enter")  # 3:00 -> 1:00
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen is not first)
        fork = app.screen.game
        assert fork.now == 60.0 and app.screen.clock.paused
        assert [(t, c) for t, c in fork.applied] == [(0.0, Add("load_balancer", "small"))]
        assert game.now == 185.0 and len(game.applied) == 2  # the run left behind is kept as it was
        fork.finish()
        await wait_for(pilot, lambda: isinstance(app.screen, EndScreen), timeout=60)
        console = Console(width=100, record=True)
        console.print(app.screen.query_one("#comparison").content)
        text = console.export_text()
        assert "this run" in text and "rewound from" in text and "requests/s" in text and "target 250 ms" in text


async def test_the_selected_component_shows_erlang_c_beside_the_simulation(app_factory) -> None:
    """Issue 13: theory beside the simulation, and a flag where the system leaves its regime."""
    from scaletui.tui.widgets.component_panel import ComponentPanel

    app = app_factory("one-server")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        screen.game.step(120.0)  # light load: the formula's regime
        screen.select_component("web-1")
        screen.redraw(force=True)
        await pilot.pause()

        def panel() -> str:
            return "\n".join(line.plain for line in screen.query_one(ComponentPanel).render().renderables)

        text = panel()
        assert "Erlang C " in text and "% " in text and "≠ sim" not in text and "no steady state" not in text, text
        screen.game.step(40 * 60.0)  # no upgrades: the web server is far past full load
        screen.redraw(force=True)
        await pilot.pause()
        assert "no steady state" in panel(), panel()


async def test_the_game_stops_for_an_estimate_scores_it_and_explains_the_formula(app_factory, tmp_path: Path) -> None:
    from textual.widgets import Input, Static

    scenario = tmp_path / "estimating.yaml"
    scenario.write_text(
        "name: estimating\nduration: 10m\ntraffic: {users: 200, rps_per_user: 0.5}\n"
        "topology:\n  - {kind: web, size: small}\n  - {kind: database, size: small}\n"
        "estimates:\n  - at: 1m\n    ask: How many large web servers carry 4,000 requests/s at 70%?\n"
        "    servers: {rps: 4000, size: large, utilization: 0.7}\n")
    app = app_factory(str(scenario))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        game = app.screen.game
        await pilot.press("space")
        for _ in range(6):
            await pilot.press("plus")
        await wait_for(pilot, lambda: _estimate_asked(app))
        assert game.now == 60.0  # stopped exactly when the question is asked
        await pilot.pause(0.3)
        assert game.now == 60.0
        app.screen.query_one(Input).value = "8"
        await pilot.press("enter")
        await pilot.pause()
        status = str(app.screen.query_one("#status", Static).content)
        assert "the formula says 8 servers" in status and "right" in status and "800 requests/s" in status
        await pilot.press("enter")  # play on
        await pilot.pause()
        assert isinstance(app.screen, GameScreen), app.screen
        assert not app.screen.clock.paused
        await wait_for(pilot, lambda: game.now > 62.0)
        assert [s.right for s in game.estimates.scored] == [True]


async def test_a_skipped_estimate_reads_skipped_then_the_formula(app_factory, tmp_path: Path) -> None:
    from textual.widgets import Static

    scenario = tmp_path / "estimating.yaml"
    scenario.write_text(
        "name: estimating\nduration: 10m\ntraffic: {users: 200, rps_per_user: 0.5}\n"
        "topology:\n  - {kind: web, size: small}\n  - {kind: database, size: small}\n"
        "estimates:\n  - at: 10s\n    ask: How many requests are in flight at 160 requests/s and 150 ms?\n"
        "    in_flight: {rps: 160, latency_ms: 150}\n")
    app = app_factory(str(scenario))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("space")
        await wait_for(pilot, lambda: _estimate_asked(app))
        await pilot.press("escape")
        await pilot.pause()
        status = str(app.screen.query_one("#status", Static).content)
        # Little's law: 160/s x 0.15 s = 24 in flight.
        assert status.startswith("skipped: the formula says 24 requests\n"), status


async def test_resizing_a_booting_replica_is_refused_before_a_size_is_picked(app_factory) -> None:
    """A playtest pressed u on a replica still copying data: the dialog offered sizes and
    a restart, then the game refused the pick. Now u says why at once and opens nothing."""
    from scaletui.tui.screens.resize import ResizeScreen

    app = app_factory("cascading-failure")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.game.act(Add("replica", "large")).ok
        await pilot.pause()
        replica = next(c for c in screen.game.snapshot().components if c.kind == "replica")
        assert replica.health == "booting"
        screen.select_component(replica.id)
        await pilot.press("u")
        await pilot.pause()
        assert not isinstance(app.screen, ResizeScreen)
        notes = [n.message for n in app._notifications]
        assert any(replica.id in m and "once it is up" in m for m in notes), notes
        # A web server that is up still opens the dialog.
        screen.select_component("web-1")
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ResizeScreen)
