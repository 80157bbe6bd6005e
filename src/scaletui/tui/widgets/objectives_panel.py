"""The objectives panel: clock and speed, each objective, the error budget, the budget."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from scaletui.game.session import GameView
from scaletui.tui.palette import palette_of
from scaletui.tui.render import bar, clock, money, si


STATUS_ICON = {"ok": "✔", "at risk": "⚠", "failed": "✘", "waiting": "·"}


class ObjectivesPanel(Static):
    view: reactive[GameView | None] = reactive(None, always_update=True)
    speed: reactive[str] = reactive("")

    def render(self) -> Group | Text:
        v = self.view
        if v is None:
            return Text("")
        pal = palette_of(self)
        status_style = {"ok": pal.ok, "at risk": f"bold {pal.warn}", "failed": f"bold {pal.bad}", "waiting": "dim"}
        width = max(10, self.size.width)
        lines = []
        head = Text()
        head.append(clock(v.t), style="bold")
        head.append(f"/{clock(v.duration)}", style="dim")
        head.append(f" {self.speed}", style=f"bold {pal.busy}")
        lines.append(head)
        budget_style = pal.ok if v.budget_left > 0.5 else (pal.warn if v.budget_left > 0.2 else f"bold {pal.bad}")
        for o in v.objectives:
            icon = STATUS_ICON[o.status]
            style = status_style[o.status]
            line = Text(icon + " ", style=style)
            line.append(o.label.replace(">=", "≥").replace("<=", "≤"), style="bold")
            lines.append(line)
            if o.name == "availability":
                # The mark judges the run so far against the error budget: show that one figure.
                left = f" {100 * v.budget_left:.0f}% left"
                b = Text("  ")
                b.append(bar(v.budget_left, max(4, width - 2 - len(left))), style=budget_style)
                b.append(left, style=budget_style)
                lines.append(b)
                lines.append(Text(_failed_of_allowed(v.failures, v.failures_allowed, width), style="dim"))
            else:
                indent = "  " if len(o.current) + 2 <= width else " "  # one space saves a wrap at 80x24
                lines.append(Text(indent + o.current, style="" if o.ok else style))
        cost = Text("cost ", style="bold")
        if v.budget_per_hour is not None:
            over = v.cost_per_hour > v.budget_per_hour
            cost.append(f"{v.cost_per_hour:.1f}/h of {v.budget_per_hour:g}", style=f"bold {pal.bad}" if over else "")
        else:
            cost.append(f"{v.cost_per_hour:.1f}/h")
        lines.append(cost)
        spent = Text(f"  spent {v.cost:.1f}", style="dim")
        if cost.cell_len + spent.cell_len <= width:
            cost.append_text(spent)
        else:  # narrow (80x24): on a line of its own rather than dropped
            lines.append(spent)
        for alert in v.alerts:
            lines.append(Text(f"⚠ {alert}", style=f"bold {pal.accent}"))
        rows = sum(max(1, -(-t.cell_len // width)) for t in lines)  # wrapped lines take more
        if rows < self.size.height:
            # The business view of the failures, where there is room for it.
            at = next((i + 1 for i, t in enumerate(lines) if t.plain.endswith(" allowed")), len(lines))
            lines.insert(at, Text(f"  revenue lost {money(v.revenue_lost)}",
                                  style=pal.bad if v.revenue_lost >= 0.005 else "dim"))
        return Group(*lines)


def _failed_of_allowed(failed: float, allowed: float, width: int) -> str:
    """"0 failed of 12,628 allowed" ("0/12,628 failed" read as a count of 12,628), in the
    first form that fits the width: full numbers, then short ones (248k), then a comma."""
    f, a = si(failed), si(allowed)
    forms = (f"  {failed:,.0f} failed of {allowed:,.0f} allowed", f"  {f} failed of {a} allowed",
             f" {f} failed of {a} allowed", f" {f} failed, {a} allowed")
    return next((form for form in forms if len(form) <= width), forms[-1])
