"""The scenario's hints, revealed one more each time they are asked for."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from scaletui.tui.palette import palette_of
from scaletui.tui.widgets.choice_list import list_rows


class HintsScreen(ModalScreen[int]):
    """Dismissed with how many hints have been shown, so the game remembers."""

    BINDINGS = [
        Binding("h", "more", "Another hint"),
        Binding("escape,enter,q", "close", "Close"),
    ]

    def __init__(self, hints: list[str], shown: int) -> None:
        super().__init__()
        self.hints = hints
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("", id="dialog-title")
            with VerticalScroll(id="dialog-body"):  # it scrolls; the key line stays below it
                yield Static(id="hints")
            yield Static(classes="help-line")

    def on_resize(self) -> None:
        self.query_one("#dialog-body").styles.max_height = max(3, list_rows(self.size.height, 0))

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        st = palette_of(self).style  # the theme's colours for role names
        self.query_one("#dialog-title", Label).update(f"Hints ({self.shown} of {len(self.hints)})")
        body = Text()
        for i, hint in enumerate(self.hints[: self.shown], 1):
            body.append(f"{i}. ", style=st("bold warn"))
            body.append(hint + "\n\n")
        self.query_one("#hints", Static).update(body)
        more = "h another hint · " if self.shown < len(self.hints) else "no more hints · "
        self.query_one(".help-line", Static).update(f"{more}↑ ↓ scroll · esc close")

    def action_more(self) -> None:
        if self.shown < len(self.hints):
            self.shown += 1
            self._show()

    def action_close(self) -> None:
        self.dismiss(self.shown)
