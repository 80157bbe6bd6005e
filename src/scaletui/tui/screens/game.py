"""The game screen: topology, metrics, objectives, the selected component and the log."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from scaletui.game.cost_preview import preview_cost
from scaletui.game.session import Game
from scaletui.sim.commands import Add, Command, Configure, Promote, Remove, Upgrade
from scaletui.sim.eventlog import Event
from scaletui.tui.clock import FRAME_S, GameClock
from scaletui.tui.render import clock
from scaletui.tui.widgets.component_panel import ComponentPanel
from scaletui.tui.widgets.event_log import EventLog
from scaletui.tui.widgets.metrics_panel import TITLE as METRICS_TITLE
from scaletui.tui.widgets.metrics_panel import MetricsPanel, targets_caption
from scaletui.tui.widgets.objectives_panel import ObjectivesPanel
from scaletui.tui.widgets.topology_panel import TopologyPanel, ordered_ids


TOAST_NEWS_S = 60.0  # an announcement older than this (in game time) is not toasted
MIN_WIDTH, MIN_HEIGHT = 80, 24  # the smallest terminal the screen is drawn complete in


class GameScreen(Screen):
    """Plays one Game. The Game holds all state; widgets only draw its snapshots."""

    BINDINGS = [
        Binding("space", "run", "Run"),
        Binding("space", "pause", "Pause"),
        Binding("plus,equals_sign,right_square_bracket", "faster", "Speed", key_display="+/-"),
        Binding("minus,left_square_bracket", "slower", "Slower", show=False),
        Binding("a", "add", "Add"),
        Binding("u", "upgrade", "Upgrade"),
        Binding("x,delete", "remove", "Remove", key_display="x"),
        # z shows in the footer only while an addition still boots; otherwise it says why not.
        Binding("z", "undo", "Undo"),
        Binding("z", "nothing_to_undo", "Undo", show=False),
        Binding("p", "promote", "Promote", show=False),
        Binding("c", "configure", "Conf"),
        Binding("h", "hint", "Hint"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        # Priority: a focused scroll box (an overflowing topology, the log) would take
        # the arrows for scrolling, and the selection would stop moving.
        Binding("down,j,tab", "select(1)", "Next", show=False, priority=True),
        Binding("up,k,shift+tab", "select(-1)", "Prev", show=False, priority=True),
        Binding("w", "why", "Why"),
        Binding("b", "rewind", "Rewind", show=False),
        Binding("f", "fold", "Fold", show=False),
        Binding("escape", "leave", "Leave", show=False),
    ]

    class Finished(Message):
        """The game ended (won, lost, or out of time); the App shows the end screen."""

        def __init__(self, game: Game) -> None:
            super().__init__()
            self.game = game

    class Left(Message):
        """The player left the game; the App goes back to the campaign."""

    class RewindChosen(Message):
        """The player chose to go back to time t and play on from there; the App forks the game."""

        def __init__(self, game: Game, t: float) -> None:
            super().__init__()
            self.game = game
            self.t = t

    class CommandChosen(Message):
        """A player command chosen outside the screen's keys (the command palette)."""

        def __init__(self, cmd: Command) -> None:
            super().__init__()
            self.cmd = cmd

    def __init__(self, game: Game, paused: bool = False, speed_index: int | None = None) -> None:
        super().__init__()
        self.game = game
        self.clock = GameClock(paused=paused)
        if speed_index is not None:  # a fork plays on at the speed the player had chosen
            self.clock.speed_index = speed_index
        self.selected: str | None = None
        self.hints_shown = 0
        self._drawn_t = -1.0
        self._log_cursor = 0  # this screen's own place in the game's event log
        # Announcements logged before this screen opened (a rewind's replay) were toasted already.
        self._toast_from = len(game.engine.events)
        self._drawn_wall = 0.0
        self._ended = False
        self.frames = 0  # screen updates, for benchmarks
        self._drawn_ids: list[str] = []  # the components in the last picture, in order
        self.folded: frozenset[str] = frozenset()  # regions drawn as their header line only
        self._asking = False  # an estimate's dialog is open
        self.too_small = False  # below the minimum size: nothing drawn but the note, no key acts
        self._paused_before_small = paused
        self._undoable = False  # whether z has an addition to undo (the footer shows it)
        self._selected_before_fold: dict[str, str] = {}  # region -> what was selected in it

    # --- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        title = self.game.scenario.title
        yield Static(Text(f" scaletui · {title}"), id="title")  # Text: a title is not markup
        with Horizontal(id="main"):
            with Vertical(id="left"):
                with VerticalScroll(id="topology-box"):
                    yield TopologyPanel(id="topology")
                yield MetricsPanel(id="metrics")
            with Vertical(id="right"):
                yield ObjectivesPanel(id="objectives")
                yield ComponentPanel(id="component")
        # min_width: RichLog's default (78) is wider than the log at 80 columns: lines were cut.
        yield EventLog(id="log", wrap=True, markup=False, max_lines=500, min_width=20)
        yield Static(id="too-small")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#topology-box").border_title = "Topology"
        self.query_one("#topology-box").border_subtitle = "per node · last 1 s"
        metrics = self.query_one(MetricsPanel)
        metrics.border_title = METRICS_TITLE
        slo = self.game.scenario.spec.slo
        metrics.p95_target_ms = slo.latency_p95_ms
        metrics.error_target = 1.0 - slo.availability / 100.0
        metrics.border_subtitle = targets_caption(metrics.p95_target_ms, metrics.error_target)
        self.query_one("#objectives").border_title = "Objectives"
        self.query_one("#component").border_title = "Selected"
        self.query_one("#log").border_title = "Log"
        self.clock.sync(self.game.now)
        self.redraw(force=True)
        self.set_interval(FRAME_S, self.frame, name="frame")

    def on_resize(self) -> None:
        compact = self.size.height < 28
        self.set_class(compact, "compact")
        # Below 34 rows the title's row goes to the topology (two regions fit at 100x30).
        untitled = self.size.height < 34
        self.set_class(untitled, "untitled")
        box = self.query_one("#topology-box")
        # A border title is markup; the level's title is text (escaped, not parsed).
        box.border_title = f"Topology · {escape(self.game.scenario.title)}" if untitled else "Topology"
        narrow = self.size.width < 90
        self.set_class(narrow, "narrow")
        # At 80 columns the footer's keys fit only without the palette's (it is in the help).
        self.query_one(Footer).show_command_palette = not narrow
        small = self.size.width < MIN_WIDTH or self.size.height < MIN_HEIGHT
        if small != self.too_small:
            # The game cannot be seen: it waits, paused, until the terminal is large enough.
            if small:
                self._paused_before_small = self.clock.paused
                self.clock.paused = True
            else:
                self.clock.paused = self._paused_before_small
                self.clock.sync(self.game.now)
            self.too_small = small
            self.refresh_bindings()
        self.set_class(small, "too-small")
        self.query_one("#too-small", Static).update(
            f"scaletui needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}; this one is "
            f"{self.size.width}x{self.size.height}. Enlarge it (ctrl+q quits).")

    # --- time -------------------------------------------------------------------------------
    def frame(self) -> None:
        game = self.game
        if self._ended:
            return
        if game.finished:
            self._end()
            return
        self.clock.run_frame(game, game.engine.dt, game.estimates.next_at())
        if game.finished:
            self._end()
        elif game.estimates.due(game.now) is not None and not self._asking:
            self._ask_estimate()
        else:
            # Keys that arrived while the engine ran are handled before the redraw.
            self.call_later(self.redraw)

    def redraw(self, force: bool = False) -> None:
        game = self.game
        if not force and (game.now == self._drawn_t
                          or time.perf_counter() - self._drawn_wall < self.clock.redraw_interval):
            return
        self._drawn_t = game.now
        self._drawn_wall = time.perf_counter()
        self.frames += 1
        snap = game.snapshot()
        ids = ordered_ids(snap, self.selected, self._folded_now())
        if self.selected is None or snap.component(self.selected) is None:
            self.selected = self._successor(ids)
            ids = ordered_ids(snap, self.selected, self._folded_now())  # its group opens
        self._drawn_ids = ids
        topo = self.query_one(TopologyPanel)
        topo.selected = self.selected
        topo.snapshot = snap
        self.query_one(MetricsPanel).snapshot = snap
        obj = self.query_one(ObjectivesPanel)
        obj.speed = self.clock.label()
        obj.view = game.view()
        self._show_selected(snap)
        self.call_after_refresh(self._keep_selected_in_view)  # groups open and close as it moves
        first = self._log_cursor
        events, self._log_cursor = game.engine.events.since(self._log_cursor)
        self.query_one(EventLog).add_events(events)
        self._toast_announcements(events[max(0, self._toast_from - first):])

    def _toast_announcements(self, events: list[Event]) -> None:
        """A forecast scrolls out of the five-line log in a second at high speed: it is a toast too
        (not in the last picture before the end screen, which it would cover). After a jump of
        many minutes only the last minute's are news: the older ones would stack up."""
        if self._ended:
            return
        for ev in events:
            if ev.kind == "say" and ev.t >= self.game.now - TOAST_NEWS_S:
                self.app.notify(ev.message, title="announcement", severity="warning", timeout=6, markup=False)

    def _show_selected(self, snap=None) -> None:
        snap = snap or self.game.snapshot()
        panel = self.query_one(ComponentPanel)
        comp = snap.component(self.selected) if self.selected else None
        panel.sizes = self.game.engine.catalog[comp.kind].size_names if comp else ()
        panel.former_primary = comp is not None and comp.id in self.game.former_primaries()
        undoable = self.game.undoable()
        panel.undoable = comp is not None and comp.id in undoable
        if bool(undoable) != self._undoable:
            self._undoable = bool(undoable)
            self.refresh_bindings()
        panel.component = comp

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self.redraw(force=True)
        self.app.clear_notifications()  # earlier announcements would cover the end screen's lesson
        self.post_message(self.Finished(self.game))

    @on(CommandChosen)
    def _command_chosen(self, message: CommandChosen) -> None:
        self.act(message.cmd)

    # --- actions ----------------------------------------------------------------------------
    def act(self, cmd: Command) -> bool:
        """Apply a player command now; tell the player what happened."""
        res = self.game.act(cmd)
        if not res.ok:  # successes are in the log; a refusal needs to be seen
            self.notify(res.message, title="refused", severity="warning", timeout=6)
        self.redraw(force=True)
        return res.ok

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.too_small:
            return False  # keys would act on a game that cannot be seen (ctrl+q is the App's)
        # space shows "Run" while paused and "Pause" while running.
        if action == "run":
            return self.clock.paused
        if action == "pause":
            return not self.clock.paused
        if action == "undo":
            return self._undoable
        return True

    def action_run(self) -> None:
        self.action_toggle_pause()

    def action_pause(self) -> None:
        self.action_toggle_pause()

    def action_toggle_pause(self) -> None:
        self.clock.toggle(self.game.now)
        self.refresh_bindings()
        self.redraw(force=True)

    # A dialog or the command palette over the game stops the clock while it is open.
    def on_screen_suspend(self) -> None:
        self._was_paused = self.clock.paused
        self.clock.paused = True

    def on_screen_resume(self) -> None:
        self.clock.paused = getattr(self, "_was_paused", self.clock.paused) or self.too_small
        self.clock.sync(self.game.now)
        self.refresh_bindings()

    def _successor(self, ids: list[str]) -> str | None:
        """What to select when the selection is gone: its neighbour (after a removal)."""
        before = self._drawn_ids
        if self.selected in before:
            at = before.index(self.selected)
            for cid in before[at + 1:] + before[:at][::-1]:
                if cid in ids:
                    return cid
        return next((i for i in ids if not i.startswith("dc-")), ids[0] if ids else None)

    def action_faster(self) -> None:
        self.clock.faster()
        self.redraw(force=True)

    def action_slower(self) -> None:
        self.clock.slower()
        self.redraw(force=True)

    def action_select(self, delta: int) -> None:
        ids = ordered_ids(self.game.snapshot(), self.selected, self._folded_now())
        if not ids:
            return
        i = ids.index(self.selected) if self.selected in ids else 0
        self.select_component(ids[(i + delta) % len(ids)])

    def _folded_now(self) -> frozenset[str]:
        """The regions drawn folded: the player's, and those folded for want of room."""
        return self.folded | self.query_one(TopologyPanel).auto_folded

    def action_fold(self) -> None:
        """f: fold the selected component's data centre to one line, or unfold it; unfolding
        selects again what was selected inside when it folded."""
        comp = self._selected_view()
        if comp is None or comp.kind == "cdn":  # the CDN is in no data centre
            return
        region = comp.region
        self.folded = self.folded ^ {region}
        snap = self.game.snapshot()
        if region in self.folded:
            if comp.kind != "datacenter":
                self._selected_before_fold[region] = comp.id
                dc = f"dc-{region}"
                self.selected = dc if snap.component(dc) is not None else self.selected
        else:
            inside = self._selected_before_fold.pop(region, None)
            if inside is not None and snap.component(inside) is not None:
                self.selected = inside
        self.query_one(TopologyPanel).folded = self.folded
        self.select_component(self.selected or comp.id)

    def select_component(self, cid: str) -> None:
        comp = self.game.snapshot().component(cid)
        if comp is not None and comp.kind not in ("datacenter", "cdn") and comp.region in self.folded:
            self.folded = self.folded - {comp.region}  # selecting inside a folded centre opens it
            self.query_one(TopologyPanel).folded = self.folded
        self.selected = cid
        self.query_one(TopologyPanel).selected = cid
        self._show_selected()
        self.call_after_refresh(self._keep_selected_in_view)

    def _keep_selected_in_view(self) -> None:
        self.query_one(TopologyPanel).keep_selected_in_view()

    def action_select_component(self, cid: str) -> None:
        self.select_component(cid)

    def _selected_view(self):
        return self.game.snapshot().component(self.selected) if self.selected else None

    def action_add(self) -> None:
        from scaletui.tui.screens.add import AddScreen

        def done(cmd: Add | None) -> None:
            if cmd is not None:
                self.act(cmd)

        self.app.push_screen(AddScreen(self.game), done)

    def action_upgrade(self) -> None:
        from scaletui.tui.screens.resize import ResizeScreen

        comp = self._selected_view()
        if comp is None:
            return
        spec = self.game.engine.catalog[comp.kind]
        if len(spec.sizes) < 2:
            self.notify(f"{comp.id} comes in one size only", severity="warning")
            return
        if comp.health == "booting":
            # The engine would refuse it: say so now, not after a size is picked.
            self.notify(f"{comp.id} is {comp.note or 'booting'}: it can be resized once it is up",
                        severity="warning")
            return

        def done(size: str | None) -> None:
            if size:
                self.act(Upgrade(comp.id, size))

        self.app.push_screen(ResizeScreen(comp, spec, lambda size: self._cost_change(Upgrade(comp.id, size))),
                             done)

    def _cost_change(self, cmd: Command) -> str:
        return str(preview_cost(self.game.engine, cmd, self.game.scenario.spec.par_cost,
                                self.game.transfer_cost_per_hour()))

    def action_remove(self) -> None:
        from scaletui.tui.screens.confirm import ConfirmScreen

        comp = self._selected_view()
        if comp is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.act(Remove(comp.id))

        same = [c for c in self.game.snapshot().components
                if c.kind == comp.kind and c.region == comp.region and c.id != comp.id]
        warning = "" if same else f" It is the only {comp.kind.replace('_', ' ')} in {comp.region}."
        cost = self._cost_change(Remove(comp.id))
        self.app.push_screen(ConfirmScreen(f"Remove {comp.id}? It stops serving at once.{warning}\ncost {cost}"),
                             done)

    def action_undo(self) -> None:
        """z: the last addition goes while it still boots, its cost refunded."""
        res = self.game.undo()
        if not res.ok:
            self.notify(res.message, title="cannot undo", severity="warning", timeout=6)
        self.redraw(force=True)

    def _ask_estimate(self) -> None:
        """The level asks for a back-of-the-envelope estimate: the clock stops until it is answered."""
        from scaletui.tui.screens.estimate import EstimateScreen

        spec = self.game.estimates.due(self.game.now)
        if spec is None:
            return
        self._asking = True  # the clock stops while the dialog is open (on_screen_suspend)
        self.redraw(force=True)

        def done(_scored: object) -> None:
            self._asking = False
            self.redraw(force=True)

        self.app.push_screen(EstimateScreen(spec.ask, self.game.answer_estimate), done)

    def action_rewind(self) -> None:
        """b: go back to an earlier minute (the clock stops while the dialog is open)."""
        from scaletui.game.rewind import first_incident, opening_point, rewind_points
        from scaletui.tui.screens.rewind import RewindScreen

        def done(t: float | None) -> None:
            if t is not None:
                self.post_message(self.RewindChosen(self.game, t))

        points = rewind_points(self.game)
        self.app.push_screen(RewindScreen(points, self.game.applied,
                                          opening_point(points, first_incident(self.game))), done)

    def action_nothing_to_undo(self) -> None:
        self.action_undo()  # says why not

    def action_promote(self) -> None:
        comp = self._selected_view()
        if comp is None:
            return
        self.act(Promote(comp.id))

    def action_configure(self) -> None:
        from scaletui.tui.screens.configure import ConfigureScreen

        comp = self._selected_view()
        if comp is None:
            return

        def done(cmd: Configure | None) -> None:
            if cmd is not None:
                self.act(cmd)

        self.app.push_screen(ConfigureScreen(comp, self.game), done)

    def action_hint(self) -> None:
        from scaletui.tui.screens.hints import HintsScreen

        hints = self.game.scenario.spec.hints
        if not hints:
            self.notify("this scenario has no hints", severity="information")
            return
        self.hints_shown = min(len(hints), self.hints_shown + 1)

        def done(shown: int | None) -> None:
            self.hints_shown = max(self.hints_shown, shown or 0)

        self.app.push_screen(HintsScreen(hints, self.hints_shown), done)

    def action_help(self) -> None:
        from scaletui.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_why(self) -> None:
        from scaletui.tui.screens.why import WhyScreen

        self.app.push_screen(WhyScreen(self.game.snapshot()))

    def action_leave(self) -> None:
        from scaletui.tui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                self.post_message(self.Left())

        self.app.push_screen(ConfirmScreen("Leave this game? It will be lost."), done)
