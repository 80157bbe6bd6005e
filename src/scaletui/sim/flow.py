"""The flow engine's data plane: a tick of traffic moved as flows through the route plan.

Each tick, the arrivals of each (region, request class) form a flow. A flow passes the
tiers of its path in a fixed order (CDN edge, load balancer, web, session store, cache,
database, message queue); at every tier it is spread over the tier's stations by
their shares. Every station sums what all flows offer it and is evaluated as an
M/M/c/K station, pointwise stationary at that rate: the shed fraction fails there,
the rest moves on with the station's mean response time added. A cache splits a
flow into hits (done) and misses (on to the database).

Means are exact (sums of stage means: stations in series with Poisson input are
independent in steady state). Quantiles come from a few requests sampled per tick
through the same stages, each weighted by the requests it stands for.

Cost per tick is independent of the load: it depends on the number of stations and
flows, never on how many requests they carry.
"""

from __future__ import annotations

import bisect
import math
from itertools import accumulate, chain, repeat
from typing import Callable

from scaletui.sim.async_jobs import job_seconds, jobs_per_second
from scaletui.sim.components import Cache, Component, Database, MessageQueue, WebServer
from scaletui.sim.keyspace import HOT_KEY, partition_of
from scaletui.sim.mmck import IDLE, StationState, sample_response, station_state
from scaletui.sim.plane import PlaneContext
from scaletui.sim.routing import CacheRing, DcRoute, RoutePlan, Tier
from scaletui.sim.sharding import hot_key_moves, moved_request_share
from scaletui.sim.snapshot import Hop, Trace
from scaletui.sim.station_runs import Run, singletons, state_key, station_runs
from scaletui.sim.sticky import SESSION_LOST


DYNAMIC = ("read", "write", "async")

# A pick: (component or None, network delay, state or None, mu for waits, own service mean,
#          label, K of the station at that service time)
Pick = tuple


class Stage:
    """The choices one tier offered to the requests that got through it.

    Held as runs of identical stations: (weight of each, the stations, the rest of their
    pick). The cumulative weights, one per station, are built only when a request is
    drawn through the stage, by the same left-to-right sum as station by station."""

    __slots__ = ("label", "runs", "_cum", "_picks")

    def __init__(self, label: str, weights: list[float], picks: list[Pick]) -> None:
        self.label = label
        self.runs: list[tuple[float, tuple, tuple]] = [(w, (p[0],), p[1:]) for w, p in zip(weights, picks)]
        self._cum: list[float] | None = None
        self._picks: list[Pick] = []

    @classmethod
    def of_runs(cls, label: str, runs: list[tuple[float, tuple, tuple]]) -> "Stage":
        stage = cls(label, [], [])
        stage.runs = runs
        return stage

    def _expand(self) -> list[float]:
        """One cumulative weight and one pick per station (drawing is the hot path)."""
        runs = self.runs
        cum = self._cum = list(accumulate(chain.from_iterable(repeat(w, len(m)) for w, m, _ in runs)))
        self._picks = [(c,) + rest for _, m, rest in runs for c in m]
        return cum

    @property
    def cum(self) -> list[float]:
        return self._cum if self._cum is not None else self._expand()

    @property
    def picks(self) -> list[Pick]:
        if self._cum is None:
            self._expand()
        return self._picks

    def choose(self, u: float) -> Pick:
        cum = self._cum if self._cum is not None else self._expand()
        picks = self._picks
        i = bisect.bisect_left(cum, u * cum[-1])
        return picks[i] if i < len(picks) else picks[-1]


class Flow:
    __slots__ = ("region", "cls", "route", "rate", "count", "mean", "stages", "hot", "shares")

    def __init__(self, region: str, cls: str, route: DcRoute | None, rate: float, count: float,
                 mean: float, stages: tuple[Stage, ...], hot: float,
                 shares: tuple[float, ...] | None = None) -> None:
        self.region = region
        self.cls = cls
        self.route = route
        self.rate = rate
        self.count = count
        self.mean = mean
        self.stages = stages
        self.hot = hot  # fraction of this flow asking for the hot key
        self.shares = shares  # how its keys spread over shards (None: like all requests)

    @property
    def site(self) -> DcRoute:
        """The routes of the data centre serving it (asked only of flows that have one: a
        flow without fails at the edge)."""
        assert self.route is not None
        return self.route

    @property
    def ring(self) -> CacheRing:
        """Its data centre's cache nodes (asked only of reads sent through a cache)."""
        ring = self.site.cache
        assert ring is not None
        return ring


