"""The end of a game: outcome, stars, score, objectives and the postmortem timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from scaletui.game.compare import compare
from scaletui.game.plans import record_plan
from scaletui.game.scoring import ScoreCard
from scaletui.game.session import WON, Game
from scaletui.scenario.campaign import run_argument
from scaletui.tui.palette import palette_of
from scaletui.tui.render import clock, money, stars
from scaletui.tui.screens.save_plan import SavePlanScreen
from scaletui.tui.widgets.comparison_view import comparison_renderable
from scaletui.tui.widgets.lesson_view import lesson_renderable

KIND_STYLE = {"trigger": "warn", "symptom": "bad", "first failure": "bad", "first saturated": "bad",
              "alert": "accent", "action": "busy", "refused": "dim", "recovery": "ok", "data": "bad", "outcome": "bold"}


EndChoice = Literal["retry", "rewind", "next", "campaign"]


class EndScreen(ModalScreen[EndChoice]):
    """Dismisses with what the player chose next; the App acts on it."""

    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("b", "rewind", "Rewind"),
        Binding("n", "next", "Next level"),
        Binding("s", "save", "Save plan"),
        Binding("escape,enter,q", "campaign", "Campaign"),
    ]

    def __init__(self, game: Game, new_best: bool = False, plan_dir: Path | None = None,
                 previous: Game | None = None,
                 previous_is: tuple[str, str] = ("your previous run", "previous")) -> None:
        super().__init__()
        self.game = game
        self.previous = previous  # the run before a retry or a rewind: compared side by side
        # What that run was, in the heading and as its column: "the run you rewound from,
        # abandoned at 12:40" says which one.
        self.previous_is = previous_is
        self.new_best = new_best
        self.plan_dir = plan_dir or Path.cwd()
        self.saved_to: Path | None = None  # a second save proposes the same file, not a new one

    def compose(self) -> ComposeResult:
        st = palette_of(self).style  # the theme's colours for role names
        res = self.game.result()
        won = res.outcome == WON
        head = Text()
        head.append("YOU WON  " if won else "GAME OVER  ", style=st("bold ok") if won else st("bold bad"))
        head.append_text(stars(res.card.stars, st("bold warn")))
        head.append(f"   score {res.card.score}", style="bold")
        head.append(f"   seed {self.game.seed}", style="dim")
        if self.new_best:
            head.append("   new best!", style=st("bold warn"))
        head.append(f"\n{res.reason}", style="italic")
        totals = self.game.engine.metrics.totals()
        head.append(f"\n{totals.served:,} requests served, {totals.failed:,} failed: revenue "
                    f"{money(totals.revenue)} earned, {money(totals.revenue_lost)} lost",
                    style=st("bad") if totals.failed else "dim")
        card = res.card
        why = self._stars_why(st, won, card)
        why.rstrip()
        points = "  ".join(f"{k} {v:+.0f}" for k, v in card.points.items())
        why.append(f"\nscore: {points}" + ("" if won else " (halved and scaled by time lasted: lost)"),
                   style="dim")
        objectives = Table(expand=False, show_edge=False)
        objectives.add_column("objective", style="bold", no_wrap=True)
        objectives.add_column("target and achieved")
        objectives.add_column("met", justify="center")
        for o in res.objectives:
            objectives.add_row(o.name, f"{o.target}\n{o.achieved}",
                               Text("✔", style=st("ok")) if o.met else Text("✘", style=st("bold bad")))
        timeline = Table(expand=True, show_edge=False, box=None, padding=(0, 1))
        timeline.add_column("time", style="dim", no_wrap=True, width=8)
        timeline.add_column("what", no_wrap=True, width=15)
        timeline.add_column("", ratio=1)
        for item in res.postmortem["timeline"]:
            timeline.add_row(clock(item["t"]), Text(item["kind"], style=st(KIND_STYLE.get(item["kind"], ""))),
                             Text(item["message"]))
        with VerticalScroll(id="end"):
            yield Label(Text(f"{self.game.scenario.title}: the end"), id="dialog-title")  # not markup
            yield Static(head, id="outcome")
            yield Static(why, id="stars-why")
            yield Static(objectives)
            lesson = self.game.lesson()
            if lesson.concepts or lesson.missed or lesson.fix:
                yield Label("Your run against the reference", classes="section")
                yield Static(lesson_renderable(lesson, st), id="lesson")
            if self.previous is not None:
                heading, column = self.previous_is
                yield Label(Text(f"This run against {heading}"), classes="section", id="compared-with")
                yield Static(comparison_renderable(
                    compare(self.game.report(), self.previous.report(), ("this run", column)), st),
                    id="comparison")
            saved = Static("", id="saved")
            saved.display = False  # shown once a plan is saved
            yield saved
            yield Label("Postmortem", classes="section")
            yield Static(timeline)
        yield Footer()

    def _stars_why(self, st, won: bool, card: ScoreCard) -> Text:
        """One line per star's condition. ★ earned it; ✔ met it, with why no star came of it
        (each star needs the ones before it); ✘ missed it. A met condition never reads as failed."""
        budget = self.game.scenario.spec.budget_per_hour
        par = self.game.scenario.spec.par_cost
        spent = self.game.engine.metrics.cost
        # A level without a budget cannot go over it (its condition is always met).
        over = (f"went over the budget of {budget:g}/h (peak {self.game.peak_cost_per_hour:.1f}/h)"
                if budget is not None else "went over the budget")
        conditions = [
            (won, "every objective met", "an objective was missed", "the game was lost"),
            (card.within_budget, "cost per hour stayed within the budget", over, "over the budget"),
        ]
        if par is not None:
            conditions.append((card.at_par, f"spent {spent:.1f} in all; par is {par:g}",
                               f"spent {spent:.1f} in all, over the par of {par:g}", ""))
        why = Text()
        missed = ""  # the first condition missed: the reason no later star came
        for n, (met, said, not_said, reason) in enumerate(conditions, 1):
            if met and card.stars >= n:
                why.append("★ ", style=st("warn"))
                why.append(said + "\n")
            elif met:
                why.append("✔ ", style=st("ok"))
                why.append(said)
                why.append(f" (no star: {missed})\n", style="dim")
            else:
                why.append("✘ ", style=st("bad"))
                why.append(not_said + "\n")
            if not met and not missed:
                missed = reason
        if par is None:
            why.append("· no par cost in this scenario: no third star\n", style="dim")
        return why

    def action_retry(self) -> None:
        self.dismiss("retry")

    def action_rewind(self) -> None:
        self.dismiss("rewind")

    def action_next(self) -> None:
        self.dismiss("next")

    def action_save(self) -> None:
        self.app.push_screen(SavePlanScreen(self.saved_to or self._free_path()), self._save)

    def _free_path(self) -> Path:
        """A name no earlier file has (a retry's plan keeps the first one's)."""
        base = f"{self.game.scenario.name}.seed{self.game.seed}"
        path = self.plan_dir / f"{base}.plan.yaml"
        n = 2
        while path.exists():
            path = self.plan_dir / f"{base}.{n}.plan.yaml"
            n += 1
        return path

    def _save(self, path: Path | None) -> None:
        st = palette_of(self).style  # the theme's colours for role names
        if path is None:
            return
        try:
            path.write_text(record_plan(self.game), encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror}", severity="error")
            return
        self.saved_to = path
        saved = self.query_one("#saved", Static)
        saved.display = True
        sc = self.game.scenario
        saved.update(Text(
            f"plan saved: {path}\nreplay it: scaletui run {run_argument(sc.name, sc.path)} --plan {path} "
            f"--seed {self.game.seed}",
            style=st("bold busy")))

    def action_campaign(self) -> None:
        self.dismiss("campaign")
