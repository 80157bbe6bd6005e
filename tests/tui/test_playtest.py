"""The playtest of issue 10, item by item: each test failed on the screen before its fix."""

from __future__ import annotations

import pytest

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


async def test_the_size_picker_starts_on_the_default_and_every_dialog_previews_the_cost(app_factory) -> None:
    """Item 6: the cursor started on "the size you run" once one ran (an 18/h xlarge bought by
    the same keys), and no dialog said what an action would cost."""
    from textual.widgets import Label, OptionList, Static

    app = app_factory("scale-out")  # web-1 xlarge, lb none; par 30 over 40 min = 45/h
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        game = screen.game
        assert {c.id: c.size for c in game.snapshot().components}["web-1"] == "xlarge"
        now = game.engine.cost_per_hour()  # data centre 10 + web xlarge 9 + database
        await pilot.press("a")
        await pilot.pause()
        status = app.screen.query_one("#status", Static)
        # load balancer highlighted: medium by default, 3/h (catalog.yaml)
        assert f"cost {now:.1f}/h → {now + 3:.1f}/h; par pace 45/h" in str(status.content)
        await pilot.press("down", "enter")  # web
        await pilot.pause()
        sizes = app.screen.query_one(OptionList)
        assert sizes.get_option_at_index(sizes.highlighted).id == "medium"  # not xlarge, which runs
        await pilot.press("plus", "plus")
        await pilot.pause()
        assert f"cost {now:.1f}/h → {now + 3 * 2:.1f}/h" in str(status.content)  # 3 x medium 2/h
        await pilot.press("escape")
        await pilot.pause()
        screen.select_component("web-1")
        await pilot.press("x")
        await pilot.pause()
        assert f"cost {now:.1f}/h → {now - 9:.1f}/h" in str(app.screen.query_one(Label).content)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("up")  # xlarge -> large
        await pilot.pause()
        assert f"cost {now:.1f}/h → {now - 9 + 4:.1f}/h" in str(app.screen.query_one("#status", Static).content)


async def test_z_undoes_an_addition_while_it_boots(app_factory) -> None:
    """Item 6: there was no undo; a mistaken 18/h server billed until removed by hand."""
    app = app_factory("scale-out")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        before = screen.game.engine.cost_per_hour()
        await pilot.press("a", "down", "enter", "down", "down", "enter")  # web xlarge (9/h)
        await pilot.pause()
        assert screen.game.engine.cost_per_hour() == before + 9
        await pilot.press("z")
        await pilot.pause()
        assert screen.game.engine.cost_per_hour() == before
        assert "web-2" not in [c.id for c in screen.game.snapshot().components]
        await pilot.press("z")  # nothing left: says so
        await pilot.pause()
        assert any("nothing to undo" in n.message for n in app._notifications)


OVERLOADED = (
    "name: overloaded\nduration: 20m\nslo: {availability: 99, latency_p95_ms: 200}\n"
    "traffic: {users: 20000, rps_per_user: 0.05}\n"
    "topology: [{kind: web, size: large}, {kind: database, size: large}]\n"
    "allow: [load_balancer, web, session_store]\n"
)


async def _overloaded(pilot, seconds: float) -> GameScreen:
    """1,000 rps on one 800 rps server: failures from the first second."""
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    screen.game.step(seconds)
    screen.redraw(force=True)
    await pilot.pause()
    return screen


async def test_the_availability_mark_shows_the_figure_it_judges(app_factory, tmp_path) -> None:
    """Item 3: "✔ availability >= 99% / 93.612%": the mark judged the budget, the figure did not."""
    from scaletui.tui.widgets.objectives_panel import ObjectivesPanel

    level = tmp_path / "overloaded.yaml"
    level.write_text(OVERLOADED)
    async with app_factory(str(level)).run_test(size=(100, 30)) as pilot:
        screen = await _overloaded(pilot, 20)
        panel = screen.query_one(ObjectivesPanel)
        v = panel.view
        assert v.failures > 0 and v.availability < 99  # the run so far is under the target ...
        left = 1 - v.failures / v.failures_allowed  # ... with most of the budget left
        assert left > 0.5
        lines = [t.plain for t in panel.render().renderables]
        at = next(i for i, t in enumerate(lines) if "availability ≥ 99%" in t)
        assert lines[at].startswith("✔") or lines[at].startswith("⚠")
        assert lines[at + 1].endswith(f" {100 * left:.0f}% left"), lines
        assert not any(f"{v.availability:.3f}%" in t or f"{v.availability:.1f}%" in t for t in lines), lines


