"""Upgrade (or downsize) a component: pick its new size. It restarts."""

from __future__ import annotations

import math

from rich.text import Text
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from scaletui.sim.catalog import KindSpec
from scaletui.sim.snapshot import ComponentView
from scaletui.tui.render import si
from scaletui.tui.widgets.choice_list import ChoiceList, list_rows


class ResizeScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, comp: ComponentView, spec: KindSpec, preview: Callable[[str], str]) -> None:
        super().__init__()
        self.comp = comp
        self.spec = spec
        self.preview = preview  # size -> the cost change of resizing to it

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Resize {self.comp.id} (now {self.comp.size})", id="dialog-title")
            opts = []
            for s in self.spec.sizes:
                cap = "-" if math.isinf(s.capacity_rps) else f"{si(s.capacity_rps)} rps"
                t = Text(f"{s.name:<9}", style="bold" if s.name != self.comp.size else "dim")
                t.append(f"{s.workers:>4} workers  {cap:>10}  {s.cost_per_hour:>5.1f}/h")
                if s.name == self.comp.size:
                    t.append("  (now)", style="dim")
                opts.append(Option(t, id=s.name))
            yield ChoiceList(*opts, id="choices")
            yield Static(id="status")
            yield Static(f"It restarts: down for {self.spec.restart_s:g}s. The largest size is the ceiling.",
                         id="restart-note")
            yield Static("enter resize · esc cancel", classes="help-line")

    def on_resize(self) -> None:
        # status (a cost line) and the restart note: 2 rows
        self.query_one("#choices").styles.max_height = max(3, min(16, list_rows(self.size.height, 2)))

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = list(self.spec.size_names).index(self.comp.size)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        size = event.option.id
        text = "" if size is None or size == self.comp.size else f"cost {self.preview(size)}"
        self.query_one("#status", Static).update(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(None if event.option.id == self.comp.size else event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
