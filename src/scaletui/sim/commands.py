"""Player commands: what can be done to a running topology, and what each one does.

The engine checks only what is physically possible (the component exists, the size is
in the catalog, a replica needs a primary); the game layer adds its rules (what the
scenario allows, the budget) before a command gets here. A refused command changes
nothing.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from scaletui.sim.catalog import KindSpec
from scaletui.sim.db_calls import BreakerRule

from scaletui.sim.components import Cache, Cdn, Database, Datacenter, LoadBalancer, MessageQueue, WebServer
from scaletui.sim.sharding import SCHEME_NAMES
from scaletui.sim.staleness import WRITE_POLICIES

if TYPE_CHECKING:
    from scaletui.sim.engine import Engine


@dataclass(frozen=True)
class Add:
    kind: str
    size: str | None = None
    count: int = 1
    region: str | None = None
    of: str | None = None  # replicas: which primary they follow (default: the database)


@dataclass(frozen=True)
class Remove:
    target: str


@dataclass(frozen=True)
class Upgrade:
    target: str
    size: str


@dataclass(frozen=True)
class Promote:
    target: str


@dataclass(frozen=True)
class AutoscaleRule:
    min: int = 1
    max: int = 10
    target: float = 0.6  # utilization the rule aims at
    warmup: float = 120.0  # seconds before the rule acts again


@dataclass(frozen=True)
class Configure:
    """Change settings. `target` is a component id or a kind (every one of that kind)."""

    target: str
    ttl: float | None = None  # caches, CDN: seconds (math.inf = no expiry)
    failover: str | None = None  # database nodes: "auto" or "manual"
    autoscale: AutoscaleRule | None = None  # web: the rule
    autoscale_off: bool = False
    shards: int | None = None  # database: number of key ranges
    sharding: str | None = None  # database: "mod" (hash mod n) or "consistent" (a hash ring)
    invalidate: bool = False  # CDN or cache: empty it now
    max_in_flight: int | None = None  # load balancers: shed what exceeds it (0: no limit)
    # The web tier's calls to the database (one policy for the tier):
    breaker: BreakerRule | None = None  # a circuit breaker on them
    breaker_off: bool = False
    db_timeout: float | None = None  # seconds a web server waits for one (math.inf: no limit)
    db_retries: int | None = None  # attempts after a failed or timed-out one
    denormalize: bool | None = None  # database: copy fan-out data to every shard it reads (or stop)
    on_write: str | None = None  # caches: what a write does to its key's entry (staleness.py)


Command = Union[Add, Remove, Upgrade, Promote, Configure]


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    message: str
    ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


def refuse(message: str) -> CommandResult:
    return CommandResult(False, message)


NAMES = {
    "load_balancer": ("load balancer", "load balancers"),
    "web": ("web server", "web servers"),
    "session_store": ("session store", "session stores"),
    "cache": ("cache node", "cache nodes"),
    "cdn": ("CDN", "CDNs"),
    "database": ("database", "databases"),
    "replica": ("replica", "replicas"),
    "shard": ("shard", "shards"),
    "queue": ("message queue", "message queues"),
    "worker": ("worker", "workers"),
    "datacenter": ("data centre", "data centres"),
}


def kind_name(kind: str, count: int = 1) -> str:
    one, many = NAMES.get(kind, (kind, kind + "s"))
    return one if count == 1 else many


def describe(cmd: Command) -> str:
    if isinstance(cmd, Add):
        n = f"{cmd.count} " if cmd.count != 1 else ""
        size = f" ({cmd.size})" if cmd.size else ""
        where = f" in {cmd.region}" if cmd.region else ""
        of = f" following {cmd.of}" if cmd.of else ""
        return f"add {n}{kind_name(cmd.kind, cmd.count)}{size}{where}{of}"
    if isinstance(cmd, Remove):
        return f"remove {cmd.target}"
    if isinstance(cmd, Upgrade):
        return f"resize {cmd.target} to {cmd.size}"  # up or down: it does not know which
    if isinstance(cmd, Promote):
        return f"promote {cmd.target}"
    parts = []
    if cmd.ttl is not None:
        parts.append("ttl none" if cmd.ttl == math.inf else f"ttl {cmd.ttl:g}s")
    if cmd.failover:
        parts.append(f"failover {cmd.failover}")
    if cmd.autoscale is not None:
        a = cmd.autoscale
        parts.append(f"autoscale {a.min}-{a.max} at {a.target:.0%} (warm-up {a.warmup:g}s)")
    if cmd.autoscale_off:
        parts.append("autoscale off")
    if cmd.shards is not None:
        parts.append(f"shards {cmd.shards}")
    if cmd.sharding is not None:
        parts.append(f"sharding by {SCHEME_NAMES.get(cmd.sharding, cmd.sharding)}")
    if cmd.invalidate:
        parts.append("invalidate")
    if cmd.max_in_flight is not None:
        parts.append(f"max in flight {cmd.max_in_flight}" if cmd.max_in_flight else "max in flight off")
    if cmd.breaker is not None:
        parts.append(f"breaker at {cmd.breaker.error_rate:.0%} errors, open {cmd.breaker.open_for:g}s")
    if cmd.breaker_off:
        parts.append("breaker off")
    if cmd.db_timeout is not None:
        parts.append("db_timeout none" if cmd.db_timeout == math.inf else f"db_timeout {cmd.db_timeout * 1000:g}ms")
    if cmd.db_retries is not None:
        parts.append(f"db_retries {cmd.db_retries}")
    if cmd.denormalize is not None:
        parts.append("denormalize" if cmd.denormalize else "normalize")
    if cmd.on_write is not None:
        parts.append(f"on write {cmd.on_write}")
    return f"configure {cmd.target}: " + ", ".join(parts)


# --- checks shared by the engine and plan checking -------------------------------------
# One wording for each refusal, whether a plan is checked before it runs or a command
# reaches the engine.


def size_problem(spec: KindSpec, size: str) -> str | None:
    """Why `size` is not a size of this kind (naming the closest), or None."""
    if size in spec.size_names:
        return None
    close = difflib.get_close_matches(size, spec.size_names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (f"{kind_name(spec.kind)} comes in {', '.join(spec.size_names)}, not '{size}' "
            f"(the largest is {spec.largest.name}){hint}")


def unknown_component(target: str, ids: list[str], when: str = "") -> str:
    """Refusal for a name that is no component (`when`: e.g. " at that time")."""
    close = difflib.get_close_matches(target, ids, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    shown = ", ".join(i for i in ids if not i.startswith("dc-")) or "nothing"
    return f"there is no component '{target}'{when}{hint} (there are: {shown})"


# --- application ----------------------------------------------------------------------


def apply_command(engine: "Engine", cmd: Command) -> CommandResult:
    if isinstance(cmd, Add):
        return _add(engine, cmd)
    if isinstance(cmd, Remove):
        return _remove(engine, cmd)
    if isinstance(cmd, Upgrade):
        return _upgrade(engine, cmd)
    if isinstance(cmd, Promote):
        return _promote(engine, cmd)
    if isinstance(cmd, Configure):
        return _configure(engine, cmd)
    return refuse(f"unknown command {cmd!r}")


def _add(e: "Engine", cmd: Add) -> CommandResult:
    cat = e.catalog
    if cmd.kind not in cat:
        return refuse(f"there is no component kind '{cmd.kind}'")
    spec = cat[cmd.kind]
    size = cmd.size or spec.default_size
    problem = size_problem(spec, size)
    if problem:
        return refuse(problem)
    if cmd.count < 1:
        return refuse("count must be at least 1")
    region = cmd.region or e.config.home_region
    topo = e.topology
    if cmd.kind == "datacenter":
        if cmd.count != 1:
            return refuse("add data centres one at a time")
        if topo.datacenter(region) is not None:
            return refuse(f"there is already a data centre in {region}")
        if region not in e.known_regions():
            return refuse(f"no users are in '{region}'; regions: {', '.join(e.known_regions())}")
    else:
        dc = topo.datacenter(region)
        if dc is None:
            return refuse(f"there is no data centre in {region}; add one first")
    if cmd.kind == "cdn" and topo.of_kind("cdn"):
        return refuse("a CDN is already in place (it has edges in every region)")
    if cmd.kind == "database":
        g = topo.group(0)
        if g is not None and g.primary is not None:
            return refuse(f"{g.primary.id} is already the primary; add replicas or shards")
    if cmd.kind == "shard":
        return e.reshard(topo.shard_count + cmd.count, size)
    primary = None
    if cmd.kind == "replica":
        primary = _primary_for_replica(e, cmd.of)
        if isinstance(primary, CommandResult):
            return primary
    ids = []
    ready = e.now
    for _ in range(cmd.count):
        comp = e.create(cmd.kind, size, region, boot=True)
        if primary is not None and isinstance(comp, Database):
            comp.group = primary.group
            comp.apply_backlog = 0.0
        ids.append(comp.id)
        ready = comp.ready_at if comp.ready_at is not None else ready
    what = ", ".join(ids)
    wait = f"ready in {ready - e.now:g}s"
    dc = e.topology.datacenter(region)
    if cmd.kind != "datacenter" and dc is not None and dc.ready_at is not None and ready >= dc.ready_at:
        wait += f", when {dc.id} is built"
    return CommandResult(True, f"{what}: provisioning, {wait}", tuple(ids))


def _primary_for_replica(e: "Engine", of: str | None):
    topo = e.topology
    if of is None:
        g = topo.group(0)
        if g is None or g.primary is None:
            return refuse("a replica needs a database primary to follow")
        return g.primary
    node = topo.get(of)
    if not isinstance(node, Database):
        return refuse(f"'{of}' is not a database node a replica could follow")
    g = topo.group(node.group)
    if g is None or g.primary is None:
        return refuse(f"the group of {of} has no primary to follow")
    return g.primary


def _remove(e: "Engine", cmd: Remove) -> CommandResult:
    comp = e.topology.get(cmd.target)
    if comp is None:
        return refuse(unknown_component(cmd.target, e.topology.ids()))
    if isinstance(comp, Datacenter):
        others = [c.id for c in e.topology if c.region == comp.region and c is not comp]
        if others:
            return refuse(f"{comp.id} still hosts {', '.join(others[:4])}{'...' if len(others) > 4 else ''}")
    if isinstance(comp, Database) and comp.is_primary:
        return refuse(f"{comp.id} is a primary: it holds the data of its key range; promote a replica first")
    if isinstance(comp, MessageQueue) and comp.depth >= 1:
        return refuse(f"{comp.id} still holds {comp.depth:,.0f} messages")
    # Still provisioning since it was added: it has served nothing, and, as clouds cancel
    # an order, what it cost so far is refunded (this is how an addition is undone).
    refund = comp.cost_per_hour * (e.now - comp.created_at) / 3600.0 if not comp.in_service else 0.0
    e.remove(comp)
    if refund > 0:
        e.metrics.cost -= refund
        return CommandResult(True, f"{comp.id} removed before it served: {refund:.2f} refunded", (comp.id,))
    return CommandResult(True, f"{comp.id} removed", (comp.id,))


def _upgrade(e: "Engine", cmd: Upgrade) -> CommandResult:
    comp = e.topology.get(cmd.target)
    if comp is None:
        return refuse(unknown_component(cmd.target, e.topology.ids()))
    spec = comp.kind_spec
    if len(spec.sizes) < 2:
        return refuse(f"{comp.id} comes in one size only")
    problem = size_problem(spec, cmd.size)
    if problem:
        return refuse(problem)
    if cmd.size == comp.size:
        return refuse(f"{comp.id} is already {cmd.size}")
    if comp.booting(e.now):
        return refuse(f"{comp.id} is {comp.booting_reason or 'booting'}; wait until it is up")
    if comp.unreachable_since() is not None:
        # A restart does not bring back a dead machine or a lost region.
        return refuse(f"{comp.id} is down ({comp.down_cause()}); only a running node can be upgraded"
                      + (": remove it and add a new one" if comp.crashed else ""))
    e.resize(comp, cmd.size)
    return CommandResult(True, f"{comp.id}: restarting as {cmd.size} ({spec.restart_s:g}s down)", (comp.id,))


def _promote(e: "Engine", cmd: Promote) -> CommandResult:
    comp = e.topology.get(cmd.target)
    if comp is None:
        return refuse(unknown_component(cmd.target, e.topology.ids()))
    if not isinstance(comp, Database) or comp.is_primary:
        return refuse(f"{comp.id} is not a replica")
    if not comp.serving(e.now):
        return refuse(f"{comp.id} is {comp.health(e.now)}; only a running replica can be promoted")
    e.promote(comp, automatic=False)
    return CommandResult(True, f"{comp.id} is being promoted to primary", (comp.id,))


def _configure(e: "Engine", cmd: Configure) -> CommandResult:
    topo = e.topology
    if cmd.target in topo:
        targets = [topo[cmd.target]]
    elif cmd.target in e.catalog:
        targets = topo.of_kind(cmd.target)
        if not targets and cmd.autoscale is None and not cmd.autoscale_off and not db_call_settings(cmd):
            return refuse(f"there is no {cmd.target} to configure")
    else:
        return refuse(f"there is no component or kind '{cmd.target}'")
    done: list[str] = []
    if cmd.ttl is not None:
        if cmd.ttl <= 0:
            return refuse("a TTL must be positive (or none)")
        hit = [c for c in targets if isinstance(c, (Cache, Cdn))]
        if not hit:
            return refuse("only caches and the CDN have a TTL")
        for c in hit:
            c.ttl = cmd.ttl
        done.append("ttl " + ("none" if cmd.ttl == math.inf else f"{cmd.ttl:g}s"))
    if cmd.failover is not None:
        if cmd.failover not in ("auto", "manual"):
            return refuse("failover is 'auto' or 'manual'")
        dbs = [c for c in targets if isinstance(c, Database)]
        if not dbs:
            return refuse("failover is a setting of database nodes")
        for g in {c.group for c in dbs}:
            e.auto_failover[g] = cmd.failover == "auto"
        done.append(f"failover {cmd.failover}")
    if cmd.autoscale is not None or cmd.autoscale_off:
        if cmd.target not in ("web",) and not all(isinstance(c, WebServer) for c in targets):
            return refuse("autoscaling applies to the web tier")
        rule = cmd.autoscale
        if rule is not None:
            if not (1 <= rule.min <= rule.max):
                return refuse("autoscale needs 1 <= min <= max")
            if not (0.05 <= rule.target <= 0.95):
                return refuse("autoscale target utilization must be between 5% and 95%")
        e.autoscaler.configure(None if cmd.autoscale_off else rule)
        done.append("autoscale off" if cmd.autoscale_off else "autoscale on")
    if cmd.shards is not None or cmd.sharding is not None:
        if not any(isinstance(c, Database) for c in targets):
            return refuse("shards and sharding are settings of the database")
        res = e.reshard(cmd.shards, None, cmd.sharding)
        if not res.ok:
            return res
        done.append(res.message)
    if cmd.invalidate:
        hit = [c for c in targets if isinstance(c, (Cache, Cdn))]
        if not hit:
            return refuse("only caches and the CDN can be invalidated")
        for c in hit:
            c.flush(e.now)
        done.append("invalidated")
    if cmd.max_in_flight is not None:
        if cmd.max_in_flight < 0:
            return refuse("max in flight is a number of requests (0: no limit)")
        lbs = [c for c in targets if isinstance(c, LoadBalancer)]
        if not lbs:
            return refuse("max in flight is a setting of load balancers (load shedding)")
        for lb in lbs:
            lb.max_in_flight = cmd.max_in_flight
        e.topology.touch()
        done.append(f"max in flight {cmd.max_in_flight}" if cmd.max_in_flight else "no limit in flight")
    if db_call_settings(cmd):
        problem = _configure_db_calls(e, cmd, targets)
        if problem is not None:
            return refuse(problem)
        done.append("database calls: " + e.db_calls.describe())
    if cmd.denormalize is not None:
        if not any(isinstance(c, Database) for c in targets):
            return refuse("denormalizing is a setting of the database")
        if e.topology.denormalized != cmd.denormalize:
            e.topology.denormalized = cmd.denormalize
            e.topology.touch()  # what each request class costs the shards changed
        done.append("denormalized: fan-out reads read one shard, writes go to every shard they "
                    "would read" if cmd.denormalize else "normalized: fan-out reads read every shard again")
    if cmd.on_write is not None:
        if cmd.on_write not in WRITE_POLICIES:
            return refuse(f"on_write is one of {', '.join(WRITE_POLICIES)}, not '{cmd.on_write}'")
        caches = [c for c in targets if isinstance(c, Cache)]
        if not caches:
            return refuse("on_write is a setting of cache nodes")
        for c in caches:
            c.on_write = cmd.on_write
        done.append(f"on write {cmd.on_write}")
    if not done:
        return refuse("nothing to configure")
    return CommandResult(True, f"{cmd.target}: " + ", ".join(done), tuple(c.id for c in targets))


def db_call_settings(cmd: Configure) -> bool:
    """Whether the command sets the web tier's database-call policy."""
    return cmd.breaker is not None or cmd.breaker_off or cmd.db_timeout is not None or cmd.db_retries is not None