async def test_each_p95_says_its_window_and_each_sparkline_its_scale(app_factory, tmp_path) -> None:
    """Items 4 and 5: "87 ms now" beside "p95 139ms"; sparklines scaled to their own maximum,
    no axis, a full-height block for 0.00%."""
    from scaletui.game.sparkline import sparkline
    from scaletui.tui.widgets.metrics_panel import MetricsPanel, _rows
    from scaletui.tui.widgets.objectives_panel import ObjectivesPanel

    assert sparkline([0.0, 0.0, 0.0], 6) == " " * 6  # zero is drawn empty
    assert sparkline([0.0, 1.0, 2.0], 3, top=4.0) == " ▂▄"  # to the scale asked, from zero
    level = tmp_path / "overloaded.yaml"
    level.write_text(OVERLOADED)
    async with app_factory(str(level)).run_test(size=(100, 30)) as pilot:
        screen = await _overloaded(pilot, 25)  # fewer seconds than cells: one cell per second
        objectives = [t.plain for t in screen.query_one(ObjectivesPanel).render().renderables]
        assert any(t.strip().startswith("this min ") for t in objectives), objectives
        metrics = screen.query_one(MetricsPanel)
        assert "now = last 1 s" in metrics.border_title
        assert "p95 ≤ 200ms" in metrics.border_subtitle and "errors ≤ 1.00%" in metrics.border_subtitle
        table = metrics.render()
        labels = list(table.columns[0].cells)
        tops = [str(c) for c in table.columns[3].cells]
        rows = _rows(screen.game.snapshot())
        p95_max = max(r.p95_ms for r in rows)
        shown = f"{p95_max / 1000:.1f}s" if 1000 <= p95_max < 10000 else f"{p95_max:.0f}ms"
        assert p95_max < 10000 and tops[labels.index("p95")].startswith(f"max {shown} of ")
        assert tops[labels.index("traffic")].startswith("max ")
        # the cells of seconds with p95 over 200 ms carry the error colour; the others do not
        spark = list(table.columns[1].cells)[labels.index("p95")]
        width = len(spark.plain)
        assert len(rows) <= width  # one cell per second here
        pad = width - len(rows)
        from scaletui.tui.palette import palette_of

        bad = palette_of(metrics).bad
        red = {i - pad for span in spark.spans if bad in str(span.style) for i in range(span.start, span.end)}
        assert red == {i for i, r in enumerate(rows) if r.p95_ms > 200}
        assert red  # the overload shows


async def test_80x24_cuts_no_word_and_below_it_says_the_minimum(app_factory) -> None:
    """Item 7: at 80x24 the log lost words, the footer "Why", Objectives "spent", Metrics the db."""
    from textual.widgets import Footer

    from scaletui.tui.widgets.event_log import EventLog
    from scaletui.tui.widgets.metrics_panel import MetricsPanel
    from scaletui.tui.widgets.objectives_panel import ObjectivesPanel

    async with app_factory("scale-out").run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        screen.game.step(4 * 60 + 45)  # the partner's wave (seed 21: from 3m22s) drowns web-1
        screen.redraw(force=True)
        await pilot.pause()
        footer = screen.query_one(Footer)
        keys = sorted((k.region.x, k.region.right, k.description) for k in footer.query("FooterKey"))
        assert "Why" in [d for _, _, d in keys] and keys[-1][1] <= 80, keys
        assert all(right <= x for (_, right, _), (x, _, _) in zip(keys, keys[1:])), keys  # none drawn over
        obj = screen.query_one(ObjectivesPanel)
        lines = [t.plain for t in obj.render().renderables]
        assert any("spent" in t for t in lines)
        assert len(lines) <= obj.content_region.height, lines
        assert all(len(t) <= obj.content_region.width for t in lines), lines
        metrics = screen.query_one(MetricsPanel)
        assert "db" in list(metrics.render().columns[0].cells)
        log = screen.query_one(EventLog)
        assert log.lines and max(s.cell_length for s in log.lines) <= log.scrollable_content_region.width
        await pilot.resize_terminal(70, 20)
        await pilot.pause()
        note = screen.query_one("#too-small")
        assert note.display and "at least 80x24" in str(note.content) and "70x20" in str(note.content)
        assert not screen.query_one("#main").display


