"""Errors in scenario and plan files, each pointing at file:line:col."""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.scenario.safe_text import visible


@dataclass(frozen=True, order=True)
class Problem:
    line: int  # 1-based
    col: int  # 1-based
    message: str
    file: str = ""

    def __str__(self) -> str:
        # Messages echo what the file said (keys, ids): never let it drive the terminal.
        return visible(f"{self.file}:{self.line}:{self.col}: {self.message}")


class ScenarioError(Exception):
    """One or more problems in a file. str() gives one `file:line:col: message` per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col, p.message))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @staticmethod
    def at(file: str, line: int, col: int, message: str) -> "ScenarioError":
        return ScenarioError([Problem(line, col, message, file)])