def db_call_problem(cmd: Configure) -> str | None:
    """Why these database-call settings cannot be (None: they can)."""
    b = cmd.breaker
    if b is not None:
        if not (0.05 <= b.error_rate <= 1.0):
            return "a breaker's error_rate must be between 5% and 100%"
        if not (1.0 <= b.open_for <= 3600.0):
            return "a breaker stays open between 1s and 1h (open_for)"
    if cmd.db_timeout is not None and cmd.db_timeout != math.inf and not (0.001 <= cmd.db_timeout <= 600.0):
        return "db_timeout must be between 1ms and 10m (or none)"
    if cmd.db_retries is not None and not (0 <= cmd.db_retries <= 5):
        return "db_retries must be between 0 and 5"
    return None


def _configure_db_calls(e: "Engine", cmd: Configure, targets: list) -> str | None:
    """The web tier's policy toward the database: one for the tier (servers added later
    follow it), so a web server's id stands for its tier."""
    if cmd.target != "web" and not all(isinstance(c, WebServer) for c in targets):
        return "breaker, db_timeout and db_retries are settings of the web tier (configure web)"
    problem = db_call_problem(cmd)
    if problem is not None:
        return problem
    calls = e.db_calls
    if cmd.breaker is not None or cmd.breaker_off:
        calls.set_breaker(None if cmd.breaker_off else cmd.breaker)
    if cmd.db_timeout is not None:
        calls.timeout = None if cmd.db_timeout == math.inf else cmd.db_timeout
    if cmd.db_retries is not None:
        calls.retries = cmd.db_retries
    return None
