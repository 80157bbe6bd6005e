"""The colours the screen draws with, taken from the app's theme (so --theme restyles them).

Widgets render Rich text, which cannot read Textual's $variables; each render takes a
Palette built from the theme's variables instead of naming Rich colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from textual._context import NoActiveAppError
from textual.widget import Widget


@dataclass(frozen=True)
class Palette:
    ok: str  # up, served, within target
    warn: str  # degraded, high load, money
    bad: str  # down, failing, over target
    busy: str  # booting, moving (traffic, actions)
    accent: str  # latency, alerts, what stands out without being wrong
    dim: str = "dim"

    @staticmethod
    def of(variables: Mapping[str, str]) -> "Palette":
        return Palette(
            ok=variables.get("text-success", variables.get("success", "green")),
            warn=variables.get("text-warning", variables.get("warning", "yellow")),
            bad=variables.get("text-error", variables.get("error", "red")),
            busy=variables.get("text-primary", variables.get("primary", "blue")),
            accent=variables.get("text-secondary", variables.get("secondary", "magenta")),
        )

    def style(self, spec: str) -> str:
        """A style written with role names ("bold bad", "dim warn") in this theme's colours."""
        roles = {"ok": self.ok, "warn": self.warn, "bad": self.bad, "busy": self.busy, "accent": self.accent}
        return " ".join(roles.get(word, word) for word in spec.split())

    def health(self, health: str) -> str:
        return {"up": self.ok, "degraded": self.warn, "booting": self.busy, "down": f"bold {self.bad}"}.get(
            health, "")

    def load(self, util: float, health: str, shedding: bool = False) -> str:
        if health in ("down", "booting"):
            return self.health(health)
        if shedding or util >= 0.95:
            return f"bold {self.bad}"
        if util >= 0.8:
            return self.warn
        return self.health(health) or self.ok


DEFAULT = Palette.of({})


def palette_of(widget: Widget) -> Palette:
    """The palette of the widget's app theme (the default one outside an app)."""
    try:
        return Palette.of(widget.app.theme_variables)
    except NoActiveAppError:
        return DEFAULT
