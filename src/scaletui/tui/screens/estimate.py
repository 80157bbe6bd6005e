"""A back-of-the-envelope estimate: the question, the player's number, then the formula."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from scaletui.game.estimates import Scored
from scaletui.tui.palette import palette_of


class EstimateScreen(ModalScreen[Scored | None]):
    """Asks, scores through `score` (the game's), explains, and dismisses with the result."""

    BINDINGS = [Binding("escape", "skip", "Skip"), Binding("enter", "play_on", "Play on", show=False)]

    def __init__(self, ask: str, score: Callable[[float | None], Scored]) -> None:
        super().__init__()
        self.ask = ask
        self.score = score
        self.scored: Scored | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Estimate before it happens", id="dialog-title")
            yield Static(Text(self.ask), id="question")  # the scenario's words, not markup
            yield Input(placeholder="your number", type="number", id="answer")
            yield Static("", id="status")
            yield Static("enter answer · esc skip", classes="help-line", id="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.scored is not None:
            return
        try:
            value = float(event.value)
        except ValueError:
            self.query_one("#status", Static).update("a number, please (or esc to skip)")
            return
        self._show(self.score(value))

    def _show(self, scored: Scored) -> None:
        self.scored = scored
        st = palette_of(self).style
        text = Text()
        says = f"the formula says {scored.expected.value:g} {scored.expected.unit}"
        if scored.answer is None:  # no verdict to give: "skipped" leads, once
            text.append("skipped: ", style="dim")
            text.append(says)
        else:
            text.append(f"you said {scored.answer:g}; ", style="bold")
            text.append(f"{says}: ")
            text.append(scored.verdict(), style=st("bold ok") if scored.right else st("bold warn"))
        text.append(f"\n\n{scored.expected.explanation}")
        self.query_one("#answer", Input).display = False
        self.query_one("#status", Static).update(text)
        self.query_one("#keys", Static).update("enter play on")
        self.focus()

    def action_play_on(self) -> None:
        if self.scored is not None:
            self.dismiss(self.scored)

    def action_skip(self) -> None:
        if self.scored is None:
            self._show(self.score(None))
        else:
            self.dismiss(self.scored)
