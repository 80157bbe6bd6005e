"""Add components: pick a kind, then a size; + and - change the count, r the region."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from scaletui.game.cost_preview import preview_cost
from scaletui.game.session import Game
from scaletui.sim.catalog import KINDS
from scaletui.sim.commands import Add
from scaletui.tui.render import si
from scaletui.tui.widgets.choice_list import ChoiceList, list_rows

WHAT = {
    "load_balancer": "spreads requests over web servers",
    "web": "runs the application",
    "session_store": "shares sessions across web servers",
    "cache": "serves hot reads from memory",
    "cdn": "serves static files from the edge",
    "database": "a new primary (from a backup)",
    "replica": "a read copy of the database",
    "shard": "one more key range (reshards)",
    "queue": "holds async work for workers",
    "worker": "does async jobs from the queue",
    "datacenter": "a site in another region",
}


class AddScreen(ModalScreen[Add | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("plus,equals_sign", "count(1)", "More", key_display="+"),
        Binding("minus", "count(-1)", "Fewer", key_display="-"),
        Binding("r", "region", "Region"),
    ]

    def __init__(self, game: Game) -> None:
        super().__init__()
        self.game = game
        self.kind: str | None = None
        self.count = 1
        regions = game.engine.known_regions()
        self.regions = regions
        self.region_index = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Add what?", id="dialog-title")
            yield ChoiceList(*self._kind_options(), id="choices")
            yield Static(id="status")
            yield Static("enter choose · + / - count · r region · esc cancel", classes="help-line")

    def on_resize(self) -> None:
        # The list gives up rows on a short terminal so that the key line below it stays on
        # screen: all but the list's rows are the dialog's chrome (dialog_chrome).
        self.query_one("#choices").styles.max_height = max(3, min(16, list_rows(self.size.height, 2)))

    def on_mount(self) -> None:
        self._status()
        if not any(k in self.game.rules.allow for k in KINDS):
            self.query_one("#status", Static).display = False

    def _kind_options(self) -> list[Option]:
        allow = self.game.rules.allow
        cat = self.game.engine.catalog
        opts = []
        kinds = [k for k in KINDS if k in allow and k in cat]
        # Each line fits on one row at 80 columns (the longest is 66 characters).
        col = max((len(cat[k].title) for k in kinds), default=0) + 2
        for kind in kinds:
            spec = cat[kind]
            t = Text(f"{spec.title:<{col}}", style="bold")
            t.append(f"{WHAT.get(kind, '')} · ready in {spec.boot_s:g}s", style="dim")
            opts.append(Option(t, id=kind))
        if not opts:
            opts.append(Option("this scenario allows no new components", id="-", disabled=True))
        return opts

    def _size_options(self, kind: str) -> list[Option]:
        spec = self.game.engine.catalog[kind]
        running = [c.size for c in self.game.engine.topology.of_kind(kind)]
        opts = []
        for s in spec.sizes:
            cap = "no queueing" if math.isinf(s.capacity_rps) else f"{si(s.capacity_rps)} rps"
            t = Text(f"{s.name:<9}", style="bold")
            t.append(f"{s.workers:>4} workers  {cap:>10}  {s.cost_per_hour:>5.1f}/h")
            if s.items:
                t.append(f"  {si(s.items)} items", style="dim")
            if s.name == spec.default_size:
                t.append("  ◀ default", style="bold")
            if s.name in running:
                t.append(f"  you run {running.count(s.name)}", style="dim")
            opts.append(Option(t, id=s.name))
        return opts

    def _status(self) -> None:
        region = self.regions[self.region_index] if self.regions else "-"
        extra = ""
        if self.kind:
            extra = f"   {self.game.engine.catalog[self.kind].title.lower()}"
        text = f"count: {self.count}   region: {region}{extra}"
        cmd = self._highlighted_command()
        if cmd is not None:
            preview = preview_cost(self.game.engine, cmd, self.game.scenario.spec.par_cost,
                                   self.game.transfer_cost_per_hour())
            text += f"\ncost {preview}"
        self.query_one("#status", Static).update(text)

    def _highlighted_command(self) -> Add | None:
        """What enter would add now: the highlighted kind at its default size, or size."""
        ol = self.query_one(OptionList)
        if ol.highlighted is None:
            return None
        choice = ol.get_option_at_index(ol.highlighted).id
        if choice is None or choice == "-":
            return None
        kind, size = (choice, None) if self.kind is None else (self.kind, choice)
        return self._command(kind, size)

    def _command(self, kind: str, size: str | None) -> Add:
        region = self.regions[self.region_index] if self.regions else None
        home = self.game.scenario.config.home_region
        return Add(kind, size, self.count, None if region == home else region)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._status()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        if choice is None or choice == "-":
            return
        if self.kind is None:
            self.kind = choice
            spec = self.game.engine.catalog[choice]
            if len(spec.sizes) == 1 or choice == "shard":
                self._done(spec.sizes[0].name if len(spec.sizes) == 1 else None)
                return
            self.query_one("#dialog-title", Label).update(f"Add {spec.title.lower()}: which size?")
            ol = self.query_one(OptionList)
            ol.clear_options()
            ol.add_options(self._size_options(choice))
            # One rule: the cursor starts on the catalog's default, whatever runs already
            # (following the running size made the same keys buy different machines).
            ol.highlighted = list(spec.size_names).index(spec.default_size)
            self._status()
        else:
            self._done(choice)

    def _done(self, size: str | None) -> None:
        self.dismiss(self._command(self.kind or "", size))

    def action_count(self, delta: int) -> None:
        self.count = max(1, min(50, self.count + delta))
        self._status()

    def action_region(self) -> None:
        if self.regions:
            self.region_index = (self.region_index + 1) % len(self.regions)
        self._status()

    def action_cancel(self) -> None:
        self.dismiss(None)
