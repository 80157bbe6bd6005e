"""What the engine is configured with: plain, immutable data.

The scenario layer builds these from YAML (with validation and file:line:col errors);
the engine only trusts that they are well formed. Times are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scaletui.sim.catalog import Catalog
from scaletui.sim.sharding import DEFAULT_VNODES

REQUEST_CLASSES = ("static", "read", "write", "async", "fanout")
DEFAULT_REGION = "us-east"


@dataclass(frozen=True)
class Mix:
    static: float = 0.3
    read: float = 0.6
    write: float = 0.1
    async_: float = 0.0  # "async" in files; a Python keyword here
    # Reads that need many shards at once (a feed, a search, a join): each reads from
    # Traffic.fanout_shards shards in parallel and waits for the slowest.
    fanout: float = 0.0

    def share(self, cls: str) -> float:
        return self.async_ if cls == "async" else getattr(self, cls)

    def normalized(self) -> "Mix":
        total = self.static + self.read + self.write + self.async_ + self.fanout
        if total <= 0:
            return Mix(1.0, 0.0, 0.0, 0.0)
        return Mix(self.static / total, self.read / total, self.write / total, self.async_ / total,
                   self.fanout / total)


@dataclass(frozen=True)
class DailyCycle:
    """Users follow a day: factor 1 + amplitude * cos(2 pi (clock - peak_at) / 1 day)."""

    amplitude: float = 0.3
    peak_at: float = 20 * 3600.0  # time of day of the peak, seconds after midnight
    start_at: float = 9 * 3600.0  # time of day at which the scenario starts


BACKOFFS = ("none", "exponential")
BACKOFF_BASE_S = 1.0  # exponential backoff: the first retry waits 1 s, then 2 s, 4 s, ...


@dataclass(frozen=True)
class ClientPolicy:
    """How users' clients treat a request: they wait at most `timeout` seconds for the
    answer, then give up (the request fails as timed out); a failed or timed-out request
    is tried again up to `retries` more times, after a backoff (`none`: at once;
    `exponential`: BACKOFF_BASE_S doubling per retry; `jitter`: a uniform draw between 0
    and that, "full jitter")."""

    timeout: float = 10.0
    retries: int = 0
    backoff: str = "none"
    jitter: bool = False

    def backoff_s(self, retry: int) -> float:
        """The longest wait before the retry-th retry (1 for the first); jitter draws below it."""
        if self.backoff == "exponential":
            return BACKOFF_BASE_S * 2.0 ** (retry - 1)
        return 0.0


@dataclass(frozen=True)
class Traffic:
    users: float = 1000.0
    rps_per_user: float = 0.05
    mix: Mix = field(default_factory=Mix)
    key_count: int = 100_000
    zipf: float = 0.9
    regions: tuple[tuple[str, float], ...] = ((DEFAULT_REGION, 1.0),)
    daily_cycle: DailyCycle | None = None
    static_kb: float = 100.0  # bytes per static response, for CDN cost per GB
    static_keys: int = 10_000  # distinct static objects (CDN hit rate)
    async_work_ms: float = 200.0  # CPU time of one async job when done inline on a web server
    session_minutes: float = 10.0  # mean length of a user's session (sticky sessions)
    revenue_per_1k_requests: float = 0.5  # what answered requests earn; failed ones are revenue lost
    client: ClientPolicy = field(default_factory=ClientPolicy)
    fanout_shards: int | None = None  # shards one fan-out read touches (None: all of them)
    return_rate: float = 0.8  # users whose visit went well who come back the next day (game/business.py)
    churn_on_failure: float = 0.5  # how much less likely one who met a failure is to come back

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r for r, _ in self.regions)


@dataclass(frozen=True)
class Network:
    hop_ms: float = 0.5
    cross_region_ms: float = 80.0
    # Asynchronous replication ships committed writes in batches: the delay before a
    # replica has a write, even when it keeps up. This is the window of writes a
    # promotion after a crash loses.
    replication_ms: float = 100.0


@dataclass(frozen=True)
class ShardingConfig:
    """How the database maps keys to shards, and how fast a reshard moves them (see
    sim/sharding.py and sim/migration.py)."""

    scheme: str = "mod"  # "mod" (hash mod n) or "consistent" (a hash ring)
    vnodes: int = DEFAULT_VNODES  # virtual nodes a shard on the ring
    migrate_keys_per_s: float = 5000.0  # moved keys a second, at most, on any one shard
    migrate_ms_per_key: float = 0.2  # worker time per moved key, on its source and its target


@dataclass(frozen=True)
class ComponentSpec:
    kind: str
    size: str
    region: str
    id: str | None = None
    of: str | None = None  # replicas: the primary they follow


@dataclass(frozen=True)
class TrafficChange:
    users: float | None = None  # absolute level
    users_factor: float | None = None  # "x10": relative to the level before the change
    rps_per_user: float | None = None
    mix: Mix | None = None


@dataclass(frozen=True)
class Vary:
    """How the seed may move an event: its time by up to `at` seconds either way, and a
    users change by up to `size` of its nominal step (see sim/forecast.py)."""

    at: float = 0.0
    size: float = 0.0

    @property
    def draws(self) -> bool:
        return self.at > 0 or self.size > 0


@dataclass(frozen=True)
class ScenarioEvent:
    """A scripted happening. `kind` is one of: say, traffic, fail, slow, hot_key, outage.

    `target` is a component id, a kind (the event picks the first live one of that kind
    when it fires), or a region for outages. `errors` makes the target answer a `share`
    of the requests it works on with an error.
    """

    at: float
    kind: str
    target: str | None = None
    duration: float | None = None  # "for": how long it lasts; None = until replaced / for good
    over: float = 0.0  # ramp time for traffic changes
    factor: float = 1.0  # slow-down factor
    share: float = 0.0  # hot-key share of requests
    traffic: TrafficChange | None = None
    say: str | None = None
    id: str | None = None  # the scenario's name for it, for placeholders and the report
    vary: Vary | None = None


@dataclass(frozen=True)
class SimConfig:
    name: str = "untitled"
    duration: float = 3600.0
    seed: int = 1
    tick: float = 1.0
    report_every: float = 60.0
    traffic: Traffic = field(default_factory=Traffic)
    network: Network = field(default_factory=Network)
    sharding: ShardingConfig = field(default_factory=ShardingConfig)
    catalog: Catalog = field(default_factory=Catalog.default)
    topology: tuple[ComponentSpec, ...] = ()
    events: tuple[ScenarioEvent, ...] = ()
    latency_samples: int = 32  # requests sampled per tick for latency quantiles
    trace_samples: int = 2  # requests traced hop by hop per tick

    @property
    def home_region(self) -> str:
        return self.traffic.regions[0][0] if self.traffic.regions else DEFAULT_REGION
