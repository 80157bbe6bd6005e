"""Go back to an earlier minute of the game and play on from there (a fork)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from scaletui.sim.commands import Command, describe
from scaletui.tui.render import clock
from scaletui.tui.widgets.choice_list import ChoiceList


class RewindScreen(ModalScreen[float | None]):
    """Dismisses with the time to go back to (None: stay)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, points: list[float], applied: list[tuple[float, Command]], start: int | None = None) -> None:
        super().__init__()
        self.points = points
        self.applied = applied
        # The row the list opens on (game/rewind.py: before the first incident, else the newest).
        self.start = len(points) - 1 if start is None else max(0, min(start, len(points) - 1))

    def _row(self, i: int, chosen: int) -> Text:
        """Minute i and the actions taken in it: kept if it is before the chosen minute,
        dropped (undone by going back) from the chosen minute on."""
        t = self.points[i]
        end = self.points[i + 1] if i + 1 < len(self.points) else float("inf")
        done = [describe(cmd) for at, cmd in self.applied if t <= at < end]
        line = Text(clock(t), style="bold")
        if done:
            if i < chosen:
                line.append("  then: " + "; ".join(done), style="dim")
            else:
                line.append("  dropped: " + "; ".join(done), style="dim strike")
        return line

    def compose(self) -> ComposeResult:
        opts = [Option(self._row(i, self.start), id=str(i)) for i in range(len(self.points))]
        with Vertical(id="dialog"):
            yield Label("Go back to", id="dialog-title")
            yield ChoiceList(*opts, id="choices")
            yield Static("Your actions before that moment are replayed; the ones after it are undone. "
                         "The run from there is yours to play again.", id="status")
            yield Static("enter go back · esc cancel", classes="help-line")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.start

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        options = event.option_list
        chosen = event.option_index
        for i in range(len(self.points)):
            options.replace_option_prompt_at_index(i, self._row(i, chosen))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.points[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
