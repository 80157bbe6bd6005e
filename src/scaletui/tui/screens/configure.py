"""Configure a component: cache/CDN TTL and invalidation, a cache's write policy, failover,
shards and their sharding scheme, denormalization, autoscaling, load shedding, and the web
tier's database calls (timeout, retries, circuit breaker)."""

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
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.snapshot import ComponentView
from scaletui.sim.staleness import WRITE_POLICY_HELP
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
        if c.kind == "cache":
            for policy, what in WRITE_POLICY_HELP:
                if policy != c.on_write:
                    opts.append(Option(f"On write (now {c.on_write}): {policy}, {what}", id=f"on-write-{policy}"))
        if c.kind in ("database", "shard", "replica"):
            auto = self.game.engine.auto_failover.get(c.group or 0, False)
            opts.append(Option(f"Automatic failover: turn {'off' if auto else 'on'}", id="failover"))
            if "shard" in self.game.rules.allow:
                topo = self.game.engine.topology
                opts.append(Option(f"Shards (now {topo.shard_count}): reshard to more", id="shards"))
                opts.append(Option(f"Sharding (now {SCHEME_NAMES[topo.shard_scheme]}): switch to "
                                   f"{SCHEME_NAMES[_other_scheme(topo.shard_scheme)]} (moves keys)", id="sharding"))
                if self.game.engine.topology.denormalized:
                    opts.append(Option("Normalize: fan-out reads read every shard again, writes write once",
                                       id="normalize"))
                else:
                    opts.append(Option("Denormalize: fan-out reads read one shard, each write costs k writes",
                                       id="denormalize"))
        if c.kind == "web":
            on = self.game.engine.autoscaler.rule is not None
            opts.append(Option("Autoscaling: set a rule (min max target warmup)", id="autoscale"))
            if on:
                opts.append(Option("Autoscaling: turn off", id="autoscale-off"))
            calls = self.game.engine.db_calls
            limit = "none" if calls.timeout is None else f"{calls.timeout * 1000:g}ms"
            opts.append(Option(f"Database timeout (now {limit}): a worker waits at most this long; "
                               "slower answers fail as timeouts", id="db_timeout"))
            opts.append(Option(f"Database retries (now {calls.retries}): hide brief errors, "
                               "add load to the database", id="db_retries"))
            if calls.breaker is None:
                opts.append(Option("Circuit breaker: turn on (calls fail fast while the database fails)",
                                   id="breaker"))
            else:
                opts.append(Option("Circuit breaker: turn off", id="breaker-off"))
        if c.kind == "load_balancer":
            lb = self.game.engine.topology.get(c.id)
            in_flight = getattr(lb, "max_in_flight", 0)
            now = f"now {in_flight}" if in_flight else "now no limit"
            opts.append(Option(f"Load shedding: max requests in flight ({now}); the rest fail fast",
                               id="max_in_flight"))
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
        elif choice is not None and choice.startswith("on-write-"):
            self.dismiss(Configure(target, on_write=choice.removeprefix("on-write-")))
        elif choice == "failover":
            auto = self.game.engine.auto_failover.get(c.group or 0, False)
            self.dismiss(Configure(target, failover="manual" if auto else "auto"))
        elif choice in ("denormalize", "normalize"):
            self.dismiss(Configure(target, denormalize=choice == "denormalize"))
        elif choice == "sharding":
            self.dismiss(Configure(target, sharding=_other_scheme(self.game.engine.topology.shard_scheme)))
        elif choice == "autoscale-off":
            self.dismiss(Configure("web", autoscale_off=True))
        elif choice == "breaker-off":
            self.dismiss(Configure("web", breaker_off=True))
        elif choice in ("ttl", "shards", "autoscale", "max_in_flight", "db_timeout", "db_retries", "breaker"):
            self.pending = choice
            box = self.query_one(Input)
            box.display = True
            box.value = {"ttl": "5m", "shards": str(self.game.engine.topology.shard_count * 2),
                         "autoscale": "2 10 0.6 2m", "max_in_flight": "200", "db_timeout": "200ms",
                         "db_retries": "1", "breaker": "0.5 10s"}[choice]
            self.query_one("#value-help", Static).update({
                "ttl": "a duration (90s, 5m) or none · enter apply",
                "shards": f"how many shards in all · enter apply\ncost {self._shards_cost(box.value)}",
                "autoscale": "min max target-utilization warm-up, e.g. 2 10 0.6 2m · enter apply",
                "max_in_flight": "most requests in flight behind it, or off · enter apply",
                "db_timeout": "a duration (200ms, 1s) or none · no cost per hour; calls slower than it fail",
                "db_retries": "0 to 5 · each retry is another call to the database: more load, more latency",
                "breaker": "error-rate open-for, e.g. 0.5 10s · no cost per hour; open, database calls "
                           "fail at once",
            }[choice])
            box.focus()

    def _shards_cost(self, value: str) -> str:
        n = int(value) if value.isdigit() else self.game.engine.topology.shard_count
        return str(preview_cost(self.game.engine, Configure(self.comp.id, shards=n),
                                self.game.scenario.spec.par_cost, self.game.transfer_cost_per_hour()))

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
        elif self.pending == "max_in_flight":
            if text.lower() in ("off", "none", "0"):
                self.dismiss(Configure(self.comp.id, max_in_flight=0))
            elif text.isdigit():
                self.dismiss(Configure(self.comp.id, max_in_flight=int(text)))
            else:
                self._not_understood(text, "a number of requests, e.g. 200, or off")
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
        elif self.pending == "db_timeout":
            if text.lower() in ("none", "off"):
                self.dismiss(Configure("web", db_timeout=math.inf))
                return
            try:
                self.dismiss(Configure("web", db_timeout=parse_duration(text)))
            except ValueError:
                self._not_understood(text, "a duration such as 200ms or 1s, or none")
        elif self.pending == "db_retries":
            if not text.isdigit():
                self._not_understood(text, "a whole number of retries, 0 to 5")
                return
            self.dismiss(Configure("web", db_retries=int(text)))
        elif self.pending == "breaker":
            expected = "error-rate open-for, e.g. 0.5 10s"
            parts = text.split()
            if len(parts) != 2:
                self._not_understood(text, expected)
                return
            try:
                breaker = BreakerRule(float(parts[0]), parse_duration(parts[1]))
            except ValueError:
                self._not_understood(text, expected)
                return
            self.dismiss(Configure("web", breaker=breaker))

    def _not_understood(self, text: str, expected: str) -> None:
        self.notify(f"'{text}' is not understood: expected {expected}", title="not understood", severity="error")

    def action_cancel(self) -> None:
        self.dismiss(None)
