"""The scaletui app: campaign -> brief -> game -> end, over one Game at a time."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from scaletui.game.progress import Progress
from scaletui.game.session import WON, Game
from scaletui.scenario.campaign import builtin_names, builtin_path, resolve
from scaletui.scenario.errors import ScenarioError
from scaletui.scenario.load import Scenario, load_scenario
from scaletui.tui.commands import GameCommands
from scaletui.tui.screens.brief import BriefScreen
from scaletui.tui.screens.campaign import CampaignScreen
from scaletui.tui.screens.end import EndChoice, EndScreen
from scaletui.tui.screens.game import GameScreen
from scaletui.tui.render import clock
from scaletui.tui.widgets.choice_list import SHORT_HEIGHT


class ScaleTuiApp(App):
    CSS_PATH = "styles.tcss"
    TITLE = "scaletui"
    COMMANDS = App.COMMANDS | {GameCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, show=False)]

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: int | None = None,
        theme: str | None = None,
        progress: Progress | None = None,
        start_paused: bool = True,
        plan_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.first_scenario = scenario
        self.seed = seed
        self.requested_theme = theme
        self.progress = progress or Progress()
        self.start_paused = start_paused
        self.plan_dir = plan_dir or Path.cwd()
        self.game: Game | None = None
        self.previous: Game | None = None  # the run before a retry or a rewind, to compare with
        self.previous_is = ("your previous run", "previous")  # what the end screen calls it, and its column
        self.last_opened: str | None = None  # the campaign returns to it
        self.crash: Exception | None = None  # the first unexpected error, for launch() to report

    def _handle_exception(self, error: Exception) -> None:
        # Textual would print its own long traceback after closing and still exit 0; keep the
        # error so launch() can report it like `run` does (one line, a crash report, exit 3).
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)
        self._exit_renderables.clear()

    def on_mount(self) -> None:
        if self.requested_theme:
            self.theme = self.requested_theme
        if self.progress.problem:
            self.notify(self.progress.problem, severity="warning", timeout=8, markup=False)
        if self.first_scenario is not None:
            self.last_opened = self.first_scenario.name
            self.push_screen(BriefScreen(self.first_scenario))
        else:
            self.push_screen(CampaignScreen(self.progress))

    # --- navigation -------------------------------------------------------------------
    def open_brief(self, name_or_path: str) -> None:
        try:
            sc = load_scenario(resolve(name_or_path))
        except ScenarioError as exc:
            self.notify(str(exc), title="cannot load", severity="error", timeout=10, markup=False)
            return
        self.last_opened = sc.name
        self.push_screen(BriefScreen(sc))

    def start_game(self, scenario: Scenario, seed: int | None = None) -> GameScreen:
        self.game = Game(scenario, seed=self.seed if seed is None else seed)
        screen = GameScreen(self.game, paused=self.start_paused)
        self.switch_screen(screen)
        return screen

    def show_end(self, game: Game) -> None:
        res = game.result()
        new_best = False
        if res.outcome == WON and builtin_path(game.scenario.name) is not None:
            new_best = self.progress.record(game.scenario.name, res.card.stars, res.card.score)
        previous = self.previous if self.previous is not None and self.previous.scenario.name == game.scenario.name else None
        self.push_screen(EndScreen(game, new_best, self.plan_dir, previous, self.previous_is),
                         partial(self._after_end, game))

    def _after_end(self, game: Game, choice: EndChoice | None) -> None:
        if choice == "retry":
            self.retry(game)
        elif choice == "rewind":
            self.choose_rewind(game)
        elif choice == "next":
            self.next_level(game)
        else:
            self.back_to_campaign()

    def choose_rewind(self, game: Game) -> None:
        from scaletui.game.rewind import first_incident, opening_point, rewind_points
        from scaletui.tui.screens.rewind import RewindScreen

        def done(t: float | None) -> None:
            if t is None:
                self.back_to_campaign()
            else:
                self.fork(game, t)

        points = rewind_points(game)
        self.push_screen(RewindScreen(points, game.applied, opening_point(points, first_incident(game))), done)

    def fork(self, game: Game, t: float) -> None:
        """Play on from time t of `game`: its actions before t replayed, paused there, at
        the speed the player had chosen."""
        from scaletui.game.rewind import left_behind, rewind

        left = next((s for s in reversed(self.screen_stack) if isinstance(s, GameScreen)), None)
        self.previous = game  # the run left behind, for the end screen's comparison
        self.previous_is = (left_behind(game), "rewound from")
        self.game = rewind(game, t)
        self.switch_screen(GameScreen(self.game, paused=True,
                                      speed_index=left.clock.speed_index if left is not None else None))
        self.notify(f"back at {clock(t)}: {len(self.game.applied)} of your actions replayed, the rest undone. "
                    "Press space to play on.", title="rewound", timeout=6)

    def on_game_screen_rewind_chosen(self, message: GameScreen.RewindChosen) -> None:
        self.fork(message.game, message.t)

    def retry(self, game: Game) -> None:
        self.previous = game
        self.previous_is = ("your previous run", "previous")
        self.start_game(game.scenario, seed=game.seed)

    def next_level(self, game: Game) -> None:
        names = builtin_names()
        nxt = None
        if game.scenario.name in names:
            i = names.index(game.scenario.name)
            if i + 1 < len(names):
                nxt = names[i + 1]
        if nxt is None:
            self.notify("that was the last level: try the sandbox", timeout=5)
            self.back_to_campaign()
            return
        sc = load_scenario(builtin_path(nxt))  # type: ignore[arg-type]  # the campaign's names have files
        self.last_opened = sc.name
        self.switch_screen(BriefScreen(sc))

    def on_resize(self, event: events.Resize) -> None:
        # Dialogs on a short terminal drop their padding (styles.tcss) to keep the key line.
        self.set_class(event.size.height < SHORT_HEIGHT, "-short")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # Below the game screen's minimum size only ctrl+q acts (not the palette, unseen).
        if action != "quit" and getattr(self.screen, "too_small", False):
            return False
        return super().check_action(action, parameters)

    def action_quit(self) -> None:  # type: ignore[override]  # Textual's is async; ours asks first
        """ctrl+q: ask first when a game is being played."""
        from scaletui.tui.screens.confirm import ConfirmScreen

        if isinstance(self.screen, GameScreen) and not self.screen.game.finished:

            def done(yes: bool | None) -> None:
                if yes:
                    self.exit()

            self.push_screen(ConfirmScreen("Quit scaletui? This game will be lost."), done)
            return
        self.exit()

    def back_to_campaign(self) -> None:
        # Unwind everything above the base screen, then show the campaign.
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(CampaignScreen(self.progress, select=self.last_opened))

    # --- what the screens ask for ----------------------------------------------------------
    def on_campaign_screen_level_chosen(self, message: CampaignScreen.LevelChosen) -> None:
        self.open_brief(message.name)

    def on_brief_screen_start_chosen(self, message: BriefScreen.StartChosen) -> None:
        self.start_game(message.scenario)

    def on_brief_screen_back_chosen(self, message: BriefScreen.BackChosen) -> None:
        self.back_to_campaign()

    def on_game_screen_finished(self, message: GameScreen.Finished) -> None:
        self.show_end(message.game)

    def on_game_screen_left(self, message: GameScreen.Left) -> None:
        self.back_to_campaign()


def make_app(
    scenario: str | None = None,
    sandbox: bool = False,
    seed: int | None = None,
    theme: str | None = None,
    start_paused: bool = True,
    progress: Progress | None = None,
    plan_dir: Path | None = None,
) -> ScaleTuiApp:
    """The one factory shared by the command line and the tests.

    Raises ScenarioError for a scenario that cannot be loaded (the CLI prints it).
    """
    sc = None
    if sandbox:
        scenario = "sandbox"
    if scenario is not None:
        sc = load_scenario(resolve(scenario))
    return ScaleTuiApp(sc, seed=seed, theme=theme, progress=progress, start_paused=start_paused,
                       plan_dir=plan_dir)
