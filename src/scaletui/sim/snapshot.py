"""Immutable views of the simulation, for the UI, the game and reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class ComponentView:
    id: str
    kind: str
    size: str
    region: str
    health: str  # booting, up, degraded, down
    utilization: float
    queue: float  # requests waiting (messages, for a message queue)
    offered_rps: float
    served_rps: float
    failed_rps: float
    latency_ms: float  # mean time in this component of the requests it admitted
    cost_per_hour: float
    workers: int
    capacity_rps: float
    ready_at: float | None = None
    note: str = ""  # e.g. "restarting (upgrade to large)", "crashed", "primary of shard 2"
    hit_rate: float | None = None  # caches and CDN
    lag_s: float | None = None  # replicas
    depth: float | None = None  # message queues
    role: str | None = None  # database nodes: primary / replica
    group: int | None = None  # database nodes: shard group
    follows: str | None = None  # replicas: their primary
    failover: str | None = None  # database nodes: "auto" or "manual" for their group
    ttl_s: float | None = None  # caches and CDN
    on_write: str | None = None  # caches: what a write does to its key's entry
    share: float | None = None  # web servers: share of their data centre's traffic
    held: float | None = None  # thread-per-request web servers: workers held waiting downstream
    levers: tuple[str, ...] = ()  # what the player set on it, or on what it is part of (sim/levers.py)


class TickRow(NamedTuple):
    """One tick's headline figures (the sparklines). Named tuples (this, Hop, Trace) are
    built every tick: three times faster than frozen dataclasses, and as immutable."""

    t: float
    users: float
    users_served: float  # users whose requests were answered (users x share served)
    offered_rps: float
    served_rps: float
    failed_rps: float
    error_rate: float
    p95_ms: float
    cost_per_hour: float
    hit_rate: float | None
    db_utilization: float
    lag_s: float
    queue_depth: float
    retry_rps: float = 0.0  # retries among the offered requests
    reads: float = 0.0  # reads answered this tick
    stale_reads: float = 0.0  # of them, stale cache hits


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """One reporting interval of the run."""

    t: float
    rps: float
    served_rps: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    error_rate: float
    cost_per_hour: float
    users: float
    users_served: float
    hit_rate: float | None
    db_utilization: float
    lag_s: float
    queue_depth: float
    requests: float
    failed: float
    retry_rps: float = 0.0  # retries that came back (offered = rps + retry_rps)
    stale_read_rate: float | None = None  # share of the reads answered that were stale (None: no reads)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class Totals:
    requests: int
    served: int
    failed: int
    in_flight: int
    availability: float  # percent of finished requests that were served
    latency: LatencySummary
    cost: float
    lost_writes: int
    revenue: float  # earned by the requests served
    revenue_lost: float  # what the failed requests would have earned
    sessions_lost: int
    jobs_enqueued: int
    jobs_done: int
    failures_by_cause: tuple[tuple[str, int], ...]
    retries: int = 0  # attempts after the first (the requests above count once)
    wasted: int = 0  # requests answered after their client gave up
    retried_by_cause: tuple[tuple[str, int], ...] = ()  # failed attempts that were tried again
    reads: int = 0  # reads answered
    stale_reads: int = 0  # of them, cache hits on a value the database had since changed, and ...
    stale_after_failover: int = 0  # ... reads of a value a failover lost (the database has an older one)


class Hop(NamedTuple):
    component: str
    ms: float
    note: str = ""


class Trace(NamedTuple):
    """One request followed hop by hop: the answer to "why did my request fail"."""

    t: float
    region: str
    request: str  # static, read, write, async
    ok: bool
    total_ms: float
    hops: tuple[Hop, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    t: float
    duration: float
    finished: bool
    tick: float
    users: float
    components: tuple[ComponentView, ...]
    last: TickRow | None
    recent: tuple[TickRow, ...]
    totals: Totals
    window_p95_ms: float  # p95 of the current reporting window so far
    cost_per_hour: float
    shard_count: int
    traces: tuple[Trace, ...]

    def component(self, cid: str) -> ComponentView | None:
        for c in self.components:
            if c.id == cid:
                return c
        return None
