"""The readable end-of-run summary (rich renderables) built from the JSON report.

Text that came from files (titles, event messages, causes) goes in as rich Text, never
as markup: a title such as "[/oops]" is shown as written instead of crashing rich.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from scaletui.scenario.safe_text import visible


def _text(s: str) -> Text:
    return Text(visible(str(s)))


def _stars(n: int) -> Text:
    return Text("★" * n + "☆" * (3 - n), style="bold yellow")


def _clock(t: float) -> str:
    h, rem = divmod(int(round(t)), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


def render_summary(report: dict[str, Any], title: str, timeline_rows: int = 24) -> Group:
    won = report.get("outcome") == "won"
    head = Text()
    head.append("WON " if won else "LOST ", style="bold green" if won else "bold red")
    if "stars" in report:
        head.append_text(_stars(report["stars"]))
        head.append(f"   score {report['score']}", style="bold")
    if report.get("reason"):
        head.append(f"\n{visible(report['reason'])}", style="italic")

    slo = Table(title="Objectives", title_justify="left", expand=False)
    slo.add_column("objective", style="bold")
    slo.add_column("target / achieved")
    slo.add_column("met", justify="center")
    for o in report.get("slo", []):
        slo.add_row(_text(o["objective"]), _text(o["text"]), Text("✔", style="green") if o["met"] else Text("✘", style="red"))

    t = report["totals"]
    lat = t["latency_ms"]
    totals = Table(title="Totals", title_justify="left", show_header=False, expand=False)
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    totals.add_row("requests", f"{t['requests']:,}")
    totals.add_row("served / failed", f"{t['served']:,} / {t['failed']:,}")
    totals.add_row("availability", f"{t['availability']:.3f}%")
    totals.add_row("latency mean / p50 / p95 / p99",
                   f"{lat['mean']:.1f} / {lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f} ms")
    budget = report.get("budget") or {}
    cost = f"{t['cost']:.2f}"
    if budget.get("par_cost") is not None:
        cost += f" (par {budget['par_cost']:g})"
    totals.add_row("cost", cost)
    if budget.get("per_hour") is not None:
        totals.add_row("peak cost per hour", f"{budget['peak_cost_per_hour']:.1f} (budget {budget['per_hour']:g})")
    totals.add_row("lost writes", f"{t['lost_writes']:,}")
    if t.get("stale_reads"):
        share = 100.0 * t["stale_reads"] / t["reads"] if t.get("reads") else 0.0
        totals.add_row("stale reads", f"{t['stale_reads']:,} ({share:.2f}% of reads)")
    totals.add_row("revenue earned / lost", f"{t['revenue']:,.2f} / {t['revenue_lost']:,.2f}")

    biz = report.get("business")
    if biz:
        totals.add_row("active / returning users",
                       f"{biz['active_users']:,.0f} / {biz['returning_users']:,.0f} "
                       f"({100 * biz['returning_share']:.1f}%)")
    parts: list[Any] = [Panel(head, title=_text(title), expand=False), slo, totals]
    if report.get("failures"):
        why = Table(title="Why requests failed", title_justify="left", show_header=False, expand=False)
        why.add_column(justify="right")
        why.add_column()
        for f in report["failures"][:6]:
            why.add_row(f"{f['count']:,}", _text(f["cause"]))
        parts.append(why)
    if report.get("retried"):
        tried = Table(title="Failed attempts that clients retried (each came back as a new request)",
                      title_justify="left", show_header=False, expand=False)
        tried.add_column(justify="right")
        tried.add_column()
        for f in report["retried"][:4]:
            tried.add_row(f"{f['count']:,}", _text(f["cause"]))
        wasted = report.get("totals", {}).get("wasted", 0)
        if wasted:
            tried.add_row(f"{wasted:,}", _text("answered after the client had given up: wasted work"))
        parts.append(tried)
    lesson = report.get("lesson") or {}
    if lesson.get("concepts") or lesson.get("stars_missed") or lesson.get("fix"):
        parts.append(_lesson(lesson))
    pm = report.get("postmortem")
    if pm and pm.get("timeline"):
        tl = Table(title="Postmortem", title_justify="left", expand=False)
        tl.add_column("time", justify="right", style="dim")
        tl.add_column("what", style="bold")
        tl.add_column("")
        rows = pm["timeline"]
        shown = rows if len(rows) <= timeline_rows else rows[: timeline_rows - 1] + [rows[-1]]
        style = {"data": "red", "trigger": "yellow", "symptom": "red", "first failure": "red", "first saturated": "red", "alert": "magenta",
                 "action": "cyan", "refused": "dim", "recovery": "green", "outcome": "bold"}
        for item in shown:
            tl.add_row(_clock(item["t"]), Text(item["kind"], style=style.get(item["kind"], "")),
                       _text(item["message"]))
        if len(rows) > timeline_rows:
            tl.caption = f"{len(rows) - timeline_rows + 1} more entries in the JSON report"
        parts.append(tl)
    return Group(*parts)


def _lesson(lesson: dict[str, Any]) -> Group:
    """Your run against the reference plan: concepts in time, stars missed, the fix."""
    t = Table(title="Your run against the reference", title_justify="left", expand=False)
    t.add_column("concept", style="bold")
    t.add_column("yours", justify="right")
    t.add_column("par", justify="right")
    t.add_column("")
    for c in lesson.get("concepts", []):
        late = c.get("verdict", "")
        style = "red" if late == "never" or late.endswith("later") else ("dim" if late == "not in the reference" else "green")
        t.add_row(_text(c["concept"]), _clock_or_dash(c.get("yours")), _clock_or_dash(c.get("par")),
                  Text(visible(late), style=style))
    notes = [visible(m) for m in lesson.get("stars_missed", [])]
    fix = lesson.get("fix")
    if fix:
        notes.append("suggested fix: " + visible(fix["text"]))
    return Group(t, Text("\n".join(notes), style="italic")) if notes else Group(t)


def _clock_or_dash(t: float | None) -> str:
    if t is None:
        return "—"
    m, s = divmod(int(round(t)), 60)
    return f"{m}:{s:02d}"

