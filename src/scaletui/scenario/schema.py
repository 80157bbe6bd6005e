"""The public file formats: scenario files and plan files, as pydantic models.

Every model forbids unknown keys. Durations accept 90s, 10m, 2h, 1d, 1h30m or a number
of seconds. `scaletui schema` exports these models as JSON Schema for editors.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from scaletui.scenario.durations import parse_duration
from scaletui.sim.catalog import KINDS, Kind
from scaletui.sim.config import ShardingConfig

_SHARDING = ShardingConfig()  # the engine's defaults
MAX_COPY_WORKERS = 64  # more than any shard has: a copy beyond it would only pile up

DURATION_PATTERN = r"^\s*(\d+(\.\d+)?(ms|s|m|h|d)\s*)+$"

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": "seconds, or a duration such as 90s, 10m, 2h, 1d, 1h30m",
        }
    ),
]

MAX_SECONDS = 7 * 86400  # the longest scenario, and so the longest anything in it can last
MAX_USERS = 1e9  # concurrent users: more than any service has had
MAX_COMPONENTS = 1000  # in a topology at any time: the work per tick grows with it


Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
SizeName = Annotated[str, Field(min_length=1, max_length=64)]


def _users_level(value: Any) -> Any:
    """`users: 20000` (absolute) or `users: x10` (ten times the level before)."""
    if isinstance(value, bool):
        raise ValueError("users is a number (20000) or a factor (x10)")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"users is a finite number at least 0, not {value}")
        return {"users": float(value)}
    if isinstance(value, str):
        text = value.strip().lower()
        if text.startswith("x") or text.endswith("x"):
            num = text.strip("x").strip()
            try:
                f = float(num)
            except ValueError:
                raise ValueError(f"'{value}' is not a factor; write e.g. x10 or x0.5") from None
            if not math.isfinite(f) or f < 0:
                raise ValueError(f"'{value}' is not a factor; a factor is a finite number at least 0, e.g. x10")
            return {"factor": f}
    raise ValueError(f"users is a number (20000) or a factor (x10), not {value!r}")


class UsersLevel(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    users: float | None = Field(None, le=MAX_USERS)
    factor: float | None = Field(None, le=1e6)


UsersValue = Annotated[
    UsersLevel,
    BeforeValidator(_users_level),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\s*x\s*\d+(\.\d+)?\s*$"}],
            "description": "a number of users (20000) or a factor of the level before (x10)",
        }
    ),
]


class Strict(BaseModel):
    # strict: true is not the number 1 and "2000" is not a number; no .inf or .nan anywhere.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True, allow_inf_nan=False)


# --- scenario -------------------------------------------------------------------------


class SloSpec(Strict):
    availability: float = Field(99.9, gt=0, le=100, description="percent of requests that must succeed over the run")
    latency_p95_ms: float | None = Field(None, gt=0, le=600_000, description="p95 latency target per window, ms")
    latency_window: Duration = Field(60.0, ge=1, description="length of a latency window")
    latency_windows: float = Field(
        95.0, gt=0, le=100, description="percent of windows whose p95 must be within the target"
    )
    lost_writes: int | None = Field(None, ge=0, le=10**12, description="most writes that may be lost")
    stale_reads: float | None = Field(
        None, ge=0, le=100, description="most reads that may return a stale cached value, percent of reads answered"
    )
    returning_users: float | None = Field(
        None, ge=0, le=100, description="least share of the run's active users who come back the next day, percent"
    )


MIX_TOLERANCE = 0.001  # shares written to three decimals may be off by a rounding


class MixSpec(Strict):
    static: float = Field(0.0, ge=0, le=1)
    read: float = Field(0.0, ge=0, le=1)
    write: float = Field(0.0, ge=0, le=1)
    async_: float = Field(0.0, ge=0, le=1, alias="async")
    fanout: float = Field(
        0.0, ge=0, le=1,
        description="reads that need many shards at once (a feed, a search, a join): "
                    "each reads traffic.fanout_shards shards in parallel and waits for the slowest",
    )

    @model_validator(mode="after")
    def _some(self) -> "MixSpec":
        total = self.static + self.read + self.write + self.async_ + self.fanout
        if total <= 0:
            raise ValueError("the mix needs at least one share above 0")
        if abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(f"the mix shares are fractions of all requests and must sum to 1; "
                             f"these sum to {total:.4g}")
        return self


class KeysSpec(Strict):
    count: int = Field(100_000, ge=1, le=100_000_000, description="distinct keys (items users ask for)")
    zipf: float = Field(0.9, ge=0, le=3, description="Zipf exponent of key popularity")


class DailyCycleSpec(Strict):
    amplitude: float = Field(0.3, ge=0, lt=1)
    peak_at: Duration = Field(72000.0, description="time of day of the peak (e.g. 20h)")
    start_at: Duration = Field(32400.0, description="time of day at which the scenario starts (e.g. 9h)")


class ClientSpec(Strict):
    timeout: Duration = Field(10.0, gt=0, le=3600, description="how long a client waits for an answer before it gives up (the request fails as timed out)")
    retries: int = Field(0, ge=0, le=10, description="how many more times a client tries a failed or timed-out request")
    backoff: Literal["none", "exponential"] = Field(
        "none", description="wait before a retry: none (at once) or exponential (1 s, 2 s, 4 s, ...)")
    jitter: StrictBool = Field(False, description="draw each backoff uniformly between 0 and its length (full jitter)")


class TrafficSpec(Strict):
    users: float = Field(1000.0, ge=0, le=MAX_USERS, description="concurrent users at the start")
    rps_per_user: float = Field(0.05, gt=0, le=1000)
    mix: MixSpec = Field(default_factory=lambda: MixSpec(static=0.3, read=0.6, write=0.1))
    keys: KeysSpec = Field(default_factory=KeysSpec)
    regions: dict[Name, Annotated[float, Field(gt=0, le=1e6)]] = Field(
        default_factory=lambda: {"us-east": 1.0}, description="region: share of users"
    )
    daily_cycle: DailyCycleSpec | None = None
    static_kb: float = Field(100.0, ge=0, le=1_000_000)
    static_keys: int = Field(10_000, ge=1, le=100_000_000)
    async_work_ms: float = Field(200.0, gt=0, le=600_000)
    session_minutes: float = Field(10.0, gt=0, le=MAX_SECONDS / 60)
    revenue_per_1k_requests: float = Field(
        0.5, ge=0, le=1_000_000, description="money earned per 1,000 requests answered; each failed request is revenue lost"
    )
    client: ClientSpec = Field(default_factory=ClientSpec, description="users' clients: timeout and retry policy")
    fanout_shards: int | None = Field(
        None, ge=1, le=64,
        description="shards one fan-out read touches (none: all of them); denormalized, it is "
                    "also how many shards each write is written to",
    )
    return_rate: float = Field(
        0.8, ge=0, le=1, description="share of the users whose visit went well who come back the next day"
    )
    churn_on_failure: float = Field(
        0.5, ge=0, le=1, description="how much less likely a user who met a failed request is to come back (0-1)"
    )

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: dict) -> dict:
        if not v:
            raise ValueError("at least one region is needed")
        return v


class NetworkSpec(Strict):
    hop_ms: float = Field(0.5, ge=0, le=10_000, description="network time of one call inside a data centre, ms")
    cross_region_ms: float = Field(80.0, ge=0, le=10_000, description="extra time of a call between regions, ms")
    replication_ms: float = Field(100.0, ge=0, le=600_000, description="delay before a replica receives a committed write, ms")


class ShardingSpec(Strict):
    scheme: Literal["mod", "consistent"] = Field(
        "mod", description="how keys map to shards: hash mod n, or a consistent-hash ring")
    vnodes: int = Field(_SHARDING.vnodes, ge=1, le=65_536, description="virtual nodes a shard on the consistent-hash ring")
    migrate_keys_per_s: float = Field(_SHARDING.migrate_keys_per_s, gt=0, le=1e9,
                                      description="a reshard moves at most this many keys a second on any one shard")
    migrate_ms_per_key: float = Field(_SHARDING.migrate_ms_per_key, ge=0, le=1000,
                                      description="worker time a moved key costs its source and its target shard, ms")

    @model_validator(mode="after")
    def _bounded_copy(self) -> "ShardingSpec":
        busy = self.migrate_keys_per_s * self.migrate_ms_per_key / 1000.0
        if busy > MAX_COPY_WORKERS:
            raise ValueError(f"a reshard's copy would keep {busy:,.0f} workers busy on the busiest shard "
                             f"(migrate_keys_per_s x migrate_ms_per_key / 1000); at most {MAX_COPY_WORKERS}")
        return self


class SizeSpecFile(Strict):
    workers: int | None = Field(None, ge=0, le=1024)
    service_ms: float | None = Field(None, ge=0, le=600_000)
    cost_per_hour: float | None = Field(None, ge=0, le=1_000_000)
    items: int | None = Field(None, ge=0, le=10**10)


class KindSpecFile(BaseModel):
    """Kind-level settings, and any other key is a size name with its figures."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, SizeSpecFile] = Field(init=False)

    title: str | None = None
    boot_s: Duration | None = None
    restart_s: Duration | None = None
    timeout_ms: float | None = Field(None, gt=0, le=600_000)
    cost_per_gb: float | None = Field(None, ge=0, le=10_000)
    concurrency: Literal["event_loop", "threads"] | None = Field(
        None, description="web servers: event_loop, or threads (a worker is held until the database answers)")


