"""Where requests go: the route plan, rebuilt whenever the topology or health changes.

Both data planes follow the same plan, so the flow engine and the exact per-request
model differ only in how stations behave, never in where a request is sent.

Paths, per data centre:
  static   CDN edge (if any) -> on a miss: [load balancer] -> web
  read     [load balancer] -> web -> [session store] -> [cache node by key hash]
           -> on a miss: a copy of the key's shard group in the same region (its
           replicas, else its primary), a remote copy only when no local one can serve
  write    [load balancer] -> web -> [session store] -> the key's shard primary
  async    [load balancer] -> web -> [session store] -> message queue (or done inline
           on the web server when there is no queue)
A data centre without a load balancer is reached at its first web server only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.sim.components import (
    Cache,
    Cdn,
    Component,
    Database,
    MessageQueue,
    SessionStore,
    WebServer,
    Worker,
)
from scaletui.sim.components.datacenter import REGION_FAILOVER_S
from scaletui.sim.components.load_balancer import HEALTH_CHECK_S
from scaletui.sim.config import Network
from scaletui.sim.keyspace import HOT_KEY, KeySpace
from scaletui.sim.sharding import Sharding
from scaletui.sim.topology import Topology
from scaletui.sim.summation import plain_sum


@dataclass(slots=True)
class Option:
    """One station a tier may send a request to, with its share and network delay."""

    comp: Component
    weight: float
    delay: float  # seconds of network to reach it and back


@dataclass(slots=True)
class Tier:
    options: list[Option]
    missing: str | None = None  # why nothing can serve, when options is empty

    def __bool__(self) -> bool:
        return bool(self.options)


@dataclass
class CacheRing:
    """Cache nodes that share the key space by hash (crashed nodes stay: they miss)."""

    nodes: list[Cache]
    delay: float


@dataclass
class DcRoute:
    region: str
    entry: Tier  # load balancers, or the first web server when there is none
    has_lb: bool
    web: Tier
    sessions: Tier | None  # None: no session store reachable, the web tier is stateful
    cache: CacheRing | None
    reads: list[Tier]  # per database group position
    writes: list[Tier]
    queue: Tier | None  # None: async work runs inline on the web server

    @property
    def stateful(self) -> bool:
        return self.sessions is None


@dataclass
class RoutePlan:
    version: int
    valid_until: float
    dc_for: dict[str, tuple[DcRoute | None, float]]  # user region -> (route, client rtt)
    routes: dict[str, DcRoute]
    cdn: Cdn | None
    group_indices: list[int]
    group_shares: tuple[float, ...]
    hot_group: int  # position of the group holding the hot key
    sharding: Sharding  # how keys map to the group positions
    unreachable: dict[str, str] = field(default_factory=dict)  # user region -> why no DC serves it
    queues: list[MessageQueue] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    def group_position_of_key(self, key: int) -> int:
        return self.sharding.of(key) if len(self.group_indices) > 1 else 0


def capacity_weight(comp: Component) -> float:
    """A member's share of its tier: its nominal capacity (slow-downs are not seen)."""
    spec = comp.size_spec
    if spec.workers <= 0 or spec.service_ms <= 0:
        return 1.0
    return spec.workers / spec.service_ms


def _alive(comp: Component, now: float, detect: float) -> tuple[bool, float]:
    """Whether routing still sends to it, and until when that view holds.

    A crashed node keeps receiving (and failing) requests until it is detected.
    """
    if comp.booting(now):
        return False, math.inf
    dc = comp.dc
    if dc is not None and dc is not comp and dc.booting(now):
        return False, math.inf  # its data centre is still being built
    since = comp.unreachable_since()
    if since is None:
        return True, math.inf
    if now < since + detect:
        return True, since + detect
    return False, math.inf


