"""The scenario's hints, revealed one more each time they are asked for."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HintsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,h,enter,q", "close", "Close")]

    def __init__(self, hints: list[str], shown: int) -> None:
        super().__init__()
        self.hints = hints
        self.shown = shown

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Label(f"Hints ({self.shown} of {len(self.hints)})", id="dialog-title")
            body = Text()
            for i, hint in enumerate(self.hints[: self.shown], 1):
                body.append(f"{i}. ", style="bold yellow")
                body.append(hint + "\n\n")
            yield Static(body)
            more = "press h again in the game for another hint · " if self.shown < len(self.hints) else ""
            yield Static(f"{more}esc close", classes="help-line")

    def action_close(self) -> None:
        self.dismiss(None)