class TopologyEntry(Strict):
    kind: Kind
    size: SizeName | None = None
    count: int = Field(1, ge=1, le=MAX_COMPONENTS)
    region: Name | None = None
    id: Name | None = None
    of: str | None = Field(None, description="replicas: the primary they follow")

    @model_validator(mode="after")
    def _id_once(self) -> "TopologyEntry":
        if self.id is not None and self.count != 1:
            raise ValueError("an id names one component; drop count or id")
        return self


class HotKeySpec(Strict):
    share: float = Field(gt=0, le=1, description="share of reads and writes that ask for one key")


class TrafficChangeSpec(Strict):
    users: UsersValue | None = None
    rps_per_user: float | None = Field(None, gt=0, le=1000)
    mix: MixSpec | None = None

    @model_validator(mode="after")
    def _something(self) -> "TrafficChangeSpec":
        if self.users is None and self.rps_per_user is None and self.mix is None:
            raise ValueError("a traffic change needs users, rps_per_user or mix")
        return self


EventId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class VarySpec(Strict):
    """How the seed varies an event, within a range its announcements can give."""

    at: Duration = Field(0.0, description="the seed moves the event by a whole number of seconds "
                                          "in [-at, +at] (never before 0s nor past the end)")
    size: float = Field(0.0, ge=0, lt=1, description="traffic events that set users: the seed scales "
                                                     "the change by a factor in [1 - size, 1 + size]")


