"""The objectives panel: clock and speed, each objective, the error budget, the budget."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scaletui.game.session import GameView
from scaletui.tui.render import bar, clock, money


STATUS = {"ok": ("✔", "green"), "at risk": ("⚠", "bold yellow"), "failed": ("✘", "bold red"),
          "waiting": ("·", "dim")}


class ObjectivesPanel(Static):
    view: reactive[GameView | None] = reactive(None, always_update=True)
    speed: reactive[str] = reactive("")

    def render(self) -> Group | Text:
        v = self.view
        if v is None:
            return Text("")
        width = max(10, self.size.width)
        lines = []
        head = Text()
        head.append(clock(v.t), style="bold")
        head.append(f"/{clock(v.duration)}", style="dim")
        head.append(f" {self.speed}", style="bold cyan")
        lines.append(head)
        budget_style = "green" if v.budget_left > 0.5 else ("yellow" if v.budget_left > 0.2 else "bold red")
        b = Text("budget ", style="bold")
        b.append(bar(v.budget_left, max(4, width - 12)), style=budget_style)
        b.append(f"{100 * v.budget_left:4.0f}%", style=budget_style)
        lines.append(b)
        lines.append(Text(f"  {v.failures:,.0f}/{v.failures_allowed:,.0f} failures", style="dim"))
        for o in v.objectives:
            icon, style = STATUS[o.status]
            line = Text(icon + " ", style=style)
            line.append(o.label, style="bold")
            lines.append(line)
            lines.append(Text("  " + o.current, style="" if o.ok else style))
        cost = Text("cost ", style="bold")
        if v.budget_per_hour is not None:
            over = v.cost_per_hour > v.budget_per_hour
            cost.append(f"{v.cost_per_hour:.1f}/h of {v.budget_per_hour:g}", style="bold red" if over else "")
        else:
            cost.append(f"{v.cost_per_hour:.1f}/h")
        spent = f"  spent {v.cost:.1f}"
        if cost.cell_len + len(spent) <= width:  # at 80x24 there is room for the rate only
            cost.append(spent, style="dim")
        lines.append(cost)
        for alert in v.alerts:
            lines.append(Text(f"⚠ {alert}", style="bold magenta"))
        if len(lines) < self.size.height:
            # The business view of the failures, where there is room for it (not at 80x24).
            lines.insert(3, Text(f"  revenue lost {money(v.revenue_lost)}",
                                 style="red" if v.revenue_lost >= 0.005 else "dim"))
        return Group(*lines)
