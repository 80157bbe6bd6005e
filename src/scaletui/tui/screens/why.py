"""Why did my request fail: recent failed requests, traced hop by hop."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from scaletui.sim.snapshot import Snapshot
from scaletui.tui.palette import palette_of
from scaletui.tui.render import clock
from scaletui.tui.widgets.choice_list import list_rows


class WhyScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,w,q", "close", "Close")]

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        st = palette_of(self).style  # the theme's colours for role names
        snap = self.snapshot
        body = Text()
        failed = [t for t in snap.traces if not t.ok][-8:]
        ok = [t for t in snap.traces if t.ok][-3:]
        if not failed:
            body.append("No failed request among the recent traces.\n\n", style=st("ok"))
        for tr in failed + ok:
            body.append(f"{clock(tr.t)} ", style="dim")
            body.append(f"{tr.request} from {tr.region}: ", style="bold")
            body.append("FAILED" if not tr.ok else f"ok in {tr.total_ms:.0f} ms",
                        style=st("bold bad") if not tr.ok else st("ok"))
            body.append("\n")
            for hop in tr.hops:
                if hop.note == "failed":
                    continue
                body.append(f"    → {hop.component:<14} {hop.ms:8.1f} ms  {hop.note}\n", style="dim")
            if not tr.ok:
                body.append(f"    ✖ {tr.reason}\n", style=st("bad"))
            body.append("\n")
        causes = Text("\nAll failures so far, by cause:\n", style="bold")
        for cause, n in snap.totals.failures_by_cause[:8]:
            causes.append(f"  {n:>10,}  {cause}\n", style="")
        if not snap.totals.failures_by_cause:
            causes.append("  none: every request so far was answered\n", style=st("ok"))
        t = snap.totals
        if t.retried_by_cause:
            causes.append(f"\nFailed attempts that clients retried ({t.retries:,} retries so far):\n", style="bold")
            for cause, n in t.retried_by_cause[:4]:
                causes.append(f"  {n:>10,}  {cause}\n", style="")
        if t.wasted:
            causes.append(f"  {t.wasted:>10,}  answered after the client had given up: wasted work\n", style="")
        with Vertical(id="dialog", classes="wide"):
            yield Label("Why did requests fail?", id="dialog-title")
            with VerticalScroll(id="dialog-body"):  # it scrolls; the key line stays below it
                yield Static(body)
                yield Static(causes)
            yield Static("↑ ↓ scroll · esc close", classes="help-line")

    def on_resize(self) -> None:
        self.query_one("#dialog-body").styles.max_height = max(3, list_rows(self.size.height, 0))

    def action_close(self) -> None:
        self.dismiss(None)
