"""Back-of-the-envelope estimates: the game pauses, asks, scores the answer and explains it.

The expected answer is computed here from the scenario's numbers and the formula the
question is about (the utilization law, Che's approximation, Little's law), never written
into the scenario, so a question and its answer cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaletui.scenario.schema import EstimateSpec
from scaletui.sim.catalog import Catalog
from scaletui.sim.hit_rate import HitRateModel
from scaletui.sim.keyspace import KeySpace


@dataclass(frozen=True)
class Expected:
    value: float
    unit: str  # "servers", "%", "requests"
    explanation: str  # the formula with the numbers


def expected(spec: EstimateSpec, catalog: Catalog) -> Expected:
    if spec.servers is not None:
        s = spec.servers
        size = catalog[s.kind].size(s.size)
        per = size.capacity_rps
        n = math.ceil(s.rps / (per * s.utilization) - 1e-9)
        return Expected(float(n), "servers",
                        f"one {s.size} {s.kind.replace('_', ' ')} serves {size.workers} workers / "
                        f"{size.service_ms:g} ms = {per:,.0f} requests/s at full load; at "
                        f"{100 * s.utilization:.0f}% it carries {per * s.utilization:,.0f}, so "
                        f"{s.rps:,.0f} / {per * s.utilization:,.0f} = {s.rps / (per * s.utilization):.2f}: "
                        f"{n} servers (round up)")
    if spec.hit_rate is not None:
        h = spec.hit_rate
        rate = HitRateModel(KeySpace(h.keys, h.zipf)).hit_rate(float(h.items), 1.0)
        return Expected(round(100 * rate, 1), "%",
                        f"Che's approximation: an LRU cache keeps the keys requested more often than once "
                        f"per characteristic time T, where T fills it ({h.items:,} items); the hit rate is "
                        f"the popularity (Zipf {h.zipf:g} over {h.keys:,} keys) of what it keeps: "
                        f"{100 * rate:.1f}%. The few most popular keys carry most requests, so a cache "
                        f"holding {100 * h.items / h.keys:.0f}% of the keys gets far more than "
                        f"{100 * h.items / h.keys:.0f}% of the hits")
    f = spec.in_flight
    assert f is not None  # the schema asks for exactly one kind
    in_flight = f.rps * f.latency_ms / 1000.0
    return Expected(round(in_flight, 1), "requests",
                    f"Little's law: in flight = arrival rate x time in the system = {f.rps:,.0f}/s x "
                    f"{f.latency_ms:g} ms = {in_flight:,.1f} requests (each needs a worker, a connection or a thread)")


@dataclass(frozen=True)
class Scored:
    """One estimate's outcome: the answer (None: skipped), whether it is right, and why."""

    at: float
    ask: str
    answer: float | None
    expected: Expected
    tolerance: float

    @property
    def right(self) -> bool:
        if self.answer is None:
            return False
        return abs(self.answer - self.expected.value) <= self.tolerance * max(abs(self.expected.value), 1e-9)

    def verdict(self) -> str:
        if self.answer is None:
            return "skipped"
        off = (self.answer - self.expected.value) / max(abs(self.expected.value), 1e-9)
        if self.right:
            return f"right (within {100 * self.tolerance:.0f}%)"
        return f"{abs(100 * off):.0f}% {'high' if off > 0 else 'low'}"

    def to_json(self) -> dict:
        return {"at": self.at, "ask": self.ask, "answer": self.answer, "expected": self.expected.value,
                "unit": self.expected.unit, "right": self.right, "verdict": self.verdict(),
                "explanation": self.expected.explanation}


class Estimates:
    """The scenario's estimates in time order: which one is due, and what was answered."""

    def __init__(self, specs: list[EstimateSpec], catalog: Catalog) -> None:
        self.specs = sorted(specs, key=lambda s: s.at)
        self.catalog = catalog
        self.scored: list[Scored] = []

    def due(self, now: float) -> EstimateSpec | None:
        """The next unanswered estimate whose time has come."""
        if len(self.scored) < len(self.specs) and self.specs[len(self.scored)].at <= now + 1e-9:
            return self.specs[len(self.scored)]
        return None

    def next_at(self) -> float | None:
        """When the next estimate is asked (the clock stops there)."""
        return self.specs[len(self.scored)].at if len(self.scored) < len(self.specs) else None

    def answer(self, value: float | None) -> Scored:
        """Score the due estimate (None: skipped)."""
        spec = self.specs[len(self.scored)]
        s = Scored(spec.at, spec.ask, value, expected(spec, self.catalog), spec.tolerance)
        self.scored.append(s)
        return s

    def skip_passed(self, now: float) -> None:
        """Estimates whose time passed without an answer (a headless plan without one) are skipped."""
        while (spec := self.due(now)) is not None and spec.at < now - 1e-9:
            self.answer(None)
