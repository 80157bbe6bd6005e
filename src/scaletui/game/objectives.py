"""Service level objectives: the error budget, p95 latency per window, lost writes, stale reads.

The error budget is the share of the run's requests that may fail: with an
availability objective of 99.9% and a script that will offer 3.6 million requests,
3,600 failures are allowed, and the game is lost the moment there are more.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.scenario.schema import SloSpec
from scaletui.sim.histogram import LatencyHistogram


@dataclass(frozen=True)
class ObjectiveResult:
    name: str
    target: str
    achieved: str
    met: bool
    target_value: float
    achieved_value: float
    # Latency: windows in which requests came and none was answered (bad, with no p95).
    silent_windows: int | None = None

    def to_json(self) -> dict:
        out = {
            "objective": self.name,
            "target": self.target_value,
            "achieved": round(self.achieved_value, 6),
            "met": self.met,
            "text": f"{self.target}; achieved {self.achieved}",
        }
        if self.silent_windows is not None:
            out["silent_windows"] = self.silent_windows
        return out


def silent_text(n: int) -> str:
    """Windows that answered nothing: missed, but with no p95 to show for it."""
    return f"{n} window{'s' if n != 1 else ''} answered nothing"


class ErrorBudget:
    def __init__(self, availability: float, expected_requests: float) -> None:
        self.availability = availability
        self.expected = expected_requests
        self.allowed = max(1.0, (1.0 - availability / 100.0) * expected_requests)
        self.failed = 0.0
        self.requests = 0.0

    @property
    def spent(self) -> float:
        return min(1.0, self.failed / self.allowed)

    @property
    def remaining(self) -> float:
        return max(0.0, 1.0 - self.failed / self.allowed)

    @property
    def exhausted(self) -> bool:
        return self.failed > self.allowed

    def update(self, requests: float, failed: float) -> None:
        self.requests = requests
        self.failed = failed

    def achieved(self) -> float:
        done = self.requests
        return 100.0 * (1.0 - self.failed / done) if done > 0 else 100.0

    def result(self) -> ObjectiveResult:
        return ObjectiveResult(
            name="availability",
            target=f">= {self.availability:g}% of requests served ({self.allowed:,.0f} failures allowed)",
            achieved=f"{self.achieved():.3f}% ({self.failed:,.0f} failed)",
            met=not self.exhausted,
            target_value=self.availability,
            achieved_value=self.achieved(),
        )


class LatencyObjective:
    """p95 of each window must be within the target in enough of the windows."""

    def __init__(self, p95_ms: float, window: float, share: float) -> None:
        self.p95_ms = p95_ms
        self.window = window
        self.share = share  # percent of windows that must be within target
        self.hist = LatencyHistogram()
        self.window_start = 0.0
        self.windows = 0
        self.good = 0
        self.last_p95_ms: float | None = None
        self.worst_p95_ms = 0.0
        self.silent = 0  # windows that answered nothing (counted in windows, not in good)
        self.window_failed = 0.0
        self._served_last_tick = True

    def add(self, t: float, dt: float, samples: list[tuple[float, float]], failed: float = 0.0) -> bool | None:
        """Feed one tick; returns the verdict of a window when one closes."""
        for x, w in samples:
            self.hist.add(x, w)
        self.window_failed += failed
        self._served_last_tick = bool(samples)
        if t + dt < self.window_start + self.window - 1e-9:
            return None
        return self.close()

    def close(self) -> bool | None:
        verdict: bool | None = None
        if self.hist.total > 0:
            p95 = self.hist.quantile(0.95) * 1000.0
            self.last_p95_ms = p95
            self.worst_p95_ms = max(self.worst_p95_ms, p95)
            self.windows += 1
            verdict = p95 <= self.p95_ms
            if verdict:
                self.good += 1
        elif self.window_failed > 0:
            # Requests came and none was answered: no latency to speak of, a bad window.
            self.windows += 1
            self.silent += 1
            verdict = False
        self.hist = LatencyHistogram()
        self.window_failed = 0.0
        self.window_start += self.window
        return verdict

    def serving_now(self) -> bool:
        return self._served_last_tick

    def current_p95_ms(self) -> float:
        return self.hist.quantile(0.95) * 1000.0 if self.hist.total > 0 else (self.last_p95_ms or 0.0)

    def attainment(self) -> float:
        return 100.0 * self.good / self.windows if self.windows else 100.0

    def still_possible(self, total_windows: int) -> bool:
        bad = self.windows - self.good
        allowed_bad = total_windows * (1 - self.share / 100.0)
        return bad <= allowed_bad + 1e-9

    def result(self) -> ObjectiveResult:
        a = self.attainment()
        # The worst p95 is of the windows that answered; the others are said apart, or a
        # low worst p95 reads as if every window missed was nearly fine.
        worst = [f"worst p95 {self.worst_p95_ms:.0f} ms"] if self.windows > self.silent else []
        if self.silent:
            worst.append(silent_text(self.silent))
        return ObjectiveResult(
            name="latency_p95",
            target=f"p95 <= {self.p95_ms:g} ms in >= {self.share:g}% of {self.window:g}s windows",
            achieved=f"{a:.1f}% of {self.windows} windows" + (f" ({'; '.join(worst)})" if worst else ""),
            met=a >= self.share - 1e-9,
            target_value=self.p95_ms,
            achieved_value=a,
            silent_windows=self.silent,
        )


class LostWritesObjective:
    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.lost = 0

    def result(self) -> ObjectiveResult:
        return ObjectiveResult(
            name="lost_writes",
            target=f"<= {self.allowed:,} writes lost",
            achieved=f"{self.lost:,} lost",
            met=self.lost <= self.allowed,
            target_value=float(self.allowed),
            achieved_value=float(self.lost),
        )


class StaleReadsObjective:
    """Stale reads (cache hits on a value the database had since changed), in percent of
    the reads answered over the whole run: judged at the end, like lost writes."""

    def __init__(self, allowed_pct: float) -> None:
        self.allowed_pct = allowed_pct
        self.reads = 0.0
        self.stale = 0.0

    def update(self, reads: float, stale: float) -> None:
        self.reads = reads
        self.stale = stale

    def achieved(self) -> float:
        return 100.0 * self.stale / self.reads if self.reads > 0 else 0.0

    @property
    def met(self) -> bool:
        return self.achieved() <= self.allowed_pct + 1e-12

    def result(self) -> ObjectiveResult:
        return ObjectiveResult(
            name="stale_reads",
            target=f"<= {self.allowed_pct:g}% of reads stale",
            achieved=f"{self.achieved():.3f}% ({self.stale:,.0f} of {self.reads:,.0f} reads)",
            met=self.met,
            target_value=self.allowed_pct,
            achieved_value=self.achieved(),
        )


class ReturningUsersObjective:
    """The share of the run's active users who come back the next day (game/business.py),
    judged at the end."""

    def __init__(self, least_pct: float) -> None:
        self.least_pct = least_pct
        self.share_pct = 100.0
        self.active = 0.0

    def update(self, active: float, share: float) -> None:
        self.active = active
        self.share_pct = 100.0 * share

    @property
    def met(self) -> bool:
        return self.share_pct >= self.least_pct - 1e-12

    def result(self) -> ObjectiveResult:
        return ObjectiveResult(
            name="returning_users",
            target=f">= {self.least_pct:g}% of active users come back",
            achieved=f"{self.share_pct:.2f}% of {self.active:,.0f} active users",
            met=self.met,
            target_value=self.least_pct,
            achieved_value=self.share_pct,
        )


def make_objectives(slo: SloSpec, expected_requests: float):
    budget = ErrorBudget(slo.availability, expected_requests)
    latency = LatencyObjective(slo.latency_p95_ms, slo.latency_window, slo.latency_windows) if slo.latency_p95_ms else None
    writes = LostWritesObjective(slo.lost_writes) if slo.lost_writes is not None else None
    return budget, latency, writes
