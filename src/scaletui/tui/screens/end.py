"""The end of a game: outcome, stars, score, objectives and the postmortem timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from scaletui.game.session import WON, Game
from scaletui.tui.render import clock, stars

if TYPE_CHECKING:
    from scaletui.tui.app import ScaleTuiApp

KIND_STYLE = {"trigger": "yellow", "symptom": "red", "first failure": "red", "first saturated": "red",
              "alert": "magenta", "action": "cyan", "refused": "dim", "recovery": "green", "outcome": "bold"}


class EndScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("n", "next", "Next level"),
        Binding("s", "save", "Save plan"),
        Binding("escape,enter,q", "campaign", "Campaign"),
    ]

    def __init__(self, game: Game, new_best: bool = False) -> None:
        super().__init__()
        self.game = game
        self.new_best = new_best

    def compose(self) -> ComposeResult:
        res = self.game.result()
        won = res.outcome == WON
        head = Text()
        head.append("YOU WON  " if won else "GAME OVER  ", style="bold green" if won else "bold red")
        head.append_text(stars(res.card.stars))
        head.append(f"   score {res.card.score}", style="bold")
        if self.new_best:
            head.append("   new best!", style="bold yellow")
        head.append(f"\n{res.reason}", style="italic")
        objectives = Table(expand=True, show_edge=False)
        objectives.add_column("objective", style="bold", no_wrap=True)
        objectives.add_column("target and achieved")
        objectives.add_column("", justify="center", width=2)
        for o in res.objectives:
            objectives.add_row(o.name, f"{o.target}\n{o.achieved}",
                               Text("✔", style="green") if o.met else Text("✘", style="bold red"))
        timeline = Table(expand=True, show_edge=False, box=None)
        timeline.add_column("time", style="dim", no_wrap=True)
        timeline.add_column("what", no_wrap=True)
        timeline.add_column("")
        for item in res.postmortem["timeline"]:
            timeline.add_row(clock(item["t"]), Text(item["kind"], style=KIND_STYLE.get(item["kind"], "")),
                             item["message"])
        with VerticalScroll(id="end"):
            yield Label(f"{self.game.scenario.title}: the end", id="dialog-title")
            yield Static(head, id="outcome")
            yield Static(objectives)
            yield Label("Postmortem", classes="section")
            yield Static(timeline)
        yield Footer()

    def _app(self) -> "ScaleTuiApp":
        return self.app  # type: ignore[return-value]

    def action_retry(self) -> None:
        self._app().retry(self.game)

    def action_next(self) -> None:
        self._app().next_level(self.game)

    def action_save(self) -> None:
        path = self._app().save_plan(self.game)
        if path is not None:
            self.notify(f"saved {path}\nreplay: scaletui run {self.game.scenario.path} --plan {path}",
                        title="plan saved", timeout=8)

    def action_campaign(self) -> None:
        self._app().back_to_campaign()