EVENT_ACTIONS = ("traffic", "fail", "slow", "hot_key", "outage", "errors")


class EventSpec(Strict):
    at: Duration
    id: EventId | None = Field(None, description="a name a say can refer to: {ID.at}, {ID.end}, {ID.users}, "
                                                "{ID.rps}, {ID.times}")
    say: str | None = Field(None, description="said in the log when the event comes; {ID.field} placeholders "
                                              "name another event's range ({{ and }} are braces)")
    vary: VarySpec | None = Field(None, description="how the seed varies the event's time and size")
    traffic: TrafficChangeSpec | None = None
    over: Duration = Field(0.0, description="traffic: how long the ramp takes")
    for_: Duration | None = Field(None, alias="for", description="how long it lasts (none: for good)")
    fail: str | None = Field(None, description="component id, or a kind (the first live one)")
    slow: str | None = Field(None, description="component id, or a kind")
    factor: float = Field(3.0, gt=1, le=1000, description="slow: how many times longer requests take")
    hot_key: HotKeySpec | None = None
    outage: str | None = Field(None, description="region whose data centre goes out")
    errors: str | None = Field(None, description="component id, or a kind, that answers a share of its requests with an error")
    share: float = Field(0.5, gt=0, le=1, description="errors: the share of requests answered with an error")

    @model_validator(mode="after")
    def _one_action(self) -> "EventSpec":
        present = [a for a in EVENT_ACTIONS if getattr(self, a) is not None]
        if len(present) > 1:
            raise ValueError(f"one event does one thing; this one has {', '.join(present)}")
        if not present and not self.say:
            raise ValueError(f"an event needs one of {', '.join(EVENT_ACTIONS)}, or say")
        if self.over and self.traffic is None:
            raise ValueError("over belongs to traffic changes")
        if "factor" in self.model_fields_set and self.slow is None:
            raise ValueError("factor belongs to slow events")
        if "share" in self.model_fields_set and self.errors is None:
            raise ValueError("share belongs to errors events")
        return self

    @property
    def action(self) -> str:
        for a in EVENT_ACTIONS:
            if getattr(self, a) is not None:
                return a
        return "say"