class FailurePoint:
    __slots__ = ("flow", "comp", "reason", "count")

    def __init__(self, flow: Flow, comp: Component | None, reason: str, count: float) -> None:
        self.flow = flow
        self.comp = comp
        self.reason = reason
        self.count = count


# An option of a tier for one flow: (weight of each station, its identical stations or
# None, delay, reason if None); see station_runs.
TierOption = Run


class FlowPlane:
    name = "flow"

    def __init__(self, ctx: PlaneContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.completed: list[Flow] = []
        self.failures: list[FailurePoint] = []
        self._touched: dict[Component, float] = {}
        # Last state of each station under mixed work, by (workers, rate, service):
        # loads repeat tick to tick.
        self._mixed: dict[Component, tuple[tuple[int, float, float], StationState]] = {}
        # Writes a replica's primary has committed that are still in the replication
        # window (shipping and apply stream): rate x window, frozen while the primary
        # is unreachable, since nothing more leaves it then.
        self.in_window: dict[Database, float] = {}
        # Runs of identical stations per tier id (with the shares they were built from), for
        # the plan and topology version they were built from: the plan keeps its tiers
        # alive, so their ids stay theirs.
        self._runs: dict[int, tuple[list[float], list[Run]]] = {}
        self._runs_plan: RoutePlan | None = None
        self._runs_version = -1

    # --- one tick -------------------------------------------------------------------
    def tick(self, t: float, dt: float, plan: RoutePlan, demand: list[tuple[str, str, float, float]]) -> None:
        e = self.ctx
        self.completed = []
        self.failures = []
        self._touched = {}
        if plan is not self._runs_plan or e.topology.version != self._runs_version:
            # Every change to what state_key reads bumps the topology's version.
            self._runs = {}
            self._runs_plan, self._runs_version = plan, e.topology.version
        for comp in e.topology:
            comp.offered = 0.0
            comp.tick_served = 0.0
            comp.tick_failed = 0.0
            if isinstance(comp, Database):
                comp.tick_writes = 0.0
            elif isinstance(comp, Cache):
                comp.tick_hits = 0.0
                comp.tick_lookups = 0.0
        flows = self._edge(t, dt, plan, demand)
        flows = self._sessions_lost(flows)
        flows = self._stage(flows, "lb", lambda f: self._entry(f), t)
        flows = self._stage(flows, "web", lambda f: self._web(f), t)
        flows = self._stage(flows, "session", lambda f: self._session(f), t)
        flows = self._cache_stage(flows, t, plan)
        flows = self._stage(flows, "db", lambda f: self._db(f, plan), t)
        flows = self._stage(flows, "queue", lambda f: self._queue(f), t)
        for f in flows:  # whatever is left has been answered
            self._complete(f)
        self._finish_stations(dt)
        self._jobs(t, dt, plan)
        self._sample(t)
        e.metrics.sessions_lost = e.sticky.sessions_lost

    # --- stages -----------------------------------------------------------------------
    def _edge(self, t: float, dt: float, plan: RoutePlan, demand) -> list[Flow]:
        e = self.ctx
        flows: list[Flow] = []
        cdn = plan.cdn
        hit = 0.0
        if cdn is not None:
            static_rate = sum(r for _, c, r, _ in demand if c == "static")
            hit = e.cdn_hits.hit_rate(cdn.size_spec.items, static_rate, cdn.ttl, t - cdn.started_at)
            cdn.hit_rate = hit
        hot = e.traffic.hot_share
        for region, cls, rate, count in demand:
            e.metrics.arrive(count)
            route, rtt = plan.dc_for[region]
            stages: tuple[Stage, ...] = ()
            mean = rtt
            if rtt > 0:
                stages = (Stage("rtt", [1.0], [(None, rtt, None, 0.0, 0.0, "internet", 0)]),)
            if cls == "static" and cdn is not None:
                d = cdn.edge_delay
                edge = Stage("cdn", [1.0], [(cdn, d, None, 0.0, 0.0, "edge", 0)])
                cdn.offered += rate
                cdn.tick_served += count
                cdn.hits += count * hit
                cdn.lookups += count
                cdn.gigabytes += count * e.config.traffic.static_kb / 1e6
                self._touched[cdn] = rate
                if hit > 0:
                    self._complete(Flow(region, cls, route, rate * hit, count * hit, d, (edge,), 0.0))
                rate, count = rate * (1 - hit), count * (1 - hit)
                mean = d + rtt
                stages = (edge,) + stages
                if count <= 0:
                    continue
            if route is None:
                self._fail(Flow(region, cls, None, rate, count, mean, stages, 0.0), None,
                           plan.unreachable.get(region, f"no data centre can serve users in {region}"), count)
                continue
            flows.append(Flow(region, cls, route, rate, count, mean, stages,
                              hot if cls in ("read", "write") else 0.0))
        return flows

    def _sessions_lost(self, flows: list[Flow]) -> list[Flow]:
        """Users logged out by a web server crash fail their next dynamic request."""
        sticky = self.ctx.sticky
        out = []
        for f in flows:
            frac = sticky.relogin_fraction(f.site.region) if f.cls in DYNAMIC else 0.0
            if frac > 0:
                lost = f.count * frac
                sticky.relogged(f.site.region, lost)
                self._fail(f, None, SESSION_LOST, lost)
                f = Flow(f.region, f.cls, f.route, f.rate * (1 - frac), f.count - lost, f.mean, f.stages, f.hot)
            out.append(f)
        return out

    def _entry(self, f: Flow) -> list[TierOption] | None:
        r = f.site
        tier = r.entry
        if not r.has_lb:
            return None  # the web stage takes it
        return self._options(tier)

    def _web(self, f: Flow) -> list[TierOption] | None:
        r = f.site
        return self._options(r.web if r.has_lb else r.entry)

    def _session(self, f: Flow) -> list[TierOption] | None:
        r = f.site
        if f.cls not in DYNAMIC or r.sessions is None:
            return None
        return self._options(r.sessions)

    def _queue(self, f: Flow) -> list[TierOption] | None:
        r = f.site
        if f.cls != "async" or r.queue is None:
            return None
        return self._options(r.queue)

    def _db(self, f: Flow, plan: RoutePlan) -> list[TierOption] | None:
        if f.cls not in ("read", "write"):
            return None
        tiers = f.site.reads if f.cls == "read" else f.site.writes
        shares = f.shares if f.shares is not None and len(f.shares) == len(tiers) else plan.group_shares
        hot = f.hot
        out: list[TierOption] = []
        for g, tier in enumerate(tiers):
            share = (1 - hot) * shares[g] + (hot if g == plan.hot_group else 0.0)
            if share <= 0:
                continue
            if not tier.options:
                out.append((share, None, 0.0, tier.missing))
                continue
            for o in tier.options:
                out.append((share * o.weight, (o.comp,), o.delay, None))
        return out

    def _options(self, tier: Tier) -> list[TierOption]:
        # Sticky sessions rewrite a stateful tier's shares every tick: reuse runs only
        # for the same shares.
        weights = [o.weight for o in tier.options]
        known = self._runs.get(id(tier))
        if known is not None and known[0] == weights:
            return known[1]
        runs = station_runs(tier)
        self._runs[id(tier)] = (weights, runs)
        return runs

    def _service_mean(self, comp: Component, f: Flow) -> float:
        if f.cls == "async" and isinstance(comp, WebServer) and f.site.queue is None:
            return job_seconds(self.ctx.config.traffic.async_work_ms, comp)
        return comp.service_time

    def _stage(self, flows: list[Flow], label: str, tier_of: Callable[[Flow], list[TierOption] | None], t: float) -> list[Flow]:
        passing: list[Flow] = []
        work: list[tuple[Flow, list[TierOption]]] = []
        for f in flows:
            opts = tier_of(f)
            if opts is None:
                passing.append(f)
                continue
            work.append((f, opts))
        if not _disjoint(work):
            work = [(f, singletons(opts)) for f, opts in work]
        # Per run, keyed by its first station: [rate, work seconds per second, its stations].
        # Every station of a run is offered the same rate by every flow, summed in flow order.
        offered: dict[Component, list] = {}
        writes: dict[Component, float] = {}  # write rate offered to each primary
        for f, opts in work:
            for w, members, _, _ in opts:
                if members is not None and w > 0:
                    comp = members[0]
                    acc = offered.get(comp)
                    if acc is None:
                        acc = offered[comp] = [0.0, 0.0, members]
                    lam = f.rate * w
                    acc[0] += lam
                    acc[1] += lam * self._service_mean(comp, f)
                    if f.cls == "write":
                        writes[comp] = writes.get(comp, 0.0) + lam
        states: dict[Component, tuple[StationState, float]] = {}
        if label == "db":
            self._charge_migration(offered)
            self._charge_applies(t, offered, writes, states)
        # Runs of identical stations apart in the tier (split by a different one) share it too.
        shared: dict[tuple, tuple[StationState, float]] = {}
        for comp, (lam, work_s, members) in offered.items():
            if comp not in states:
                key = (state_key(comp), lam, work_s)
                known = shared.get(key)
                states[comp] = shared[key] = self._station(members, lam, work_s, known)
        for f, opts in work:
            nxt = self._through(f, label, opts, states)
            if nxt is not None:
                passing.append(nxt)
        return passing

    def _station(self, members: tuple[Component, ...], lam: float, work_s: float,
                 known: tuple[StationState, float] | None = None) -> tuple[StationState, float]:
        """State of identical stations, each offered lam requests/s that bring work_s seconds
        of work per second (`known`: already evaluated for identical ones)."""
        service = work_s / lam if lam > 1e-12 and work_s > 0 else members[0].service_time
        return self._evaluate(members, lam, service, known)

    def _charge_migration(self, offered: dict[Component, list]) -> None:
        """While a reshard copies keys, each source and target shard's primary does that
        work too (sim/migration.py), offered as requests of its own service time."""
        m = self.ctx.topology.migration
        if m is None:
            return
        for g in self.ctx.topology.groups():
            p = g.primary
            busy = m.busy_workers(g.index)
            if p is None or busy <= 0 or not p.reachable():
                continue
            acc = offered.setdefault(p, [0.0, 0.0, (p,)])
            acc[0] += busy / p.service_time
            acc[1] += busy

    def _charge_applies(self, t: float, offered: dict[Component, list], writes: dict[Component, float],
                        states: dict[Component, tuple[StationState, float]]) -> None:
        """Replicas replay the writes their primary commits: each takes one of their workers
        for the apply time, so that work joins the reads they are offered (and slows them).

        A replica applies what its primary accepts this tick plus what it fell behind on
        (after being down), at most its apply rate (replication_step's rule)."""
        dt = self.ctx.dt
        for g in self.ctx.topology.groups():
            p = g.primary
            accepted = 0.0
            if p is not None and p in offered:
                states[p] = self._station(*_evaluation_args(offered[p]))
                accepted = writes.get(p, 0.0) * (1.0 - states[p][0].blocking) if p.reachable() else 0.0
            for r in g.replicas:
                if not r.serving(t):
                    continue
                lam = min(accepted + r.apply_backlog / dt, r.apply_rate)
                if lam > 0:
                    acc = offered.setdefault(r, [0.0, 0.0, (r,)])
                    acc[0] += lam
                    acc[1] += lam * r.apply_seconds

    def _evaluate(self, members: tuple[Component, ...], lam: float, service: float,
                  known: tuple[StationState, float] | None = None) -> tuple[StationState, float]:
        """State of identical stations, each at rate lam with this mean service time, computed
        once for all of them (`known`: the state of identical ones); returns (state, mu)."""
        touched = self._touched
        for c in members:
            c.offered += lam
            touched[c] = c.offered
        if known is not None:
            for c in members:
                c.state = known[0]
            return known
        comp = members[0]
        if not comp.reachable():
            for c in members:
                c.state = IDLE
            return IDLE, 0.0
        if abs(service - comp.service_time) < 1e-12:
            st = comp.evaluate(lam)
            mu = comp.mu
        else:
            # Mixed work (async jobs done inline, writes a replica applies): another mean
            # service time, and a queue that holds what it finishes within the timeout.
            mu = 1.0 / service
            key = (comp.workers, lam, service)
            memo = self._mixed.get(comp)
            if memo is not None and memo[0] == key:
                st = memo[1]
            else:
                st = station_state(comp.workers, mu, comp.capacity_for(service), lam)
                self._mixed[comp] = (key, st)
        for c in members:
            c.state = st
        return st, mu

    def _through(self, f: Flow, label: str, opts: list[TierOption], states) -> Flow | None:
        """Move flow f through one tier; returns what got through (None if nothing)."""
        count = f.count
        runs: list[tuple[float, tuple, tuple]] = []
        accepted = 0.0
        mean_acc = 0.0
        writes = f.cls == "write" and label == "db"
        for w, members, delay, missing in opts:
            if w <= 0:
                continue
            if members is None:
                self._fail(f, None, missing or "nothing can serve it", count * w)
                continue
            comp = members[0]  # stands for all of them: they are in the same state
            state, mu = states[comp]
            if isinstance(comp, MessageQueue) and comp.depth >= comp.items:
                lost = count * w
                comp.tick_failed += lost
                self._fail(f, comp, f"{comp.id} is full ({comp.items:,} messages)", lost)
                continue
            if not comp.reachable():
                lost = count * w
                for c in members:
                    c.tick_failed += lost
                    self._fail(f, c, f"{c.id} is down ({c.down_cause()})", lost)
                continue
            a = 1.0 - state.blocking
            if a < 1.0:
                shed = count * w * (1.0 - a)
                for c in members:
                    c.tick_failed += shed
                    self._fail(f, c, f"{c.id} was overloaded and shed it (queue full)", shed)
            if a <= 0:
                continue
            svc = self._service_mean(comp, f)
            wa = w * a
            served = count * wa
            for c in members:
                c.tick_served += served
                if writes and isinstance(c, Database):
                    c.tick_writes += served
            resp = wa * (delay + state.mean_wait + svc)
            for _ in members:  # one addition per station, as station by station
                accepted += wa
                mean_acc += resp
            runs.append((wa, members, (delay, state, mu, svc, label, comp.capacity_for(1.0 / mu))))
        if accepted <= 0:
            return None
        return Flow(f.region, f.cls, f.route, f.rate * accepted, count * accepted,
                    f.mean + mean_acc / accepted, f.stages + (Stage.of_runs(label, runs),), f.hot)

    def _cache_stage(self, flows: list[Flow], t: float, plan: RoutePlan) -> list[Flow]:
        e = self.ctx
        passing: list[Flow] = []
        reads: list[Flow] = []
        ring_rate: dict[int, float] = {}
        for f in flows:
            if f.cls == "read" and f.site.cache is not None:
                reads.append(f)
                key = id(f.ring.nodes[0])
                ring_rate[key] = ring_rate.get(key, 0.0) + f.rate
            else:
                passing.append(f)
        if not reads:
            return passing
        # Offered load per node, then hit rates per node.
        hot_share = e.traffic.hot_share
        offered: dict[Component, float] = {}
        node_data: dict[int, list] = {}
        for f in reads:
            ring = f.ring
            nodes = ring.nodes
            n = len(nodes)
            node_shares = e.keys.partition_shares(n)
            hot_node = partition_of(HOT_KEY, n) if n > 1 else 0
            data = node_data.get(id(ring))
            if data is None:
                data = node_data[id(ring)] = []
                for i, node in enumerate(nodes):
                    data.append(((1 - hot_share) * node_shares[i], hot_share if i == hot_node else 0.0))
            for i, node in enumerate(nodes):
                zw, hw = data[i]
                offered[node] = offered.get(node, 0.0) + f.rate * (zw + hw)
        states: dict[Component, tuple[StationState, float]] = {}
        for cached, lam in offered.items():
            states[cached] = self._evaluate((cached,), lam, cached.service_time)
        hit_of: dict[Component, tuple[float, float]] = {}
        for f in reads:
            ring = f.ring
            total_rate = ring_rate[id(ring.nodes[0])]
            n = len(ring.nodes)
            for node in ring.nodes:
                if node in hit_of:
                    continue
                if not node.reachable():
                    hit_of[node] = (0.0, 0.0)
                    node.hit_rate = 0.0
                    continue
                hit_of[node] = self._hit_rates(node, n, total_rate, hot_share, t)
        for f in reads:
            ring = f.ring
            data = node_data[id(ring)]
            count = f.count
            hit_w: list[float] = []
            miss_w: list[float] = []
            picks: list[Pick] = []
            hit_tot = miss_tot = 0.0
            hit_mean = miss_mean = 0.0
            miss_hot = 0.0
            for i, node in enumerate(ring.nodes):
                zw, hw = data[i]
                zw *= (1 - f.hot) / (1 - hot_share) if hot_share < 1 else 0.0
                hw = hw * (f.hot / hot_share) if hot_share > 0 else 0.0
                w = zw + hw
                if w <= 0:
                    continue
                delay = ring.delay
                hz, hh = hit_of[node]
                if not node.reachable():
                    # Connection refused: the client goes straight to the database. For the
                    # service it is a miss, so it counts in the hit rate.
                    e.metrics.lookups(0.0, count * w)
                    node.tick_lookups += count * w
                    miss_w.append(w)
                    hit_w.append(0.0)
                    picks.append((node, delay, None, 0.0, 0.0, "cache down", 0))
                    miss_tot += w
                    miss_mean += w * delay
                    miss_hot += hw
                    continue
                state, mu = states[node]
                a = 1.0 - state.blocking
                if a < 1.0:
                    shed = count * w * (1 - a)
                    node.tick_failed += shed
                    self._fail(f, node, f"{node.id} was overloaded and shed it (queue full)", shed)
                resp = delay + state.mean_wait + node.service_time
                hits = zw * a * hz + hw * a * hh
                misses = w * a - hits
                node.tick_served += count * w * a
                node.hits += count * hits
                node.lookups += count * w * a
                node.tick_hits += count * hits
                node.tick_lookups += count * w * a
                e.metrics.lookups(count * hits, count * w * a)
                hit_w.append(hits)
                miss_w.append(misses)
                picks.append((node, delay, state, mu, node.service_time, "cache", node.capacity))
                hit_tot += hits
                miss_tot += misses
                hit_mean += hits * resp
                miss_mean += misses * resp
                miss_hot += hw * a * (1 - hh)
            for node in ring.nodes:
                if node.tick_lookups > 0:
                    node.hit_rate = node.tick_hits / node.tick_lookups
            if hit_tot > 0:
                self._complete(Flow(f.region, f.cls, f.route, f.rate * hit_tot, count * hit_tot,
                                    f.mean + hit_mean / hit_tot,
                                    f.stages + (Stage("cache hit", hit_w, picks),), 0.0))
            if miss_tot > 0:
                groups = len(f.site.reads)
                shares: tuple[float, ...] | None = None
                if groups > 1:
                    n = len(ring.nodes)
                    live = [nd for nd in ring.nodes if nd.reachable()]
                    if live:
                        # Misses of the live nodes follow the cache's miss curve; a dead
                        # node's keys all miss, spread like the requests for them.
                        nd = live[0]
                        curve = e.hits.miss_partition_shares(plan.sharding, nd.items * n,
                                                             total_rate * (1 - hot_share), nd.ttl, t - nd.started_at)
                        dead_w = sum(data[i][0] for i, x in enumerate(ring.nodes) if not x.reachable())
                        live_miss = miss_tot - dead_w * (1 - f.hot)
                        plain = e.keys.partition_shares(plan.sharding)
                        shares = tuple((max(0.0, live_miss) * c + dead_w * (1 - f.hot) * q) / miss_tot
                                       for c, q in zip(curve, plain))
                        norm = sum(shares)
                        shares = tuple(x / norm for x in shares) if norm > 0 else None
                passing.append(Flow(f.region, f.cls, f.route, f.rate * miss_tot, count * miss_tot,
                                    f.mean + miss_mean / miss_tot,
                                    f.stages + (Stage("cache miss", miss_w, picks),),
                                    miss_hot / miss_tot, shares))
        return passing

    def _hit_rates(self, node: Cache, n: int, total_rate: float, hot_share: float, t: float) -> tuple[float, float]:
        """Hit probability of a Zipf request and of a hot-key request at this node. After a
        reshard the moved keys' entries were dropped: that share of the requests warms up
        again from the reshard (by Che's warm-up, as after a restart), the rest from the
        node's start."""
        e = self.ctx
        zipf_rate = total_rate * (1 - hot_share)
        age = t - node.started_at
        hz = e.hits.hit_rate(node.items * n, zipf_rate, node.ttl, age)
        hh = e.hits.key_hit_rate(total_rate * hot_share, node.items * n, zipf_rate, node.ttl, age)
        if node.rekeyed is not None:
            at, before, after = node.rekeyed
            # Taken at the middle of the tick: popular moved keys come back within it.
            since = min(age, t - at) + e.dt / 2
            moved = moved_request_share(e.keys, before, after)
            hz = (1 - moved) * hz + moved * e.hits.hit_rate(node.items * n, zipf_rate, node.ttl, since)
            if hot_key_moves(before, after):
                hh = e.hits.key_hit_rate(total_rate * hot_share, node.items * n, zipf_rate, node.ttl, since)
        return hz, hh

    # --- bookkeeping ----------------------------------------------------------------
    def _complete(self, f: Flow) -> None:
        if f.count <= 0:
            return
        if f.cls == "async" and f.route is not None and f.site.queue is not None:
            self._enqueue(f)
        self.ctx.metrics.serve(f.count, f.mean)
        self.completed.append(f)

    def _enqueue(self, f: Flow) -> None:
        """The answer ("202 accepted") is immediate; the jobs wait in the queues they went to."""
        stage = f.stages[-1]  # the queue stage: async work with a queue ends there
        total = stage.cum[-1]
        prev = 0.0
        for cum, pick in zip(stage.cum, stage.picks):
            if isinstance(pick[0], MessageQueue) and total > 0:
                pick[0].depth += f.count * (cum - prev) / total
            prev = cum
        self.ctx.metrics.jobs_enqueued += f.count

    def _fail(self, f: Flow, comp: Component | None, reason: str, count: float) -> None:
        if count <= 0:
            return
        self.ctx.metrics.fail(count, reason)
        self.failures.append(FailurePoint(f, comp, reason, count))

    def _finish_stations(self, dt: float) -> None:
        touched = self._touched
        for comp in self.ctx.topology:
            if comp not in touched:
                comp.state = IDLE
            if comp.queueing:
                # An unreachable station is IDLE (_evaluate, or untouched): no work, no queue.
                st = comp.state
                u = comp.utilization = st.utilization
                comp.queue_length = st.mean_queue
            else:
                u = comp.utilization = 0.0
                comp.queue_length = 0.0
            comp.busy_seconds += u * dt
            comp.total_served += comp.tick_served
            comp.total_failed += comp.tick_failed
            if u > comp.peak_utilization:
                comp.peak_utilization = u

    def _jobs(self, t: float, dt: float, plan: RoutePlan) -> None:
        """Workers drain the message queues; full queues refuse (counted at enqueue).

        Each worker finishes its threads' worth of jobs of the traffic's size; the work
        done is spread over the workers in proportion to what each can do, so all of
        them are equally busy.
        """
        queues = [q for q in plan.queues if not q.removed]
        work_ms = self.ctx.config.traffic.async_work_ms
        live = [w for w in plan.workers if w.serving(t)]
        rates = {w: jobs_per_second(work_ms, w) for w in live}
        capacity = sum(rates.values()) * dt
        depth = sum(q.depth for q in queues if q.reachable())
        done = min(depth, capacity)
        if depth > 0 and done > 0:
            for q in queues:
                if q.reachable():
                    q.depth -= done * (q.depth / depth)
                    if q.depth < 1e-9:
                        q.depth = 0.0
        self.ctx.metrics.jobs_done += done
        util = done / capacity if capacity > 0 else 0.0
        for w in plan.workers:
            w.utilization = util if w in rates else 0.0
            w.queue_length = 0.0
            w.busy_seconds += w.utilization * dt
            w.total_served += util * rates[w] * dt if w in rates else 0.0
            w.peak_utilization = max(w.peak_utilization, w.utilization)
        for q in queues:
            q.queue_length = q.depth

    def drain(self) -> None:
        """Nothing to finish: a flow's requests are answered or failed within their tick."""

    def replication(self, t: float, dt: float, plan: RoutePlan) -> None:
        """Replica lag: network delay + apply time (M/M/1 at the write rate) + any backlog."""
        replication_step(self.ctx, t, dt, self.in_window)

    def unreplicated(self, replica: Database) -> float:
        """Writes its primary acknowledged that this replica has not applied: those in
        the replication window when the primary was last reachable, plus its backlog."""
        return self.in_window.get(replica, 0.0) + replica.apply_backlog

    # --- latency samples and traces -------------------------------------------------
    def _sample(self, t: float) -> None:
        e = self.ctx
        rng = self.rng
        flows = self.completed
        total = sum(f.count for f in flows)
        if total > 0:
            n_total = e.config.latency_samples
            for f in flows:
                n = max(1, int(round(n_total * f.count / total)))
                w = f.count / n
                for _ in range(n):
                    e.metrics.shape(self._draw(f, None), w)
        self._traces(t, total)

    def _draw(self, f: Flow, hops: list[Hop] | None, upto: int | None = None) -> float:
        rng = self.rng
        total = 0.0
        stages = f.stages if upto is None else f.stages[:upto]
        for stage in stages:
            comp, delay, state, mu, svc, label, capacity = stage.choose(rng.random())
            x = delay
            if state is not None:
                x += sample_response(state, comp.workers, mu, capacity, svc, rng)
            total += x
            if hops is not None:
                hops.append(Hop(comp.id if comp is not None else "internet", x * 1000.0, label))
        return total

    def _traces(self, t: float, served_total: float) -> None:
        e = self.ctx
        k = e.config.trace_samples
        if k <= 0:
            return
        rng = self.rng
        fails = self.failures
        failed_total = sum(p.count for p in fails)
        grand = served_total + failed_total
        if grand <= 0:
            return
        for _ in range(k):
            u = rng.random() * grand
            if u < failed_total:
                acc = 0.0
                for p in fails:
                    acc += p.count
                    if acc >= u:
                        hops: list[Hop] = []
                        ms = self._draw(p.flow, hops) * 1000.0
                        hops.append(Hop(p.comp.id if p.comp else "-", 0.0, "failed"))
                        e.metrics.trace(Trace(t, p.flow.region, p.flow.cls, False, ms, tuple(hops), p.reason))
                        break
            else:
                u -= failed_total
                acc = 0.0
                for f in self.completed:
                    acc += f.count
                    if acc >= u:
                        hops = []
                        ms = self._draw(f, hops) * 1000.0
                        e.metrics.trace(Trace(t, f.region, f.cls, True, ms, tuple(hops)))
                        break


def _evaluation_args(acc: list) -> tuple[tuple[Component, ...], float, float]:
    lam, work_s, members = acc
    return members, lam, work_s


def _disjoint(work: list[tuple[Flow, list[TierOption]]]) -> bool:
    """Whether no station is in two different runs of a stage (then a run's stations are
    offered the same rate by every flow). Flows through the same tier share its runs."""
    seen: dict[int, tuple] = {}
    for _, opts in work:
        for _, members, _, _ in opts:
            if members is not None:
                seen[id(members)] = members
    total = sum(len(m) for m in seen.values())
    return len(set(chain.from_iterable(seen.values()))) == total


def replication_step(e: PlaneContext, t: float, dt: float, in_window: dict[Database, float]) -> None:
    """Replica lag: how old the oldest write a replica has not applied is.

    Without a backlog that is the network and batching delay plus the time a write
    spends at the replica: the wait for one of its workers (shared with its reads, as
    _charge_applies put it) and the apply time. With a backlog (writes faster than it
    applies, or it was down), the writes wait in FIFO order: the lag is the age of the
    oldest of them, read off the curve of cumulative writes received.

    `in_window` gets, per replica, the writes inside the steady window (write rate x
    network, batching, wait and apply time), updated only while its primary is reachable.
    """
    net = e.config.network
    end = t + dt
    for g in e.topology.groups():
        p = g.primary
        w = p.tick_writes / dt if p is not None and p.reachable() else 0.0
        for r in g.replicas:
            a = r.apply_rate
            base = (net.hop_ms + net.replication_ms) / 1000.0
            if p is not None and r.region != p.region:
                base += net.cross_region_ms / 1000.0
            if r.booting(t):
                # A new replica starts from a fresh copy: it has nothing to catch up.
                r.apply_backlog = 0.0
                r.lag = 0.0
                r.write_log.clear()
                in_window[r] = 0.0
                continue
            received = w * dt
            applied = min(r.apply_backlog + received, a * dt) if r.serving(t) else 0.0
            r.apply_backlog = max(0.0, r.apply_backlog + received - applied)
            r.cum_received += received
            r.cum_applied += applied
            steady = base + r.state.mean_wait + r.apply_seconds
            if p is not None and p.reachable():
                # On the wire and in the apply stream; with a backlog, the apply part is
                # the backlog itself.
                in_window[r] = w * (steady if r.apply_backlog <= 1e-6 else base)
            if r.apply_backlog <= 1e-6:
                r.write_log.clear()
                r.cum_applied = r.cum_received
                r.lag = steady
                continue
            log = r.write_log
            if not log:
                log.append((t, r.cum_received - received))
            log.append((end, r.cum_received))
            # Drop whole ticks already applied; the oldest waiting write is in the next one.
            while len(log) > 2 and log[1][1] <= r.cum_applied:
                log.popleft()
            (t0, c0), (t1, c1) = log[0], log[1]
            frac = (r.cum_applied - c0) / (c1 - c0) if c1 > c0 else 1.0
            oldest = t0 + max(0.0, min(1.0, frac)) * (t1 - t0)
            r.lag = max(steady, end - oldest + base)
