"""A brief that states an objective states the one the level judges (millions said 99.5%, judged 99%)."""

from __future__ import annotations

import re

import pytest

from scaletui.scenario.campaign import builtin_names, builtin_path
from scaletui.scenario.load import load_scenario

# "99% of requests served", "99.9% availability", "availability of 99.5%"
AVAILABILITY = re.compile(r"(\d+(?:\.\d+)?)\s?% (?:of (?:the |all )?requests|availab|uptime)"
                          r"|availability (?:of |at |above |≥ |>= )?(\d+(?:\.\d+)?)\s?%")
P95 = re.compile(r"p95 (?:under|below|of|≤|<=) (\d+(?:\.\d+)?) ?ms")
WINDOWS = re.compile(r"in (?:at least )?(\d+)% of the minutes")


def _brief(name: str) -> tuple[str, object]:
    scenario = load_scenario(builtin_path(name))
    return " ".join(scenario.spec.brief.split()), scenario.spec.slo


@pytest.mark.parametrize("name", builtin_names())
def test_the_brief_states_the_objectives_the_level_judges(name: str) -> None:
    brief, slo = _brief(name)
    for m in AVAILABILITY.finditer(brief):
        stated = float(m.group(1) or m.group(2))
        assert stated == slo.availability, (name, m.group(0), slo.availability)
    for m in P95.finditer(brief):
        assert float(m.group(1)) == slo.latency_p95_ms, (name, m.group(0), slo.latency_p95_ms)
    for m in WINDOWS.finditer(brief):
        assert float(m.group(1)) == slo.latency_windows, (name, m.group(0), slo.latency_windows)


def test_the_patterns_find_what_the_briefs_say() -> None:
    """The check above is not vacuous: it reads the figures where the briefs state them."""
    brief, _ = _brief("millions")
    assert [m.group(1) for m in AVAILABILITY.finditer(brief)] == ["99"]
    assert [m.group(1) for m in P95.finditer(brief)] == ["150"]
    assert [m.group(1) for m in WINDOWS.finditer(brief)] == ["75"]
    assert AVAILABILITY.search("keep an availability of 99.5% today").group(2) == "99.5"
