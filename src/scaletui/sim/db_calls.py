"""The web tier's calls to the database: its timeout, its retries and its circuit breaker.

One policy for the whole web tier (servers added later follow it), set by the player's
`configure web` command. The rulebook lives here, once for both planes: how long a
call may take, how often it is tried, and when the breaker opens and closes. Each plane
counts its own calls and errors into `calls` and `errors` during a tick; `end_tick`
reads them and moves the breaker on.

The breaker judges one tick at a time: at least MIN_CALLS calls and an error share at
or over its `error_rate` open it; open, every call fails at once ("breaker open",
the web worker is free again at once) for `open_for`; then it is half-open for one
tick: PROBE_SHARE of the calls go through, and it closes if their error share is
under the rate, or opens again.
"""

from __future__ import annotations

from dataclasses import dataclass

BREAKER_OPEN = "breaker open: the web tier's circuit breaker to the database refused the call"
DB_TIMEOUT = "timeout: the web server gave up waiting for the database (db_timeout)"

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"

MIN_CALLS = 10  # fewer calls in a tick say too little to open the breaker
PROBE_SHARE = 0.1  # of the calls in the half-open tick


@dataclass(frozen=True)
class BreakerRule:
    error_rate: float = 0.5  # share of failed calls in a tick that opens it
    open_for: float = 10.0  # seconds it stays open before probing


class DbCalls:
    """The policy of the web tier's database calls and its breaker's state."""

    def __init__(self) -> None:
        self.timeout: float | None = None  # seconds a web server waits for one call
        self.retries = 0  # further attempts after a failed or timed-out call
        self.breaker: BreakerRule | None = None
        self.state = CLOSED
        self.opened_at = 0.0
        self.calls = 0.0  # calls let through this tick (attempts, retries included)
        self.errors = 0.0  # of them, those that failed or timed out

    def describe(self) -> str:
        parts = [f"timeout {self.timeout * 1000:g}ms" if self.timeout is not None else "no timeout",
                 f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}"]
        b = self.breaker
        parts.append(f"breaker at {b.error_rate:.0%} errors, open {b.open_for:g}s" if b else "no breaker")
        return ", ".join(parts)

    def admitted_share(self) -> float:
        """Share of this tick's calls the breaker lets through."""
        if self.breaker is None or self.state == CLOSED:
            return 1.0
        return PROBE_SHARE if self.state == HALF_OPEN else 0.0

    def set_breaker(self, rule: BreakerRule | None) -> None:
        self.breaker = rule
        if rule is None:
            self.state = CLOSED

    def end_tick(self, t_next: float) -> str | None:
        """Judge the tick that ends at t_next; returns "opened" when it opens from closed and
        "closed" when its probes close it (failed probes open it again, silently)."""
        calls, errors = self.calls, self.errors
        self.calls = self.errors = 0.0
        rule = self.breaker
        if rule is None:
            return None
        if self.state == OPEN:
            if t_next - self.opened_at >= rule.open_for - 1e-9:
                self.state = HALF_OPEN
            return None
        share = errors / calls if calls > 0 else 0.0
        if self.state == HALF_OPEN:
            if calls <= 0:
                return None  # nothing probed: probe again
            if share >= rule.error_rate:
                self.state, self.opened_at = OPEN, t_next
                return None  # open again: still the same episode
            self.state = CLOSED
            return "closed"
        if calls >= MIN_CALLS and share >= rule.error_rate:
            self.state, self.opened_at = OPEN, t_next
            return "opened"
        return None
