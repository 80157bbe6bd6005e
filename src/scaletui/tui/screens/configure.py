"""Configure a component: cache/CDN TTL and invalidation, failover, shards and their
sharding scheme, autoscaling."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from scaletui.game.cost_preview import preview_cost
from scaletui.game.session import Game
from scaletui.scenario.durations import parse_duration
from scaletui.sim.commands import AutoscaleRule, Configure
from scaletui.sim.snapshot import ComponentView
from scaletui.tui.widgets.choice_list import ChoiceList


SCHEME_NAMES = {"mod": "hash mod n", "consistent": "consistent-hash ring"}


def _other_scheme(scheme: str) -> str:
    return "mod" if scheme == "consistent" else "consistent"


class ConfigureScreen(ModalScreen[Configure | None]):
    """A list of settings for the component's kind; some ask for a value."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, comp: ComponentView, game: Game) -> None:
        super().__init__()
        self.comp = comp
        self.game = game
        self.pending: str | None = None

    def _options(self) -> list[Option]:
        c = self.comp
        opts: list[Option] = []
        if c.kind in ("cache", "cdn"):
            ttl = "none" if c.ttl_s is None or math.isinf(c.ttl_s) else f"{c.ttl_s:g}s"
            opts.append(Option(f"TTL (now {ttl}): shorter = fresher data, fewer hits", id="ttl"))
            opts.append(Option("Invalidate: empty it now (it warms up again)", id="invalidate"))
        if c.kind in ("database", "shard", "replica"):
            auto = self.game.engine.auto_failover.get(c.group or 0, False)
            opts.append(Option(f"Automatic failover: turn {'off' if auto else 'on'}", id="failover"))
            if "shard" in self.game.rules.allow:
                topo = self.game.engine.topology
                opts.append(Option(f"Shards (now {topo.shard_count}): reshard to more", id="shards"))
                opts.append(Option(f"Sharding (now {SCHEME_NAMES[topo.shard_scheme]}): switch to "
                                   f"{SCHEME_NAMES[_other_scheme(topo.shard_scheme)]} (moves keys)", id="sharding"))
        if c.kind == "web":
            on = self.game.engine.autoscaler.rule is not None
            opts.append(Option("Autoscaling: set a rule (min max target warmup)", id="autoscale"))
            if on:
                opts.append(Option("Autoscaling: turn off", id="autoscale-off"))
        if not opts:
            opts.append(Option(f"{c.kind.replace('_', ' ')} has nothing to configure", id="-", disabled=True))
        return opts

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Configure {self.comp.id}", id="dialog-title")
            yield ChoiceList(*self._options(), id="choices")
            yield Input(id="value", placeholder="value")
            yield Static("enter choose · esc cancel", id="value-help", classes="help-line")

    def on_mount(self) -> None:
        self.query_one(Input).display = False

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        c = self.comp
        choice = event.option.id
        target = c.id
        if choice == "invalidate":
            self.dismiss(Configure(target, invalidate=True))
        elif choice == "failover":
            auto = self.game.engine.auto_failover.get(c.group or 0, False)
            self.dismiss(Configure(target, failover="manual" if auto else "auto"))
        elif choice == "sharding":
            self.dismiss(Configure(target, sharding=_other_scheme(self.game.engine.topology.shard_scheme)))
        elif choice == "autoscale-off":
            self.dismiss(Configure("web", autoscale_off=True))
        elif choice in ("ttl", "shards", "autoscale"):
            self.pending = choice
            box = self.query_one(Input)
            box.display = True
            box.value = {"ttl": "5m", "shards": str(self.game.engine.topology.shard_count * 2),
                         "autoscale": "2 10 0.6 2m"}[choice]
            self.query_one("#value-help", Static).update({
                "ttl": "a duration (90s, 5m) or none · enter apply",
                "shards": f"how many shards in all · enter apply\ncost {self._shards_cost(box.value)}",
                "autoscale": "min max target-utilization warm-up, e.g. 2 10 0.6 2m · enter apply",
            }[choice])
            box.focus()

    def _shards_cost(self, value: str) -> str:
        n = int(value) if value.isdigit() else self.game.engine.topology.shard_count
        return str(preview_cost(self.game.engine, Configure(self.comp.id, shards=n),
                                self.game.scenario.spec.par_cost))

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.pending == "shards":
            self.query_one("#value-help", Static).update(
                f"how many shards in all · enter apply\ncost {self._shards_cost(event.value.strip())}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.pending == "ttl":
            if text.lower() in ("none", "off", "never"):
                self.dismiss(Configure(self.comp.id, ttl=math.inf))
                return
            try:
                self.dismiss(Configure(self.comp.id, ttl=parse_duration(text)))
            except ValueError:
                self._not_understood(text, "a duration such as 90s or 5m, or none")
        elif self.pending == "shards":
            if not text.isdigit():
                self._not_understood(text, "a whole number of shards, e.g. 4")
                return
            self.dismiss(Configure(self.comp.id, shards=int(text)))
        elif self.pending == "autoscale":
            expected = "min max target warm-up, e.g. 2 10 0.6 2m"
            parts = text.split()
            if len(parts) != 4:
                self._not_understood(text, expected)
                return
            try:
                rule = AutoscaleRule(int(parts[0]), int(parts[1]), float(parts[2]), parse_duration(parts[3]))
            except ValueError:
                self._not_understood(text, expected)
                return
            self.dismiss(Configure("web", autoscale=rule))

    def _not_understood(self, text: str, expected: str) -> None:
        self.notify(f"'{text}' is not understood: expected {expected}", title="not understood", severity="error")

    def action_cancel(self) -> None:
        self.dismiss(None)