class ServersEstimate(Strict):
    """How many servers of a size carry a load at a utilization (the utilization law)."""

    rps: float = Field(gt=0, le=1e9)
    kind: Kind = "web"
    size: SizeName
    utilization: float = Field(0.7, gt=0, le=1)


class HitRateEstimate(Strict):
    """The hit rate of an LRU cache of `items` over `keys` Zipf keys (Che's approximation)."""

    items: int = Field(ge=1, le=10**9)
    keys: int = Field(ge=1, le=10**9)
    zipf: float = Field(0.9, ge=0, le=3)


class InFlightEstimate(Strict):
    """How many requests are in flight at a rate and a latency (Little's law)."""

    rps: float = Field(gt=0, le=1e9)
    latency_ms: float = Field(gt=0, le=1e7)


ESTIMATE_KINDS = ("servers", "hit_rate", "in_flight")


class EstimateSpec(Strict):
    """A back-of-the-envelope question the game pauses for at `at`."""

    at: Duration
    ask: str = Field(min_length=1, max_length=400)
    servers: ServersEstimate | None = None
    hit_rate: HitRateEstimate | None = None
    in_flight: InFlightEstimate | None = None
    tolerance: float = Field(0.15, gt=0, le=1, description="relative error still counted right")

    @model_validator(mode="after")
    def _one_kind(self) -> "EstimateSpec":
        kinds = [k for k in ESTIMATE_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"an estimate needs exactly one of {', '.join(ESTIMATE_KINDS)}")
        return self


class ScenarioSpec(Strict):
    name: Name
    title: str | None = None
    brief: str = ""
    concept: str = ""
    difficulty: int = Field(1, ge=1, le=5)
    hints: list[str] = Field(default_factory=list)
    par_cost: float | None = Field(None, ge=0, le=1e9, description="cost of a good solution, for the third star")
    duration: Duration
    seed: int = Field(1, ge=0, lt=2**63)
    tick: Literal[0.25, 0.5, 1, 1.0, 2, 2.0] = 1.0  # type: ignore[valid-type]  # pydantic checks float literals
    report_every: Duration = 60.0
    slo: SloSpec = Field(default_factory=SloSpec)
    budget_per_hour: float | None = Field(None, gt=0, le=1_000_000)
    budget_mode: Literal["refuse", "penalty"] = "refuse"
    traffic: TrafficSpec = Field(default_factory=TrafficSpec)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    sharding: ShardingSpec = Field(default_factory=ShardingSpec)
    catalog: dict[Kind, KindSpecFile] = Field(default_factory=dict)
    topology: list[TopologyEntry] = Field(default_factory=list)
    events: list[EventSpec] = Field(default_factory=list)
    allow: list[Kind] = Field(default_factory=lambda: list(KINDS))
    estimates: list[EstimateSpec] = Field(default_factory=list, max_length=20)

    @field_validator("duration")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("the duration must be longer than 0s")
        if v > 7 * 86400:
            raise ValueError("a scenario lasts at most 7d")
        return v

    @field_validator("report_every")
    @classmethod
    def _report(cls, v: float) -> float:
        if v < 1:
            raise ValueError("report_every must be at least 1s")
        return v


# --- plans ----------------------------------------------------------------------------


class AutoscaleSpec(Strict):
    min: int = Field(1, ge=1, le=MAX_COMPONENTS)
    max: int = Field(10, ge=1, le=MAX_COMPONENTS)
    target: float = Field(0.6, ge=0.05, le=0.95, description="utilization to aim at (0-1)")
    warmup: Duration = Field(120.0, description="time before the rule acts again")

    @model_validator(mode="after")
    def _range(self) -> "AutoscaleSpec":
        if self.min > self.max:
            raise ValueError("min cannot be more than max")
        return self


def _ttl(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("none", "never", "off"):
        return math.inf
    return parse_duration(value)


Ttl = Annotated[
    float,
    Field(allow_inf_nan=True),  # none is math.inf; parse_duration refuses a written .inf
    BeforeValidator(_ttl),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
                {"enum": ["none"]},
            ],
            "description": "a duration, or none for no expiry",
        }
    ),
]

def _in_flight(value: Any) -> Any:
    """`max_in_flight: 200`, or `off` (no limit: 0)."""
    if isinstance(value, str) and value.strip().lower() == "off":
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000_000:
        raise ValueError(f"max_in_flight is a number of requests from 1 to 10,000,000, or off; not {value!r}")
    return value


