"""What every component has: identity, size, health, and the metrics the planes fill in."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.mmck import IDLE, StationState, station_state

if TYPE_CHECKING:
    from scaletui.sim.components.datacenter import Datacenter

BOOTING = "booting"
UP = "up"
DEGRADED = "degraded"
DOWN = "down"


class Component:
    """A node of the topology. Subclasses add what their kind does."""

    kind_name: ClassVar[str] = ""
    queueing: ClassVar[bool] = True  # False: a pure delay (no workers to wait for)

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:
        self.id = cid
        self.kind = kind.kind
        self.kind_spec = kind
        self.size_spec = size
        self.region = region
        self.created_at = created_at
        self.seq = seq  # creation order, for stable iteration
        self.ready_at: float | None = None  # booting until then
        self.first_up_at: float | None = None  # when it first served (None: still provisioning)
        self.booting_reason = ""
        # False until it first serves: a new component that is still provisioning does
        # not exist for routing yet, one restarting after an upgrade does (and fails).
        self.in_service = True
        self.crashed = False
        self.down_since: float | None = None
        self.down_reason = ""
        self.slow_factor = 1.0  # its own slow-down (a scenario's `slow` event)
        self.error_share = 0.0  # share of the requests it works on that it answers with an error
        self.removed = False
        self.dc: Datacenter | None = None
        # Per-tick figures, written by the data plane.
        self.offered = 0.0
        self.state: StationState = IDLE
        self.tick_served = 0.0
        self.tick_failed = 0.0
        self.utilization = 0.0
        self.queue_length = 0.0
        # Workers held waiting for a downstream answer (thread-per-request web servers).
        self.held_waiting = 0.0
        # Whole-run figures.
        self.busy_seconds = 0.0
        self.held_seconds = 0.0  # worker-seconds held waiting downstream
        self.alive_seconds = 0.0
        self.total_served = 0.0
        self.total_failed = 0.0
        self.peak_utilization = 0.0
        self._memo_rate = -1.0
        self._memo_state: StationState = IDLE
        self._memo_key: tuple = ()
        self._capacity_key: tuple = ()
        self._capacity = 0

    # --- capacity -----------------------------------------------------------------
    @property
    def size(self) -> str:
        return self.size_spec.name

    @property
    def workers(self) -> int:
        return self.size_spec.workers

    @property
    def slowdown(self) -> float:
        """How much slower than nominal it works: its own slow-down times its data
        centre's (a slowed site, say on degraded power or a noisy network, slows
        everything in it)."""
        dc = self.dc
        if dc is None or dc is self:
            return self.slow_factor
        return self.slow_factor * dc.slow_factor

    @property
    def service_time(self) -> float:
        """Mean seconds per request, slowed down by any degradation."""
        return self.size_spec.service_ms / 1000.0 * self.slowdown

    @property
    def mu(self) -> float:
        st = self.service_time
        return 1.0 / st if st > 0 else math.inf

    @property
    def capacity(self) -> int:
        """K of M/M/c/K: workers plus the requests that can wait within the timeout.

        The queue holds what the workers finish within `timeout_ms` at the current
        speed, so a slowed-down node sheds sooner instead of making requests wait past
        the timeout.
        """
        key = (self.size_spec, self.kind_spec.timeout_ms, self.slowdown)
        if key != self._capacity_key:
            self._capacity_key = key
            self._capacity = self.capacity_for(self.service_time)
        return self._capacity

    def capacity_for(self, service_time: float) -> int:
        c = self.workers
        if service_time <= 0:
            return c
        return c + max(1, int(round(c * (self.kind_spec.timeout_ms / 1000.0) / service_time)))

    @property
    def capacity_rps(self) -> float:
        return self.workers * self.mu if self.queueing else math.inf

    @property
    def cost_per_hour(self) -> float:
        return self.size_spec.cost_per_hour

    # --- health -------------------------------------------------------------------
    def booting(self, now: float) -> bool:
        return self.ready_at is not None and now < self.ready_at

    def reachable(self) -> bool:
        """Not crashed and its data centre is up."""
        if self.crashed or self.removed:
            return False
        dc = self.dc
        return dc is None or dc is self or not (dc.crashed or dc.ready_at is not None)

    def serving(self, now: float) -> bool:
        return not self.booting(now) and self.reachable()

    def health(self, now: float) -> str:
        if self.booting(now):
            return BOOTING
        if not self.reachable():
            return DOWN
        if self.slowdown > 1.0:
            return DEGRADED
        return UP

    def unreachable_since(self) -> float | None:
        if self.crashed:
            return self.down_since
        dc = self.dc
        if dc is not None and dc is not self and dc.crashed:
            return dc.down_since
        return None

    def down_cause(self) -> str:
        if self.crashed:
            return self.down_reason or "crashed"
        dc = self.dc
        if dc is not None and dc is not self and dc.crashed:
            return f"region {self.region} is out"
        if dc is not None and dc is not self and dc.ready_at is not None:
            return f"{dc.id} is still being built"
        return "unreachable"

    # --- queueing -----------------------------------------------------------------
    def evaluate(self, rate: float) -> StationState:
        """Stationary state at this arrival rate (memoised: loads repeat tick to tick)."""
        key = (self.size_spec, self.slowdown)
        if rate == self._memo_rate and key == self._memo_key:
            return self._memo_state
        st = station_state(self.workers, self.mu, self.capacity, rate)
        self._memo_rate, self._memo_key, self._memo_state = rate, key, st
        return st

    def shed_reason(self, held: float, behind: "Component | None" = None) -> str:
        """Why it refused a request with its queue full. `held`: its workers waiting on
        the tiers behind it (thread-per-request); when they are half of them or more, the
        overload is behind it, and `behind` (the busiest of those tiers) is named."""
        if held >= 0.5 * self.workers > 0:
            on = behind.id if behind is not None else "the tiers behind it"
            return f"{self.id} was overloaded and shed it (queue full: its threads are held waiting on {on})"
        return f"{self.id} was overloaded and shed it (queue full)"

    def describe(self) -> str:
        return f"{self.id} ({self.kind_spec.title.lower()}, {self.size}, {self.region})"

    def __repr__(self) -> str:
        return f"<{self.id} {self.kind} {self.size} {self.region}>"
