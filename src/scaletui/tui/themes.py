"""The themes `--theme` accepts: Textual's built-in ones."""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES


def theme_names() -> list[str]:
    return sorted(BUILTIN_THEMES)