InFlight = Annotated[
    int,
    BeforeValidator(_in_flight),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": 10_000_000}, {"enum": ["off"]}],
            "description": "most requests in flight behind a load balancer, or off",
        }
    ),
]

class BreakerSpec(Strict):
    error_rate: float = Field(0.5, ge=0.05, le=1.0, description="share of failed calls in a second that opens it (0-1)")
    open_for: Duration = Field(10.0, description="how long it stays open before a probe")


PLAN_VERBS = ("add", "remove", "upgrade", "promote", "configure")
CONFIGURE_KEYS = ("ttl", "failover", "autoscale", "shards", "sharding", "invalidate", "on_write", "denormalize",
                  "max_in_flight", "breaker", "db_timeout", "db_retries")


class ActionSpec(Strict):
    at: Duration
    add: Kind | None = None
    remove: str | None = None
    upgrade: str | None = None
    promote: str | None = None
    configure: str | None = Field(None, description="a component id, or a kind (all of that kind)")
    size: SizeName | None = None
    count: int = Field(1, ge=1, le=100)
    region: Name | None = None
    of: str | None = None
    ttl: Ttl | None = None
    failover: Literal["auto", "manual"] | None = None
    autoscale: AutoscaleSpec | Literal["off"] | None = None
    shards: int | None = Field(None, ge=1, le=64)
    sharding: Literal["mod", "consistent"] | None = Field(
        None, description="database: reshard to hash mod n or to a consistent-hash ring")
    invalidate: StrictBool = False
    max_in_flight: InFlight | None = Field(
        None,
        description="load balancers: most requests in flight behind it; the rest are shed at once (off: no limit)")
    breaker: BreakerSpec | Literal["off"] | None = Field(
        None, description="web: a circuit breaker on the web tier's calls to the database, or off")
    db_timeout: Ttl | None = Field(None, description="web: how long a web server waits for the database (or none)")
    db_retries: int | None = Field(None, ge=0, le=5, description="web: attempts after a failed database call")
    denormalize: StrictBool | None = Field(
        None,
        description="database: copy what fan-out reads need to the shards they would read "
                    "(each then reads one shard; each write is written to that many)",
    )
    on_write: Literal["invalidate", "update", "none"] | None = Field(
        None, description="caches: what a write does to its key's entry (delete it, replace it, or leave it)"
    )

    @model_validator(mode="after")
    def _one_verb(self) -> "ActionSpec":
        verbs = [v for v in PLAN_VERBS if getattr(self, v) is not None]
        if len(verbs) != 1:
            if not verbs:
                raise ValueError(f"an action needs one of {', '.join(PLAN_VERBS)}")
            raise ValueError(f"one action does one thing; this one has {', '.join(verbs)}")
        verb = verbs[0]
        extras = {
            "size": ("add", "upgrade"),
            "count": ("add",),
            "region": ("add",),
            "of": ("add",),
            "ttl": ("configure",),
            "failover": ("configure",),
            "autoscale": ("configure",),
            "shards": ("configure",),
            "sharding": ("configure",),
            "invalidate": ("configure",),
            "max_in_flight": ("configure",),
            "breaker": ("configure",),
            "db_timeout": ("configure",),
            "db_retries": ("configure",),
            "denormalize": ("configure",),
            "on_write": ("configure",),
        }
        for key, verbs_ok in extras.items():
            if key in self.model_fields_set and verb not in verbs_ok:
                raise ValueError(f"{key} does not go with {verb}")
        if verb == "upgrade" and self.size is None:
            raise ValueError("upgrade needs a size")
        if verb == "configure" and not (set(CONFIGURE_KEYS) & self.model_fields_set):
            raise ValueError(f"configure needs {', '.join(CONFIGURE_KEYS[:-1])} or {CONFIGURE_KEYS[-1]}")
        return self

    @property
    def verb(self) -> str:
        return next(v for v in PLAN_VERBS if getattr(self, v) is not None)


class EstimateAnswerSpec(Strict):
    at: Duration = Field(description="the time of the scenario's estimate this answers")
    answer: float = Field(ge=0, le=1e12)


class PlanSpec(Strict):
    scenario: str | None = Field(None, description="the scenario this plan plays (name or path)")
    seed: int | None = Field(None, ge=0, lt=2**63)
    actions: list[ActionSpec] = Field(default_factory=list)
    estimates: list[EstimateAnswerSpec] = Field(default_factory=list, description="answers to the scenario's estimates")