async def test_identical_servers_draw_as_one_line_that_opens_on_selection(app_factory) -> None:
    """Item 2 and the groups: two regions fit on one screen; a tier of 40 is one line until
    the selection enters it; a region folds to its header with f."""
    app = app_factory("millions")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _millions_grown(pilot)
        screen.game.step(70)  # us-east's new servers are up; eu-west is still being built
        screen.redraw(force=True)
        await pilot.pause()
        panel = screen.query_one(TopologyPanel)
        box = screen.query_one("#topology-box")

        def lines() -> list[str]:
            return [t.plain for t in panel._draw().renderables]

        drawn = lines()
        assert len(drawn) <= box.size.height, drawn  # everything at once, both regions
        assert any(t.startswith("▌us-east") for t in drawn) and any(t.startswith("▌eu-west") for t in drawn)
        web = next(t for t in drawn if "web ×40 medium" in t)  # web-3..web-42, added as medium
        assert "avg" in web and "max" in web
        assert "web ×30 medium" in drawn[-1] and "30 booting" in drawn[-1]
        screen.select_component("web-2")
        await pilot.press("down")  # into the group: it opens, web-3 selected
        await pilot.pause()
        assert screen.selected == "web-3"
        opened = " ".join(lines())
        # forty are too many to draw: the group's line, then web-3 among its nearest neighbours
        assert "web ×40" in opened and "web-3 " in opened and "web-7 " in opened and "web-42" not in opened
        await pilot.press("up", "up")  # out of it: closed again
        await pilot.pause()
        assert screen.selected == "web-1" and "web-3 " not in " ".join(lines())
        screen.select_component("web-43")  # eu-west
        await pilot.press("f")
        await pilot.pause()
        assert screen.selected == "dc-eu-west"
        assert lines()[-1].startswith("▸eu-west") and "30 components" in lines()[-1]
        await pilot.press("f")
        await pilot.pause()
        assert any("web ×30" in t for t in lines())


async def test_the_theme_colours_health_and_load(app_factory) -> None:
    """--theme restyled the panels' borders only: health and load colours were Rich names."""
    from textual.theme import BUILTIN_THEMES

    async def chip_style(theme: str | None) -> str:
        async with app_factory("scale-out", theme=theme).run_test(size=(100, 30)) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            line = pilot.app.screen.query_one(TopologyPanel)._draw().renderables[2]  # WEB: web-1, up
            return " ".join(str(span.style) for span in line.spans if "●" == line.plain[span.start:span.end])

    nord, default = await chip_style("nord"), await chip_style(None)
    assert BUILTIN_THEMES["nord"].success is not None
    assert nord != default
    assert "#C2D4B3" in nord.upper()  # nord's success colour, lightened for text (Textual's text-success)


def test_screens_talk_to_the_app_by_messages() -> None:
    """The screens cast self.app and called its navigation; the palette imported GameScreen."""
    import inspect

    import scaletui.tui.commands as palette
    from scaletui.tui.screens import brief, campaign, end, game

    for module in (brief, campaign, end, game, palette):
        source = inspect.getsource(module)
        assert "scaletui.tui.app" not in source and "ScaleTuiApp" not in source, module.__name__
    assert "GameScreen" not in inspect.getsource(palette)


