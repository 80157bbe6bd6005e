"""The end screen's lesson: your concepts against the reference plan's, the stars missed, the fix."""

from __future__ import annotations

from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scaletui.game.lesson import Lesson


def lesson_renderable(lesson: Lesson, st: Callable[[str], str]) -> Group:
    """`st`: the theme's style for a role name (palette_of(widget).style)."""
    parts: list[Table | Text] = []
    if lesson.concepts:
        t = Table(expand=False, show_edge=False, box=None, padding=(0, 2))
        t.add_column("concept", style="bold", no_wrap=True)
        t.add_column("yours", justify="right", no_wrap=True)
        t.add_column("par", justify="right", no_wrap=True)
        t.add_column("", no_wrap=True)
        for c in lesson.concepts:
            concept, yours, par, verdict = c.row()
            late = verdict == "never" or verdict.endswith("later")
            style = st("bad") if late else ("dim" if c.par is None else st("ok"))
            t.add_row(concept, yours, par, Text(verdict, style=style))
        parts.append(t)
    notes = Text()
    for m in lesson.missed:
        notes.append(m + "\n", style=st("warn"))
    if lesson.fix is not None:
        notes.append("suggested fix: ", style=st("bold busy"))
        notes.append(lesson.fix.text())
    if notes.plain:
        parts.append(notes)
    return Group(*parts)