class Router:
    def __init__(self, topology: Topology, network: Network, keys: KeySpace, user_regions: tuple[str, ...]) -> None:
        self.topology = topology
        self.network = network
        self.keys = keys
        self.user_regions = user_regions
        self._plan: RoutePlan | None = None
        # Geo-DNS: the data centre each user region is sent to. It changes at once to a
        # better site that can serve, but away from a failing one only after the
        # region failover window.
        self._dns: dict[str, str] = {}
        self._failing_seen: dict[str, float] = {}  # site -> when a plan first saw it unable to serve

    def plan(self, now: float) -> RoutePlan:
        p = self._plan
        if p is None or p.version != self.topology.version or now >= p.valid_until:
            p = self._plan = self._build(now)
        return p

    def invalidate(self) -> None:
        self._plan = None

    # --- building ---------------------------------------------------------------------
    def _delay(self, src: str, comp: Component) -> float:
        d = self.network.hop_ms / 1000.0
        if comp.region != src:
            d += self.network.cross_region_ms / 1000.0
        return d

    def _tier(self, src: str, comps: list[Component], now: float, missing: str) -> tuple[Tier, float]:
        """Split over the live members in proportion to their capacity (as least-connections
        balancing ends up doing), local ones first; remote only if none is local."""
        valid = math.inf
        live: list[Component] = []
        for c in comps:
            ok, until = _alive(c, now, HEALTH_CHECK_S)
            valid = min(valid, until)
            if ok:
                live.append(c)
        local = [c for c in live if c.region == src]
        chosen = local or live
        if not chosen:
            restarting = [c for c in comps if c.booting(now)]
            if restarting:
                c = restarting[0]
                missing = f"{c.id} is {c.booting_reason or 'booting'}" + (
                    f" and there is no other {c.kind_spec.title.lower()}" if len(comps) == 1 else "")
            return Tier([], missing), valid
        caps = [capacity_weight(c) for c in chosen]
        total = plain_sum(caps)
        return Tier([Option(c, w / total, self._delay(src, c)) for c, w in zip(chosen, caps)]), valid

    def _build(self, now: float) -> RoutePlan:
        topo = self.topology
        valid = math.inf
        routes: dict[str, DcRoute] = {}
        groups = topo.groups()
        group_indices = [g.index for g in groups if g.index < topo.shard_count] or [0]
        sharding = Sharding(len(group_indices), topo.shard_scheme, topo.vnodes)
        shares = self.keys.partition_shares(sharding)
        hot_group = sharding.of(HOT_KEY)

        for region in topo.regions():
            dc = topo.datacenter(region)
            if dc is None or dc.crashed or dc.booting(now):
                continue
            # New components still provisioning count for nothing yet; one restarting
            # after an upgrade still holds its place (and fails while it restarts).
            lbs = [c for c in topo.in_region(region, "load_balancer") if c.in_service]
            webs = topo.in_region(region, "web")
            has_lb = bool(lbs)
            if has_lb:
                entry, v = self._tier(region, lbs, now, "every load balancer is down")
                valid = min(valid, v)
                web, v = self._tier(region, webs, now, "no healthy web server")
                valid = min(valid, v)
                # Behind a load balancer only local web servers count.
                web.options = [o for o in web.options if o.comp.region == region]
                if not web.options:
                    web.missing = web.missing or "no healthy web server"
            else:
                ready = [w for w in webs if not w.booting(now)]
                if ready:
                    first = min(ready, key=lambda c: c.seq)
                    entry = Tier([Option(first, 1.0, self._delay(region, first))])
                elif webs:
                    w = min(webs, key=lambda c: c.seq)
                    entry = Tier([], f"{w.id} is {w.booting_reason or 'booting'} and there is no other web server")
                else:
                    entry = Tier([], f"there is no web server in {region}")
                web = Tier([])
            stores = [c for c in topo.of_kind("session_store") if c.in_service]
            sessions: Tier | None = None
            if stores:
                sessions, v = self._tier(region, stores, now, "every session store is down")
                valid = min(valid, v)
            cache = self._cache_ring(region, now)
            reads: list[Tier] = []
            writes: list[Tier] = []
            by_index = {g.index: g for g in groups}
            for gi in group_indices:
                g = by_index.get(gi)
                rt, wt, v = self._group_tiers(region, g, now)
                valid = min(valid, v)
                reads.append(rt)
                writes.append(wt)
            qs = [c for c in topo.of_kind("queue") if c.in_service]
            queue: Tier | None = None
            if qs:
                queue, v = self._tier(region, qs, now, "every message queue is down")
                valid = min(valid, v)
            routes[region] = DcRoute(region, entry, has_lb, web, sessions, cache, reads, writes, queue)

        dc_for: dict[str, tuple[DcRoute | None, float]] = {}
        why_not: dict[str, str] = {}
        order = list(self.user_regions) + [r for r in routes if r not in self.user_regions]
        healthy = {r for r, route in routes.items() if self._serves(route)}
        for r in healthy:
            self._failing_seen.pop(r, None)
        viable = [r for r in order if r in healthy]
        for region in self.user_regions:
            target, until = self._geo_dns(region, healthy, viable, routes, now)
            valid = min(valid, until)
            route = routes.get(target) if target is not None else None
            if route is not None:
                dc_for[region] = (route, 0.0 if target == region else self.network.cross_region_ms / 1000.0)
            else:
                dc_for[region] = (None, 0.0)
                why_not[region] = self._why_unreachable(region, target, routes, healthy, now)

        cdn = None
        for c in topo.of_kind("cdn"):
            if isinstance(c, Cdn) and c.serving(now):
                cdn = c
                break
        return RoutePlan(
            version=topo.version,
            valid_until=valid,
            dc_for=dc_for,
            routes=routes,
            cdn=cdn,
            group_indices=group_indices,
            group_shares=shares,
            hot_group=hot_group,
            sharding=sharding,
            unreachable=why_not,
            queues=[q for q in topo.of_kind("queue") if isinstance(q, MessageQueue)],
            workers=[w for w in topo.of_kind("worker") if isinstance(w, Worker)],
        )

    @staticmethod
    def _serves(route: DcRoute) -> bool:
        """Whether a site answers its users: an entry that works and a web tier behind it."""
        if not route.entry:
            return False
        if route.has_lb:
            return bool(route.web)
        return route.entry.options[0].comp.reachable()

    def _geo_dns(self, region: str, healthy: set[str], viable: list[str], routes: dict[str, DcRoute],
                 now: float) -> tuple[str | None, float]:
        """The site a user region is sent to now, and until when that answer holds."""
        cur = self._dns.get(region)
        best = region if region in healthy else (viable[0] if viable else None)
        until = math.inf
        if best is None:
            # Nothing can serve: users keep going where they went (and fail there).
            if cur is not None and self.topology.datacenter(cur) is not None:
                target: str | None = cur
            else:
                target = region if region in routes else None
        elif cur is None or cur == best or cur in healthy or self.topology.datacenter(cur) is None:
            target = best
        else:
            # Its site cannot serve: users are sent there (and fail) until site health
            # checks notice and the geo-DNS answers expire.
            switch_at = self._failing_since(cur, routes.get(cur), now) + REGION_FAILOVER_S
            if now >= switch_at:
                target = best
            else:
                target, until = cur, switch_at
        if target is not None:
            self._dns[region] = target
        return target, until

    def _failing_since(self, site: str, route: DcRoute | None, now: float) -> float:
        """Since when a site cannot serve: its outage, or the loss of its last entry or web server."""
        dc = self.topology.datacenter(site)
        if dc is not None and dc.crashed and dc.down_since is not None:
            return dc.down_since
        members: list[Component] = []
        if route is not None:
            if not route.has_lb:
                members = [o.comp for o in route.entry.options]
            elif not route.entry:
                members = [c for c in self.topology.in_region(site, "load_balancer") if c.in_service]
            else:
                members = self.topology.in_region(site, "web")
        downs = [c.unreachable_since() for c in members]
        if members and all(d is not None for d in downs):
            return max(d for d in downs if d is not None)
        # Members restarting or still provisioning: failing since a plan first saw it.
        return self._failing_seen.setdefault(site, now)

    def _why_unreachable(self, region: str, target: str | None, routes: dict[str, DcRoute],
                         healthy: set[str], now: float) -> str:
        """Why users of a region get no answer at all (said as precisely as possible)."""
        site = target or region
        dc = self.topology.datacenter(site)
        if dc is not None and dc.crashed:
            if healthy:
                return f"region {site} is out; geo-DNS still sends users there"
            return f"region {site} is out and no other data centre can serve its users"
        if dc is not None and dc.booting(now):
            return f"{dc.id} is still being built and no other data centre can serve"
        reasons = [r.entry.missing for r in routes.values() if r.entry.missing]
        return reasons[0] if reasons else f"no data centre can serve users in {region}"

    def _cache_ring(self, region: str, now: float) -> CacheRing | None:
        nodes = [c for c in self.topology.of_kind("cache") if isinstance(c, Cache) and not c.booting(now)]
        local = [c for c in nodes if c.region == region]
        chosen = local or nodes
        if not chosen:
            return None
        chosen.sort(key=lambda c: c.seq)
        return CacheRing(chosen, self._delay(region, chosen[0]))

    def _group_tiers(self, region: str, g, now: float) -> tuple[Tier, Tier, float]:
        valid = math.inf
        if g is None:
            missing = Tier([], "that shard has no database")
            return missing, missing, valid
        primary: Database | None = g.primary
        # Writes: the primary, unless it is missing, booting or being replaced.
        if primary is None:
            wt = Tier([], "the database primary is gone")
        elif primary.booting(now):
            wt = Tier([], f"{primary.id} is {primary.booting_reason or 'booting'}")
        elif primary.promoting_until is not None and now < primary.promoting_until:
            wt = Tier([], f"{primary.id} is being promoted")
            valid = min(valid, primary.promoting_until)
        else:
            wt = Tier([Option(primary, 1.0, self._delay(region, primary))])
        rt, v = self._read_tier(region, g, wt, now)
        return rt, wt, min(valid, v)

    def _read_tier(self, region: str, g, wt: Tier, now: float) -> tuple[Tier, float]:
        """Reads go to a copy of the data in the users' own region when there is one: its
        replicas, else its primary. Only when no local copy can serve do they cross to
        another region (its replicas, else the primary). A primary that is being
        promoted still answers reads: it was a replica a moment ago."""
        valid = math.inf
        primary: Database | None = g.primary
        copies: list[Component] = []
        for r in g.replicas:
            if r.booting(now):
                continue
            ok, until = _alive(r, now, HEALTH_CHECK_S)
            valid = min(valid, until)
            if ok:
                copies.append(r)
        primary_ok = False
        if primary is not None and not primary.booting(now):
            primary_ok, until = _alive(primary, now, HEALTH_CHECK_S)
            valid = min(valid, until)
        for local in (True, False):
            replicas = [c for c in copies if (c.region == region) == local]
            if replicas:
                caps = [capacity_weight(c) for c in replicas]
                total = plain_sum(caps)
                return Tier([Option(c, w / total, self._delay(region, c)) for c, w in zip(replicas, caps)]), valid
            if primary_ok and primary is not None and (primary.region == region) == local:
                return Tier([Option(primary, 1.0, self._delay(region, primary))]), valid
        # No copy is known to be alive: reads go where writes go (and fail there), or
        # say why nothing can serve them.
        if wt:
            return Tier(list(wt.options)), valid
        why = wt.missing or "the primary is down"
        if primary is not None and primary.crashed:
            why = f"{primary.id} is down ({primary.down_cause()})"
        return Tier([], f"no database can serve reads: {why} and no replica is up"), valid