async def test_the_end_screen_answers_and_the_app_routes(app_factory) -> None:
    from scaletui.tui.screens.brief import BriefScreen
    from scaletui.tui.screens.end import EndScreen

    app = app_factory("scale-out")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        first = app.screen.game
        first.finish()
        await pilot.pause(0.3)
        assert isinstance(app.screen, EndScreen)
        await pilot.press("r")  # retry: a new game, the same seed
        await pilot.pause()
        assert isinstance(app.screen, GameScreen) and app.screen.game is not first
        assert app.screen.game.seed == first.seed and len(app.screen_stack) == 2
        app.screen.game.finish()
        await pilot.pause(0.3)
        await pilot.press("n")  # next level: its brief
        await pilot.pause()
        assert isinstance(app.screen, BriefScreen) and app.screen.scenario.name != "scale-out"
        # the palette posts its command to the game screen
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"faster")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert screen.clock.speed == 30  # from 10x


async def test_only_the_cells_over_the_p95_target_are_red(app_factory) -> None:
    """Item 5's reference: in millions at 21:00 p95 wanders around its 150 ms target."""
    from scaletui.scenario.campaign import builtin_path
    from scaletui.scenario.load import load_plan
    from scaletui.tui.palette import palette_of
    from scaletui.tui.widgets.metrics_panel import MetricsPanel, _rows

    async with app_factory("millions").run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        game = screen.game
        for action in load_plan(builtin_path("millions").with_name("millions.plan.yaml")).actions:
            if action.at > 21 * 60:
                break
            game.step(action.at)
            game.act(action.command)
        game.step(21 * 60)
        screen.redraw(force=True)
        await pilot.pause()
        metrics = screen.query_one(MetricsPanel)
        table = metrics.render()
        labels = list(table.columns[0].cells)
        spark = list(table.columns[1].cells)[labels.index("p95")]
        values = [r.p95_ms for r in _rows(game.snapshot())]
        width, n = len(spark.plain), len(values)
        # each cell draws the worst of its slice of seconds (n > width here)
        assert n > width
        cells = [max(values[i * n // width:max(i * n // width + 1, (i + 1) * n // width)]) for i in range(width)]
        bad = palette_of(metrics).bad
        red = {i for span in spark.spans if bad in str(span.style) for i in range(span.start, span.end)}
        assert red == {i for i, v in enumerate(cells) if v > 150}
        assert 0 < len(red) < width  # some over, some under: the reference means something


async def test_a_met_star_condition_never_reads_as_failed(app_factory) -> None:
    """Screen item 5: a lost game drew "☆ cost per hour stayed within the budget" and
    "☆ spent 10.9 in all; par is 125", empty stars for conditions that were met."""
    from textual.widgets import Static

    from scaletui.tui.screens.end import EndScreen

    app = app_factory("scale-out")  # budget and par far above a minute's spending
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        game = app.screen.game
        game.step(60)
        game.finish()  # out of time long before the end: lost
        await pilot.pause(0.3)
        assert isinstance(app.screen, EndScreen)
        lines = str(app.screen.query_one("#stars-why", Static).content).splitlines()
        assert lines[0] == "✘ an objective was missed", lines
        assert lines[1] == "✔ cost per hour stayed within the budget (no star: the game was lost)", lines
        assert lines[2].startswith("✔ spent ") and lines[2].endswith("(no star: the game was lost)"), lines
        assert not any("☆" in t for t in lines), lines


async def test_below_the_minimum_size_only_ctrl_q_acts_and_nothing_is_cut(app_factory) -> None:
    """Screen item 4: at 70x20 the note said "needs at least 80x24" while space started the
    clock unseen and the footer was drawn, cut ("? Help w Wh")."""
    from textual.widgets import Footer

    from scaletui.tui.screens.confirm import ConfirmScreen

    async with app_factory("scale-out").run_test(size=(70, 20)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, GameScreen) and screen.query_one("#too-small").display
        assert not screen.query_one(Footer).display
        for key in ("space", "a", "w", "question_mark", "h", "down", "ctrl+p", "escape"):
            await pilot.press(key)
            await pilot.pause()
            assert pilot.app.screen is screen, key  # no dialog, no palette
        assert screen.clock.paused and screen.game.now == 0.0
        await pilot.pause(0.3)
        assert screen.game.now == 0.0  # the clock did not start unseen
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        await pilot.resize_terminal(80, 24)  # large enough: the keys act again
        await pilot.pause()
        assert screen.query_one(Footer).display
        await pilot.press("space")
        await pilot.pause()
        assert not screen.clock.paused


async def test_unfolding_a_region_selects_again_what_was_selected_in_it(app_factory) -> None:
    """Screen item 7: folding moved the selection to the data centre line; unfolding left it there."""
    app = app_factory("millions")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _millions_grown(pilot)
        screen.select_component("web-50")  # in eu-west's open group of 30
        await pilot.press("f")
        await pilot.pause()
        assert screen.selected == "dc-eu-west" and "eu-west" in screen.folded
        await pilot.press("f")
        await pilot.pause()
        assert screen.selected == "web-50" and "eu-west" not in screen.folded


async def test_z_shows_in_the_footer_while_undo_is_possible_and_undo_says_undo(app_factory, tmp_path) -> None:
    """Screen item 7: z was only in the help; an undo was logged and saved as "remove"."""
    from textual.widgets import Footer

    from scaletui.game.plans import record_plan
    from scaletui.scenario.load import load_plan
    from scaletui.tui.widgets.event_log import EventLog

    async with app_factory("scale-out").run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        footer = screen.query_one(Footer)

        def keys() -> list[tuple[str, int]]:
            return [(k.description, k.region.right) for k in footer.query("FooterKey")]

        assert "Undo" not in [d for d, _ in keys()]
        await pilot.press("a", "down", "enter", "enter")  # web, medium: it boots for 60 s
        await pilot.pause()
        assert "Undo" in [d for d, _ in keys()] and max(r for _, r in keys()) <= 80, keys()
        await pilot.press("z")
        await pilot.pause()
        assert "Undo" not in [d for d, _ in keys()]
        log = " ".join(line.text for line in screen.query_one(EventLog).lines)
        assert "undo web server web-2: web-2 removed" in log, log
        assert "remove web-2" not in log, log
        plan = record_plan(screen.game)
        assert "- {at: 0s, remove: web-2}  # undo: removed before it served, cost refunded" in plan, plan
        saved = tmp_path / "undone.plan.yaml"
        saved.write_text(plan)
        assert [a.command for a in load_plan(saved).actions] == [c for _, c in screen.game.applied]
        await pilot.press("z")  # nothing left: z still answers
        await pilot.pause()
        assert any("nothing to undo" in n.message for n in pilot.app._notifications)


async def _global_sites(pilot, until: float) -> GameScreen:
    """global by its reference plan: full sites in eu-west and ap-south, a CDN."""
    from scaletui.scenario.campaign import builtin_path
    from scaletui.scenario.load import load_plan

    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    game = screen.game
    for action in load_plan(builtin_path("global").with_name("global.plan.yaml")).actions:
        if action.at > until:
            break
        game.step(action.at)
        assert game.act(action.command).ok
    game.step(until)
    screen.redraw(force=True)
    await pilot.pause()
    await pilot.pause()
    return screen


def _visible_rows(screen: GameScreen) -> list[str]:
    """The topology rows inside the box's view, as drawn."""
    box = screen.query_one("#topology-box")
    rows = [t.plain for t in screen.query_one(TopologyPanel)._draw().renderables]
    top = int(box.scroll_y)
    return rows[top:top + box.scrollable_content_region.height]


async def test_three_regions_fit_at_100x30_the_others_folded_to_a_line(app_factory) -> None:
    """Screen item 1 (issue item 2): at 100x30 in global with full sites in eu-west and
    ap-south the topology had 8 rows, and two regions were never visible together;
    compact mode ran numbers together ("avg0% max0%", "hit55%")."""
    import re

    app = app_factory("global")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _global_sites(pilot, 150)  # both sites ordered, still being built
        screen.select_component("lb-1")
        await pilot.pause()
        await pilot.pause()
        rows = _visible_rows(screen)
        heads = [r for r in rows if r.startswith(("▌", "▸"))]
        assert [h.split()[0] for h in heads] == ["▌us-east", "▸eu-west", "▸ap-south"], rows
        assert all("components, max" in h for h in heads[1:]), heads
        labels = [r.split()[0] for r in rows if r.startswith(" ") and r.split()]
        assert {"LB", "WEB", "SESS", "CACHE", "DB"} <= set(labels), rows  # us-east's tiers
        # ↓ past us-east's last stop: eu-west's header, and eu-west opens in its turn
        ids = screen._drawn_ids
        screen.select_component(ids[ids.index("dc-eu-west") - 1])
        await pilot.press("down")
        await pilot.pause()
        await pilot.pause()
        assert screen.selected == "dc-eu-west"
        rows = _visible_rows(screen)
        heads = [r.split()[0] for r in rows if r.startswith(("▌", "▸"))]
        assert heads == ["▸us-east", "▌eu-west", "▸ap-south"], rows
        assert any(r.split() and r.split()[0] == "WEB" for r in rows), rows
        every = [t.plain for t in screen.query_one(TopologyPanel)._lines(
            screen.game.snapshot(), True, 60, False).renderables]
        glued = [r for r in every + rows if re.search(r"(avg|max|hit|lag|q)\d", r)]
        assert not glued, glued


async def test_the_cdn_is_drawn_outside_the_regions(app_factory) -> None:
    """Screen item 9: "EDGE cdn-1" was drawn inside us-east, though its edges are in no data centre."""
    app = app_factory("global")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _global_sites(pilot, 70)
        rows = [t.plain for t in screen.query_one(TopologyPanel)._draw().renderables]
        cdn = next(i for i, r in enumerate(rows) if "cdn-1" in r)
        first_region = next(i for i, r in enumerate(rows) if r.startswith(("▌", "▸")))
        assert cdn < first_region and "in no data centre" in rows[cdn], rows
        assert screen._drawn_ids[0] == "cdn-1"  # the first stop of the selection, as drawn


def _one_two_five_above(x: float) -> float:
    """The scale the screen promises: the first 1, 2 or 5 x 10^k at least 1.2 x the data."""
    k = -6
    while True:
        for m in (1, 2, 5):
            if m * 10.0 ** k >= 1.2 * x - 1e-12:
                return m * 10.0 ** k
        k += 1


async def test_flat_data_is_not_a_full_bar_and_each_row_prints_its_scale(app_factory) -> None:
    """Screen item 2 (issue item 5): "lag 0.11s max 0.11s" and "cost/h 64.5 max 64.5" drew
    as solid █ bars; "max 5%" beside a ▁ did not say the row is scaled to 100%."""
    from scaletui.game.sparkline import sparkline
    from scaletui.tui.widgets.metrics_panel import MetricsPanel, _rows

    # a constant 0.11 s on a 0.2 s scale: ceil(8 x 0.55) = 5 eighths; 64.5 of 100: 6 eighths
    assert sparkline([0.11] * 4, 4, _one_two_five_above(0.11)) == "▅▅▅▅"
    assert sparkline([64.5] * 4, 4, _one_two_five_above(64.5)) == "▆▆▆▆"
    app = app_factory("global")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _global_sites(pilot, 300)
        table = screen.query_one(MetricsPanel).render()
        labels = list(table.columns[0].cells)
        sparks = [c.plain for c in table.columns[1].cells]
        tops = [c.plain for c in table.columns[3].cells]
        rows = _rows(screen.game.snapshot())
        lag = max(r.lag_s for r in rows)
        cost = max(r.cost_per_hour for r in rows)
        assert tops[labels.index("lag")] == f"max {lag:.2f}s of {_one_two_five_above(lag):g}s"
        assert tops[labels.index("cost/h")] == f"max {cost:.1f} of {_one_two_five_above(cost):g}"
        for label in ("traffic", "served", "p95", "cost/h", "lag"):
            assert "█" not in sparks[labels.index(label)], (label, sparks)  # headroom: never full
        assert tops[labels.index("db")].endswith(" of 100%") and tops[labels.index("caches")].endswith(" of 100%")
        assert all(len(s) == len(sparks[0]) for s in sparks)


async def test_each_hit_rate_says_whose_it_is_and_its_window(app_factory) -> None:
    """Screen item 6: the topology's "cache-1 ... hit74%" beside Metrics' "cache hit 69%"."""
    from scaletui.tui.widgets.metrics_panel import MetricsPanel

    app = app_factory("global")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _global_sites(pilot, 70)
        assert screen.query_one("#topology-box").border_subtitle == "per node · last 1 s"
        metrics = screen.query_one(MetricsPanel)
        assert "now = last 1 s" in metrics.border_title
        labels = list(metrics.render().columns[0].cells)
        assert "caches" in labels and "cache" not in labels  # every cache's reads together


async def test_every_dialog_shows_its_key_line_at_80x24_and_every_choice(app_factory, tmp_path) -> None:
    """Screen item 3 (issue item 7): at 80x24 the add dialog lost its key line, scrolled
    Message queue, Queue worker and Data centre out of sight and wrapped descriptions;
    the resize dialog had no key line at all, the Why dialog none at 80x24."""
    from textual.widgets import OptionList

    async def key_line_shown(pilot, keys: tuple[str, ...]) -> object:
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        dialog = pilot.app.screen
        line = dialog.query_one(".help-line")
        box = dialog.query_one("#dialog")
        shown = line.region.intersection(box.content_region)
        assert line.region.height >= 1 and shown == line.region, (type(dialog).__name__, line.region,
                                                                   box.content_region)
        assert box.region.bottom <= 24 and ("esc" in str(line.content) or "n no" in str(line.content)), line.content
        return dialog

    async with app_factory("sandbox").run_test(size=(80, 24)) as pilot:  # every kind allowed
        await pilot.press("enter")
        await pilot.pause()
        dialog = await key_line_shown(pilot, ("a",))
        kinds = dialog.query_one(OptionList)
        assert kinds.option_count == 11
        assert kinds.max_scroll_y == 0 and kinds.virtual_size.height == kinds.option_count  # one row each
        sizes = await key_line_shown(pilot, ("down", "enter"))  # web: its sizes
        assert sizes.query_one(OptionList).max_scroll_y == 0
        for keys in (("escape", "u"), ("escape", "w"), ("escape", "h"), ("escape", "question_mark"),
                     ("escape", "c"), ("escape", "x")):
            await key_line_shown(pilot, keys)
    async with app_factory(str(_overloaded_level(tmp_path))).run_test(size=(80, 24)) as pilot:
        screen = await _overloaded(pilot, 25)  # failed requests: a Why taller than the screen
        assert screen.game.snapshot().totals.failures_by_cause
        why = await key_line_shown(pilot, ("w",))
        body = why.query_one("#dialog-body")
        assert body.max_scroll_y > 0  # the traces scroll; the key line stays


def _overloaded_level(tmp_path):
    level = tmp_path / "overloaded.yaml"
    level.write_text(OVERLOADED)
    return level


async def test_an_error_rate_s_scale_stops_at_100_percent(app_factory, tmp_path) -> None:
    """The playtest read "max 100.00% of 200%": the only web server dies, every request fails."""
    from scaletui.tui.widgets.metrics_panel import MetricsPanel

    level = tmp_path / "dead.yaml"
    level.write_text("name: dead\nduration: 10m\nslo: {availability: 10}\n"
                     "traffic: {users: 200, rps_per_user: 0.5}\n"
                     "topology: [{kind: web, size: large}, {kind: database, size: large}]\n"
                     "events: [{at: 5s, fail: web-1}]\nallow: [web]\n")
    async with app_factory(str(level)).run_test(size=(100, 30)) as pilot:
        screen = await _overloaded(pilot, 30)
        table = screen.query_one(MetricsPanel).render()
        labels = list(table.columns[0].cells)
        tops = [c.plain for c in table.columns[3].cells]
        assert tops[labels.index("errors")] == "max 100.00% of 100%", tops


@pytest.mark.parametrize(("size", "said"), [((100, 30), "  0 failed of 12,628 allowed"),
                                            ((80, 24), "  0 failed of 13k allowed")])
async def test_the_failures_read_as_failed_of_allowed(app_factory, size, said) -> None:
    """The playtest read "0/12,628 failed" before any traffic as a count of 12,628."""
    from scaletui.tui.widgets.objectives_panel import ObjectivesPanel

    async with app_factory("scale-out").run_test(size=size) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        panel = pilot.app.screen.query_one(ObjectivesPanel)
        rows = ["".join(seg.text for seg in panel.render_line(y)).rstrip() for y in range(panel.size.height)]
        assert said in rows, rows
        assert all(len(r) <= panel.size.width for r in rows)


async def test_an_announcement_is_a_toast_too_once(app_factory, tmp_path) -> None:
    """At high speed a forecast scrolled out of the five-line log before a newcomer read it."""
    from scaletui.tui.screens.rewind import RewindScreen
    from tests.tui.conftest import wait_for

    level = tmp_path / "forecast.yaml"
    level.write_text("name: forecast\nduration: 10m\ntraffic: {users: 200, rps_per_user: 0.5}\n"
                     "topology: [{kind: web, size: large}, {kind: database, size: large}]\n"
                     "events: [{at: 5s, say: \"The partner goes live [soon].\"}, {at: 30s, say: Old news.},\n"
                     "         {at: 150s, say: Fresh news.}]\n")
    app = app_factory(str(level))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await _overloaded(pilot, 10)

        def toasts() -> list[tuple[str, str, str]]:
            return [(n.message, n.severity, n.title) for n in app._notifications]

        assert toasts() == [("The partner goes live [soon].", "warning", "announcement")]
        assert app._notifications and all(0 < n.timeout <= 10 for n in app._notifications)
        screen.game.step(200.0)  # one jump: the 30 s announcement is no news at 3:20, the 2:30 one is
        screen.redraw(force=True)
        await pilot.pause()
        assert [t[0] for t in toasts()] == ["The partner goes live [soon].", "Fresh news."]  # each once
        app.clear_notifications()
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, RewindScreen))
        await pilot.press("enter")  # the newest minute, 3:00: the replay logs the announcements again
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen is not screen)
        assert app.screen.game.now == 180.0
        app.screen.redraw(force=True)
        await pilot.pause()
        assert [t for t in toasts() if t[2] == "announcement"] == []  # heard before the rewind


@pytest.mark.parametrize(("width", "shown"), [(100, "timeouts and circuit breakers"), (60, "timeouts an…")])
async def test_the_campaign_shows_a_concept_whole_where_it_fits(app_factory, width, shown) -> None:
    """At 100 columns the picker read "finding the first domi" and "timeouts and circuit b".
    At 60: 60 - 34 (the other columns) - 10 (their padding) - 2 (margins) - 2 (scrollbar) = 12."""
    from textual.widgets import DataTable

    app = app_factory()
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        rows = ["".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
        assert any(shown in r for r in rows), rows
        if width == 100:
            assert any("finding the first domino" in r for r in rows)
        lines = ["".join(seg.text for seg in table.render_line(y)) for y in range(table.size.height)]
        assert any(shown in line for line in lines), lines  # on screen, not only in the data
