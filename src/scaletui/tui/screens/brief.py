"""The brief: the situation, the objectives, the budget and what may be built."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from scaletui.game.rules import Rules
from scaletui.scenario.load import Scenario
from scaletui.tui.palette import palette_of
from scaletui.tui.render import clock


def reflow(text: str) -> str:
    """Join the lines of each paragraph so the text wraps to the screen, not to the file."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


class BriefScreen(Screen):
    BINDINGS = [
        Binding("enter,space", "start", "Start"),
        Binding("escape,q", "back", "Back"),
    ]

    class StartChosen(Message):
        """Play this scenario; the App starts the game."""

        def __init__(self, scenario: Scenario) -> None:
            super().__init__()
            self.scenario = scenario

    class BackChosen(Message):
        """Back to the campaign."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        st = palette_of(self).style  # the theme's colours for role names
        sc = self.scenario
        spec = sc.spec
        yield Static(Text(f" scaletui · {sc.title}"), id="title")  # Text: a title is not markup
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold")
        facts.add_column()
        facts.add_row("concept", Text(spec.concept or "-"))
        facts.add_row("difficulty", Text("●" * spec.difficulty, style=st("busy")))
        facts.add_row("duration", clock(spec.duration))
        slo = spec.slo
        goals = [f"availability ≥ {slo.availability:g}% (the error budget)"]
        if slo.latency_p95_ms:
            goals.append(f"p95 ≤ {slo.latency_p95_ms:g} ms in {slo.latency_windows:g}% of "
                         f"{slo.latency_window:g}s windows")
        if slo.lost_writes is not None:
            goals.append(f"at most {slo.lost_writes:,} lost writes")
        if slo.stale_reads is not None:
            goals.append(f"at most {slo.stale_reads:g}% of reads stale")
        if slo.returning_users is not None:
            goals.append(f"at least {slo.returning_users:g}% of active users come back")
        facts.add_row("objectives", "\n".join(goals))
        if spec.budget_per_hour:
            how = ("actions that would go over it are refused" if spec.budget_mode == "refuse"
                   else "going over it costs score")
            budget = f"at most {spec.budget_per_hour:g}/h ({how})"
        else:
            budget = "none"
        if spec.par_cost is not None:
            budget += f"\npar: {spec.par_cost:g} spent in all earns the third star"
        facts.add_row("budget", budget)
        kinds = sorted(Rules.of(spec).allow)
        facts.add_row("you may build", ", ".join(k.replace("_", " ") for k in kinds) or "nothing new (upgrades only)")
        start = {"data centre": 0}
        for c in sc.config.topology:
            key = f"{c.kind.replace('_', ' ')} {c.size}"
            start[key] = start.get(key, 0) + 1
        start["data centre"] = max(1, len({c.region for c in sc.config.topology}))
        facts.add_row("you start with", ", ".join(f"{n} x {k}" if n > 1 else k for k, n in start.items()) or "-")
        with VerticalScroll(id="brief"):
            yield Static(Text(reflow(spec.brief), style="italic"), id="brief-text")
            yield Static(facts, id="facts")
            yield Static("enter start (the clock starts paused: space to run) · esc back", classes="help-line")
        yield Footer()

    def action_start(self) -> None:
        self.post_message(self.StartChosen(self.scenario))

    def action_back(self) -> None:
        self.post_message(self.BackChosen())
