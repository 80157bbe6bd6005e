"""Where to save the game as a plan: a path to confirm or edit before anything is written."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class SavePlanScreen(ModalScreen[Path | None]):
    """Dismisses with the path the player chose, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggested: Path) -> None:
        super().__init__()
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Save this game as a plan file: where?", id="dialog-title")
            yield Input(str(self.suggested), id="path")
            yield Static("enter save · esc cancel", classes="help-line")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
