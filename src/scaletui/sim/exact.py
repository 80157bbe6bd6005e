"""The exact model: every request simulated on its own, as the flow engine's test oracle.

It shares everything but the data plane with the flow engine: the same traffic and
arrival counts, the same route plan, scenario events, commands and metrics. What
differs is how stations behave: here each is a real FIFO queue with c workers and
room for K, exponential service times drawn per request, caches are exact LRU (with
TTL) over keys drawn from the Zipf law, replicas apply each write on one of their
workers, queued with their reads, and queue workers take each job on one of their
threads. Every key has a version (its writes so far); a cache entry holds the version
it was filled with, and a hit on an older one is a stale read. It is written in callback style (SimPy events with callbacks, no process per
request) so that it stays usable for small loads: it costs time per request, the flow
engine does not.

Clients: each request has a deadline (its start + the client's timeout), kept by a timer.
If the answer is not back by then the request fails as a timeout, and whatever the
stations still do for it is wasted work. A failed or timed-out attempt that has retries
left comes back as a new arrival after its backoff (a uniform draw below it with jitter).
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import Callable

from scaletui.sim.async_jobs import job_seconds
from scaletui.sim.client import error_reason, shed_reason, timeout_reason
from scaletui.sim.components import Cache, Cdn, Component, Database, LoadBalancer, MessageQueue, WebServer, Worker
from scaletui.sim.components.web import busiest_behind
from scaletui.sim.db_calls import BREAKER_OPEN, DB_TIMEOUT
from scaletui.sim.exact_sessions import ExactSessions
from scaletui.sim.fanout import FANOUT, fan_width, touched, write_copies
from scaletui.sim.keyspace import HOT_KEY, KeySampler, partition_of
from scaletui.sim.lru_ttl import LruTtlStore
from scaletui.sim.mmck import IDLE
from scaletui.sim.plane import PlaneContext
from scaletui.sim.poisson import poisson
from scaletui.sim.routing import DcRoute, Option, RoutePlan, Tier
from scaletui.sim.staleness import INVALIDATE, NONE
from scaletui.sim.sticky import SESSION_LOST
from scaletui.sim.summation import plain_sum


DYNAMIC = ("read", "write", "async", FANOUT)
Written = tuple[int, int]  # a write on its way to a replica: (key, the version it made)
# How long a key's commit times are kept, to tell which version a lagging replica holds.
COMMIT_HISTORY_S = 300.0


def _copied(_job: None) -> None:
    """A migration copy job is done: nothing waits on it."""


def count_served(comp: Component) -> None:
    """One request answered by comp: its running total at once, the tick's figure too
    (so the last tick and what drains after the end are in the totals)."""
    comp.tick_served += 1
    comp.total_served += 1


def count_failed(comp: Component) -> None:
    comp.tick_failed += 1
    comp.total_failed += 1


class Request:
    __slots__ = ("t0", "region", "cls", "route", "key", "extra", "plan", "last", "web", "attempt", "closed",
                 "late", "lb", "holder", "join", "shard", "db_at")

    def __init__(self, t0: float, region: str, cls: str, route: DcRoute | None, key: int, plan: RoutePlan,
                 attempt: int = 0) -> None:
        self.t0 = t0
        self.region = region
        self.cls = cls
        self.route = route
        self.key = key
        self.extra = 0.0  # network delays, added to the time spent in stations
        self.plan = plan
        self.last: Component | None = None  # the station it went to last
        self.web: Option | None = None  # the web server its session pins it to
        self.attempt = attempt  # 0: the first try; k: the k-th retry
        self.closed = False  # its client has its outcome (answer, failure or gave up)
        self.late = False  # its client gave up before the answer: any work left is wasted
        self.lb: LoadBalancer | None = None  # the limited load balancer it holds a place in
        self.holder: Station | None = None  # the thread-per-request web server holding a worker for it
        self.join: _Join | None = None  # a shard read of a fan-out: whom it answers to
        self.shard: int | None = None  # its shard position, when not its key's
        self.db_at = 0.0  # when it reached the database (a read takes the data as of then)

    @property
    def site(self) -> DcRoute:
        """The routes of the data centre serving it (asked only once it has one: a request
        that has none fails on arrival)."""
        assert self.route is not None
        return self.route


class DbAttempt:
    """One call of the web tier to the database on behalf of a request: it may be shed,
    time out (the web server stops waiting; the database still works on it) or answer."""

    __slots__ = ("req", "then", "tier", "tries_left", "over")

    def __init__(self, req: Request, then: Callable[[Request], None], tier: Tier, tries_left: int) -> None:
        self.req = req
        self.then = then
        self.tier = tier
        self.tries_left = tries_left
        self.over = False  # answered, failed or given up on


class Station:
    """A real M/M/c/K queue for one component."""

    __slots__ = ("plane", "comp", "busy", "queue", "busy_area", "last_t", "holds", "held", "held_area")

    def __init__(self, plane: "ExactPlane", comp: Component) -> None:
        self.plane = plane
        self.comp = comp
        self.busy = 0
        self.queue: deque = deque()
        self.busy_area = 0.0
        self.last_t = plane.env.now
        # Thread-per-request: a worker stays with its request until the answer is back.
        self.holds = isinstance(comp, WebServer) and comp.holds_threads
        self.held = 0  # workers done with their own part, waiting downstream
        self.held_area = 0.0

    def _account(self) -> None:
        now = self.plane.env.now
        self.busy_area += self.busy * (now - self.last_t)
        self.held_area += self.held * (now - self.last_t)
        self.last_t = now

    def release(self) -> None:
        """A held worker's request is answered or failed: the worker takes the next one."""
        self._account()
        self.busy -= 1
        self.held -= 1
        self._next()

    def _next(self) -> None:
        while self.queue and self.busy < self.comp.workers:
            nreq, nservice, ndone = self.queue.popleft()
            self._start(nreq, nservice, ndone)

    def arrive(self, req: "Request | DbAttempt", service: float, done: Callable) -> None:
        comp = self.comp
        plane = self.plane
        if not comp.reachable():
            count_failed(comp)
            plane.fail(req, f"{comp.id} is down ({comp.down_cause()})")
            return
        if self.busy < comp.workers:
            self._start(req, service, done)
        elif self.busy + len(self.queue) < comp.capacity:
            self.queue.append((req, service, done))
        else:
            count_failed(comp)
            behind = busiest_behind(plane.ctx.topology, comp.region) if self.held else None
            plane.fail(req, comp.shed_reason(self.held, behind))

    def apply(self, service: float, done: Callable[[None], None]) -> None:
        """A replica's apply job: it takes a worker like a read, in FIFO order with them,
        but is never shed (the write waits in the primary's log whatever happens)."""
        if self.busy < self.comp.workers:
            self._start(None, service, done)
        else:
            self.queue.append((None, service, done))

    def _start(self, req: "Request | DbAttempt | None", service: float, done: Callable) -> None:
        self._account()
        self.busy += 1
        ev = self.plane.env.timeout(self.plane.rng.expovariate(1.0 / service) if service > 0 else 0.0)
        ev.callbacks.append(lambda _ev: self._finish(req, done))

    def _finish(self, req: "Request | DbAttempt | None", done: Callable) -> None:
        self._account()
        comp = self.comp
        if self.holds and isinstance(req, Request) and comp.reachable() and not comp.removed:
            # Its own work is done; the worker waits for the rest of the request.
            self.held += 1
            req.holder = self
            count_served(comp)
            done(req)
            return
        self.busy -= 1
        self._next()
        if req is None:  # an apply job: its stream tells whether it counted
            done(None)
            return
        if comp.removed or not comp.reachable():
            count_failed(comp)
            self.plane.fail(req, f"{comp.id} is down ({comp.down_cause()})")
            return
        if comp.error_share > 0 and self.plane.rng.random() < comp.error_share:
            count_failed(comp)
            self.plane.fail(req, error_reason(comp.id))
            return
        count_served(comp)
        done(req)


class ExactPlane:
    name = "exact"

    def __init__(self, ctx: PlaneContext) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.rng = ctx.rng
        self.stations: dict[Component, Station] = {}
        self.stores: dict[Component, tuple[float, LruTtlStore]] = {}  # cache or CDN -> (started_at, contents)
        self.rekeyed_seen: dict[Component, float] = {}  # cache -> the reshard whose moved keys it dropped
        self._keys: KeySampler | None = None
        self._static_keys: KeySampler | None = None
        self.jobs: dict[MessageQueue, deque[float]] = {}  # enqueue times, per queue
        self.threads: dict[Worker, _Threads] = {}
        self.applies: dict[Database, _ApplyStream] = {}
        # Replication, write by write: writes on their way to each replica (inside the
        # batching window), and writes whose window ended while their primary was
        # unreachable, held in its log as (primary, commit time) until it is back.
        self.shipping: dict[Database, int] = {}
        self.held_at_primary: dict[Database, list[tuple[Database, float, Written]]] = {}
        self.lag_sum: dict[Database, float] = {}
        self.lag_n: dict[Database, int] = {}
        self.queued_area = 0.0
        self.sessions = ExactSessions(ctx.config.traffic.session_minutes)
        self.users_of: dict[str, int] = {}  # users per user region, this tick
        self.client = ctx.config.traffic.client
        self._timeout_reason = timeout_reason(self.client)
        self.plan: RoutePlan | None = None  # the latest tick's: what a retry arriving now meets
        self.behind: dict[LoadBalancer, int] = {}  # requests in flight behind each limited load balancer
        self.versions: dict[int, int] = {}  # key -> writes committed to it
        # Keys whose last acknowledged write a promotion lost: the database serves an older
        # value of them until they are written again.
        self.missing: set[int] = set()
        self.commits: dict[int, deque[float]] = {}  # key -> its recent commit times

    # --- keys ---------------------------------------------------------------------------
    def key(self, cls: str) -> int:
        e = self.ctx
        if cls in ("read", "write") and e.traffic.hot_share > 0 and self.rng.random() < e.traffic.hot_share:
            return HOT_KEY
        if self._keys is None:
            self._keys = e.keys.sampler(self.rng)
        return self._keys.draw()

    def static_key(self) -> int:
        if self._static_keys is None:
            self._static_keys = self.ctx.cdn_keys.sampler(self.rng)
        return self._static_keys.draw()

    def store(self, comp: Cache | Cdn) -> LruTtlStore:
        """What a cache node or the CDN holds: empty again whenever it (re)started or was
        flushed, and without the keys a reshard moved since it last looked."""
        held = self.stores.get(comp)
        if held is None or held[0] != comp.started_at:
            held = self.stores[comp] = (comp.started_at, LruTtlStore())
        if isinstance(comp, Cache) and comp.rekeyed is not None and self.rekeyed_seen.get(comp) != comp.rekeyed[0]:
            _, before, after = comp.rekeyed
            self.rekeyed_seen[comp] = comp.rekeyed[0]
            held[1].drop_where(lambda key: before.of(key) != after.of(key))
        return held[1]

    def station(self, comp: Component) -> Station:
        st = self.stations.get(comp)
        if st is None:
            st = self.stations[comp] = Station(self, comp)
        return st

    # --- a tick: arrivals over the next interval, figures of the last one ----------------
    def tick(self, t: float, dt: float, plan: RoutePlan, demand: list[tuple[str, str, float, float]]) -> None:
        self._close_interval(dt)
        self.plan = plan
        e = self.ctx
        self.sessions.watch(t, [w for w in e.topology.of_kind("web") if isinstance(w, WebServer)])
        e.metrics.sessions_lost = self.sessions.lost
        users = e.traffic.users(t)
        self.users_of = {r: max(1, round(users * share)) for r, share in e.traffic.region_shares}
        rng = self.rng
        self._migration_jobs(dt)
        for region, cls, _rate, count in demand:
            for _ in range(int(count)):
                at = rng.random() * dt
                ev = self.env.timeout(at)
                # The tick's own plan: nothing changes the topology between grid times.
                ev.callbacks.append(partial(self._arrival_event, region, cls, plan))

    def _migration_jobs(self, dt: float) -> None:
        """While a reshard copies keys, its shards' primaries get copy jobs of their own
        service time, Poisson at the rate that makes the work sim/migration.py states.
        They wait for a worker like an apply job and are never shed."""
        for p, busy in self.ctx.topology.copying():
            for _ in range(poisson(self.rng, busy / p.service_time * dt)):
                ev = self.env.timeout(self.rng.random() * dt)
                ev.callbacks.append(partial(self._migration_job, p))

    def _migration_job(self, primary: Database, _ev: object) -> None:
        if primary.removed or not primary.reachable():
            return
        self.station(primary).apply(primary.service_time, _copied)

    def _close_interval(self, dt: float) -> None:
        """Turn what happened since the last tick into the components' tick figures."""
        now = self.env.now
        for comp, st in self.stations.items():
            st._account()
            util = st.busy_area / (comp.workers * dt) if comp.workers > 0 else 0.0
            st.busy_area = 0.0
            comp.held_waiting = st.held_area / dt
            comp.held_seconds += comp.held_waiting
            st.held_area = 0.0
            comp.utilization = min(1.0, util) if comp.reachable() else 0.0
            comp.queue_length = float(len(st.queue))
            comp.busy_seconds += comp.utilization * dt
            comp.peak_utilization = max(comp.peak_utilization, comp.utilization)
        for comp in self.ctx.topology:
            comp.offered = (comp.tick_served + comp.tick_failed) / dt
            comp.state = IDLE
            comp.tick_served = 0.0
            comp.tick_failed = 0.0
            if isinstance(comp, Database):
                comp.tick_writes = 0.0
            if comp not in self.stations:
                comp.utilization = 0.0
        for w in self._workers():
            th = self._threads(w)
            th.account(now)
            w.utilization = min(1.0, th.area / (w.workers * dt)) if w.serving(now) else 0.0
            w.busy_seconds += w.utilization * dt
            w.peak_utilization = max(w.peak_utilization, w.utilization)
            th.area = 0.0
        for q in self.ctx.topology.of_kind("queue"):
            if isinstance(q, MessageQueue):
                q.depth = float(len(self.jobs.get(q, ())))
        self._drain_jobs()

    def replication(self, t: float, dt: float, plan: RoutePlan) -> None:
        self._release_held()
        for r, n in list(self.lag_n.items()):
            if n:
                r.lag = self.lag_sum[r] / n
            self.lag_sum[r] = 0.0
            self.lag_n[r] = 0
        for r, stream in self.applies.items():
            if not r.reachable() and stream.held:
                # Nothing applied: it is as far behind as its oldest waiting write.
                t0, base, _ = stream.held[0]
                r.lag = self.env.now - t0 + base

    # --- one request ----------------------------------------------------------------------
    def _arrival_event(self, region: str, cls: str, plan: RoutePlan, _ev: object) -> None:
        self.arrival(region, cls, plan)

    def _retry_event(self, region: str, cls: str, attempt: int, _ev: object) -> None:
        plan = self.plan
        assert plan is not None
        self.arrival(region, cls, plan, attempt)

    def arrival(self, region: str, cls: str, plan: RoutePlan, attempt: int = 0) -> None:
        e = self.ctx
        m = e.metrics
        if attempt == 0:
            m.arrive(1)
            m.in_flight += 1
        else:
            m.retry_arrive(1)  # the request has been in flight since its first try
        route, rtt = plan.dc_for[region]
        req = Request(self.env.now, region, cls, route, 0, plan, attempt)
        req.extra = rtt
        deadline = self.env.timeout(self.client.timeout)
        deadline.callbacks.append(partial(self._deadline, req))
        if cls == "static" and plan.cdn is not None:
            cdn = plan.cdn
            key = self.static_key()
            cdn.lookups += 1
            cdn.gigabytes += e.config.traffic.static_kb / 1e6
            count_served(cdn)
            req.extra += cdn.edge_delay
            edge = self.store(cdn)
            if edge.lookup(key, self.env.now, cdn.ttl):
                cdn.hits += 1
                cdn.hit_rate = cdn.hits / cdn.lookups
                self.done(req)
                return
            edge.store(key, self.env.now, cdn.size_spec.items)  # fetched from the origin on the way
            cdn.hit_rate = cdn.hits / cdn.lookups
        if route is None:
            self.fail(req, plan.unreachable.get(region, f"no data centre can serve users in {region}"))
            return
        sessions = self.sessions
        if route.stateful or sessions.unnoticed:
            # Each request is one of its region's users, with that user's session.
            user = (region, int(self.rng.random() * self.users_of.get(region, 1)))
            tier = route.web if route.has_lb else route.entry
            req.web, lost = sessions.route(user, tier.options, cls in DYNAMIC, route.stateful, self.env.now, self.rng)
            e.metrics.sessions_lost = sessions.lost
            if lost:
                self.fail(req, SESSION_LOST)
                return
        if cls in ("read", "write", FANOUT):
            req.key = self.key(cls)
        if route.has_lb:
            self.visit(req, route.entry, self.after_lb)
        else:
            self.visit(req, route.entry, self.after_web, req.web)

    def visit(self, req: Request, tier: Tier, then: Callable[[Request], None], pick: Option | None = None) -> None:
        if not tier.options:
            self.fail(req, tier.missing or "nothing can serve it")
            return
        opts = tier.options
        if pick is not None:
            o = pick
        else:
            o = self._choose(opts)
        req.extra += o.delay
        comp = o.comp
        if isinstance(comp, LoadBalancer) and comp.max_in_flight > 0 and comp.reachable():
            # Load shedding: refused at once while the limit is reached; else it holds a
            # place until its client has the answer, a failure or gives up.
            inside = self.behind.get(comp, 0)
            if inside >= comp.max_in_flight:
                count_failed(comp)
                self.fail(req, shed_reason(comp.id, comp.max_in_flight))
                return
            self.behind[comp] = inside + 1
            req.lb = comp
        req.last = comp
        self.station(comp).arrive(req, self.service(comp, req), then)

    def _choose(self, opts: list[Option]) -> Option:
        """One of a tier's options by weight (a single one takes no draw)."""
        if len(opts) == 1:
            return opts[0]
        u = self.rng.random()
        acc = 0.0
        for cand in opts:
            acc += cand.weight
            if u < acc:
                return cand
        return opts[-1]

    def service(self, comp: Component, req: Request) -> float:
        if req.cls == "async" and isinstance(comp, WebServer) and req.site.queue is None:
            return job_seconds(self.ctx.config.traffic.async_work_ms, comp)
        return comp.service_time

    def after_lb(self, req: Request) -> None:
        self.visit(req, req.site.web, self.after_web, req.web)

    def after_web(self, req: Request) -> None:
        if req.cls in DYNAMIC and req.site.sessions is not None:
            self.visit(req, req.site.sessions, self.after_session)
        else:
            self.after_session(req)

    def after_session(self, req: Request) -> None:
        cls = req.cls
        route = req.site
        if cls == "static":
            self.done(req)
        elif cls == "async":
            if route.queue is None:
                self.done(req)
            else:
                self.visit(req, route.queue, self.enqueued)
        elif cls in ("read", FANOUT) and route.cache is not None:
            ring = route.cache
            node = ring.nodes[partition_of(req.key, len(ring.nodes)) if len(ring.nodes) > 1 else 0]
            req.extra += ring.delay
            if not node.reachable():
                self.database(req)
                return
            self.station(node).arrive(req, node.service_time, partial(self._looked_up, node))
        else:
            self.database(req)

    def _looked_up(self, node: Cache, req: Request) -> None:
        self.cache_lookup(req, node)

    def cache_lookup(self, req: Request, node: Cache) -> None:
        now = self.env.now
        node.lookups += 1
        self.ctx.metrics.lookups(0, 1)
        store = self.store(node)
        if store.lookup(req.key, now, node.ttl):
            node.hits += 1
            self.ctx.metrics.lookups(1, 0)
            if store.versions[req.key] < self.versions.get(req.key, 0):
                self.ctx.metrics.stale(1)
            node.hit_rate = node.hits / node.lookups
            self.done(req)
            return
        node.hit_rate = node.hits / node.lookups

        def fill(r: Request, node=node) -> None:
            if node.reachable() and not node.removed:
                self.store(node).store(r.key, self.env.now, node.items, self.version_read(r))
            self.done(r)

        self.database(req, fill)

    def database(self, req: Request, then: Callable[[Request], None] | None = None) -> None:
        plan = req.plan
        g = plan.group_position_of_key(req.key)
        tiers = req.site.writes if req.cls == "write" else req.site.reads
        width = fan_width(self.ctx.config.traffic.fanout_shards, len(tiers))
        if write_copies(req.cls, self.ctx.topology.denormalized, width) > 1:
            self._fan_out(req, tiers, touched(g, width, len(tiers)), then or self.done)
            return
        tier = tiers[g] if g < len(tiers) else Tier([], "that shard has no database")
        req.db_at = self.env.now
        after = self.committed if req.cls == "write" else (then or self.done)
        calls = self.ctx.db_calls
        if calls.breaker is None and calls.timeout is None and calls.retries == 0:
            self.visit(req, tier, after)
            return
        share = calls.admitted_share()
        if share < 1.0 and (share <= 0.0 or self.rng.random() >= share):
            self.fail(req, BREAKER_OPEN)
            return
        self.call_db(DbAttempt(req, after, tier, calls.retries))

    def call_db(self, att: DbAttempt) -> None:
        """One attempt of the web tier's call: the database station, and the web server's
        timer if it has a db_timeout."""
        calls = self.ctx.db_calls
        calls.calls += 1
        req = att.req
        tier = att.tier
        if not tier.options:
            self._attempt_failed(att, tier.missing or "nothing can serve it")
            return
        o = self._choose(tier.options)
        req.extra += o.delay
        comp = o.comp
        req.last = comp
        if calls.timeout is not None:
            ev = self.env.timeout(calls.timeout)
            ev.callbacks.append(partial(self._attempt_late, att))
        # Shed, down or answered, the station tells the attempt (see fail).
        self.station(comp).arrive(att, self.service(comp, req), self._attempt_answered)

    def _attempt_answered(self, att: DbAttempt) -> None:
        if att.over:
            return  # the web server gave up on it: wasted work
        att.over = True
        att.then(att.req)

    def _attempt_late(self, att: DbAttempt, _ev: object) -> None:
        if not att.over:
            self._attempt_failed(att, DB_TIMEOUT)

    def _attempt_failed(self, att: DbAttempt, reason: str) -> None:
        att.over = True
        self.ctx.db_calls.errors += 1
        if att.tries_left > 0:
            self.call_db(DbAttempt(att.req, att.then, att.tier, att.tries_left - 1))
        else:
            self.fail(att.req, reason)

    def _fan_out(self, req: Request, tiers: list[Tier], shards: tuple[int, ...],
                 then: Callable[[Request], None]) -> None:
        """Send one request to several shards at once (a fan-out read, or a denormalized
        write to every copy): it is answered when the last of them answers, and fails as
        soon as one of them fails."""
        join = _Join(self, req, len(shards), then)
        now = self.env.now
        for g in shards:
            part = Request(now, req.region, req.cls, req.route, req.key, req.plan)
            part.join = join
            part.shard = g
            tier = tiers[g] if g < len(tiers) else Tier([], "that shard has no database")
            self.visit(part, tier, self.committed if req.cls == "write" else self.done)

    def version_read(self, req: Request) -> int:
        """The version of its key a read got: the one committed when it reached the
        database, or, from a replica, the one committed its lag before that."""
        db = req.last
        lag = db.lag if isinstance(db, Database) and not db.is_primary else 0.0
        v = self.versions.get(req.key, 0)
        times = self.commits.get(req.key)
        if times:
            seen = req.db_at - lag
            for t in reversed(times):
                if t <= seen:
                    break
                v -= 1
        return v

    def _new_version(self, key: int) -> None:
        """A write to `key` committed: its version moves on, and the caches do what their
        write policy says with the entry of the key."""
        now = self.env.now
        v = self.versions[key] = self.versions.get(key, 0) + 1
        self.missing.discard(key)
        times = self.commits.setdefault(key, deque())
        times.append(now)
        while times[0] < now - COMMIT_HISTORY_S:
            times.popleft()
        for node in self.ctx.topology.of_kind("cache"):
            if not isinstance(node, Cache) or node.on_write == NONE:
                continue
            held = self.stores.get(node)
            if held is None or held[0] != node.started_at:
                continue  # empty
            if node.on_write == INVALIDATE:
                held[1].drop(key)
            else:
                held[1].replace(key, v)

    def _lost(self, written: Written) -> None:
        """A promotion lost this write: if it was its key's last, the database no longer has
        the value it acknowledged."""
        key, version = written
        if self.versions.get(key, 0) == version:
            self.missing.add(key)

    def committed(self, req: Request) -> None:
        """A write is durable on the primary: answer, and ship it to the replicas."""
        self._new_version(req.key)
        written = (req.key, self.versions[req.key])
        g = req.shard if req.shard is not None else req.plan.group_position_of_key(req.key)
        gi = req.plan.group_indices[g]
        group = self.ctx.topology.group(gi)
        if group is not None and group.primary is not None:
            primary = group.primary
            primary.tick_writes += 1
            net = self.ctx.config.network
            now = self.env.now
            for r in group.replicas:
                if r.booting(now):
                    continue  # a new copy starts from a snapshot that includes this write
                # Shipped in batches: it reaches the replica after the network and
                # batching delay, and only if the primary is still there to send it.
                base = (net.hop_ms + net.replication_ms) / 1000.0 + (
                    net.cross_region_ms / 1000.0 if r.region != primary.region else 0.0)
                self.shipping[r] = self.shipping.get(r, 0) + 1
                ev = self.env.timeout(base)
                ev.callbacks.append(partial(self._arrive_event, r, primary, now, written))
        self.done(req)

    def _arrive_event(self, replica: Database, primary: Database, t0: float, written: Written,
                      _ev: object) -> None:
        self._arrive(replica, primary, t0, written)

    def _arrive(self, replica: Database, primary: Database, t0: float, written: Written) -> None:
        self.shipping[replica] -= 1
        if replica.removed:
            return
        if replica.is_primary:
            self._lost(written)  # promoted meanwhile: the write was lost at the promotion
            return
        if not primary.reachable():
            self.held_at_primary.setdefault(replica, []).append((primary, t0, written))
            return
        self._apply(replica, t0, 0.0, written)

    def _apply(self, replica: Database, t0: float, base: float, written: Written) -> None:
        st = self.applies.get(replica)
        if st is None:
            st = self.applies[replica] = _ApplyStream(self, replica)
        st.submit(t0, base, written)

    def _release_held(self) -> None:
        """Writes held in a primary's log go out once it is reachable again."""
        for replica, held in self.held_at_primary.items():
            if not held:
                continue
            if replica.removed or replica.is_primary:
                if replica.is_primary:
                    for _, _, written in held:
                        self._lost(written)
                held.clear()
                continue
            keep = []
            for primary, t0, written in held:
                if primary.reachable() and primary.is_primary:
                    self._apply(replica, t0, 0.0, written)
                elif primary.is_primary:
                    keep.append((primary, t0, written))
            held[:] = keep

    def unreplicated(self, replica: Database) -> float:
        """Writes committed on its primary that this replica has not applied, counted one
        by one: on their way, held in the primary's log, or waiting in its apply stream."""
        stream = self.applies.get(replica)
        pending = stream.pending if stream is not None else 0
        return float(self.shipping.get(replica, 0) + len(self.held_at_primary.get(replica, ())) + pending)

    def enqueued(self, req: Request) -> None:
        queue = req.last
        assert isinstance(queue, MessageQueue)
        self.ctx.metrics.jobs_enqueued += 1
        self.jobs.setdefault(queue, deque()).append(self.env.now)
        self._drain_jobs()
        self.done(req)

    def _workers(self) -> list[Worker]:
        return [w for w in self.ctx.topology.of_kind("worker") if isinstance(w, Worker)]

    def _threads(self, w: Worker) -> "_Threads":
        th = self.threads.get(w)
        if th is None:
            th = self.threads[w] = _Threads(self.env.now)
        return th

    def jobs_held(self) -> int:
        """Jobs accepted and not done: waiting in a queue or being worked on."""
        return plain_sum(len(q) for q in self.jobs.values()) + plain_sum(th.busy for th in self.threads.values())

    def _drain_jobs(self) -> None:
        """Free worker threads take the oldest job of the queues that are up; the thread
        that gets it is any free one, as workers compete for messages."""
        now = self.env.now
        workers = [w for w in self._workers() if w.serving(now)]
        while True:
            free = [(w.workers - self._threads(w).busy, w) for w in workers]
            n_free = plain_sum(n for n, _ in free)
            ready = [(jobs[0], q.seq, q) for q, jobs in self.jobs.items() if jobs and q.reachable()]
            if n_free <= 0 or not ready:
                return
            pick = self.rng.randrange(n_free)
            for n, w in free:
                if pick < n:
                    break
                pick -= n
            q: MessageQueue = min(ready)[2]
            enqueued_at = self.jobs[q].popleft()
            th = self._threads(w)
            th.account(now)
            th.busy += 1
            ev = self.env.timeout(self.rng.expovariate(1.0 / job_seconds(self.ctx.config.traffic.async_work_ms, w)))
            ev.callbacks.append(partial(self._job_done_event, w, q, enqueued_at))

    def _job_done_event(self, w: Worker, q: MessageQueue, enqueued_at: float, _ev: object) -> None:
        self._job_done(w, q, enqueued_at)

    def _job_done(self, w: Worker, q: MessageQueue, enqueued_at: float) -> None:
        th = self._threads(w)
        th.account(self.env.now)
        th.busy -= 1
        if w.serving(self.env.now):
            self.ctx.metrics.jobs_done += 1
            w.total_served += 1  # counted at once, so the last tick's jobs are in the totals
        else:
            # The worker died holding it: unacknowledged, the message goes back to the
            # front of its queue for another worker (at-least-once delivery).
            self.jobs.setdefault(q, deque()).appendleft(enqueued_at)
        self._drain_jobs()

    # --- outcomes -------------------------------------------------------------------------
    def done(self, req: Request) -> None:
        if req.join is not None:
            req.join.answered(req)
            return
        m = self.ctx.metrics
        self._free_thread(req)
        if req.closed:
            if req.late:
                m.wasted += 1
            return
        lat = self.env.now - req.t0 + req.extra
        if lat > self.client.timeout:
            # Its network time took it past the deadline: the client had given up.
            m.wasted += 1
            self._ended(req, self._timeout_reason)
            return
        req.closed = True
        self._release(req)
        if req.cls == "read":
            m.read_answered(1)
            if req.key in self.missing and isinstance(req.last, Database):
                m.read_lost_value(1)
        m.in_flight -= 1
        m.serve(1, lat)
        m.shape(lat, 1)

    def fail(self, req: "Request | DbAttempt", reason: str) -> None:
        if isinstance(req, DbAttempt):
            # An attempt shed or lost at the database: the web tier may try again (one
            # already given up on was counted when it timed out).
            if not req.over:
                self._attempt_failed(req, reason)
            return
        if req.join is not None:
            req.join.failed(reason)
            return
        self._free_thread(req)
        if not req.closed:
            self._ended(req, reason)

    def _free_thread(self, req: Request) -> None:
        """A thread-per-request web server's worker is held until the work ends, whether or
        not the client still waits for it."""
        if req.holder is not None:
            req.holder.release()
            req.holder = None

    def _release(self, req: Request) -> None:
        lb = req.lb
        if lb is not None:
            self.behind[lb] -= 1
            req.lb = None
            lb.in_flight = float(self.behind[lb])

    def _deadline(self, req: Request, _ev: object) -> None:
        if not req.closed:
            req.late = True
            self._ended(req, self._timeout_reason)

    def _ended(self, req: Request, reason: str) -> None:
        """The attempt failed: the client tries again if it has retries left."""
        req.closed = True
        self._release(req)
        m = self.ctx.metrics
        m.in_flight -= 1
        nxt = req.attempt + 1
        if nxt > self.client.retries:
            m.fail(1, reason)
            return
        m.retry_later(1, reason)
        wait = self.client.backoff_s(nxt)
        if self.client.jitter:
            wait *= self.rng.random()
        ev = self.env.timeout(wait)
        ev.callbacks.append(partial(self._retry_event, req.region, req.cls, nxt))

    def drain(self, horizon: float = 120.0) -> None:
        """Run to the end of the last tick if a step has not, then until every answer is in."""
        if self.env.now < self.ctx.end:
            self.env.run(until=self.ctx.end)
        end = self.env.now + horizon
        while self.ctx.metrics.in_flight > 0.5 and self.env.now < end:
            self.env.run(until=min(end, self.env.now + 1.0))


class _Join:
    """The shard requests of one fan-out: the request goes on (to `then`) when the last
    answers, as late as the slowest with its network time; the first failure fails it."""

    __slots__ = ("plane", "req", "waiting", "then", "over", "latest")

    def __init__(self, plane: ExactPlane, req: Request, parts: int, then: Callable[[Request], None]) -> None:
        self.plane = plane
        self.req = req
        self.waiting = parts
        self.then = then
        self.over = False  # failed already: later answers are ignored
        self.latest = 0.0  # when the slowest answer is in, its network time included

    def answered(self, part: Request) -> None:
        if self.over:
            return
        now = self.plane.env.now
        self.latest = max(self.latest, now + part.extra)
        self.waiting -= 1
        if self.waiting == 0:
            # The shards' network times run in parallel: only the slowest one's counts.
            self.req.extra += self.latest - now
            self.then(self.req)

    def failed(self, reason: str) -> None:
        if self.over:
            return
        self.over = True
        self.plane.fail(self.req, reason)


class _Threads:
    """A worker's busy threads, and its busy thread-seconds since the last tick."""

    __slots__ = ("busy", "area", "last")

    def __init__(self, now: float) -> None:
        self.busy = 0
        self.area = 0.0
        self.last = now

    def account(self, now: float) -> None:
        self.area += self.busy * (now - self.last)
        self.last = now


class _ApplyStream:
    """A replica replaying its primary's writes: each takes one of the replica's workers
    for the apply time (Database.apply_seconds), queued with its reads. While the
    replica is down, the writes wait in the primary's log (`held`)."""

    def __init__(self, plane: ExactPlane, replica: Database) -> None:
        self.plane = plane
        self.replica = replica
        self.held: deque[tuple[float, float, Written]] = deque()  # (committed at, network delay, write)
        self.applying = 0  # sent to the replica's workers, not applied yet
        self.retrying = False

    @property
    def pending(self) -> int:
        """Writes it received and has not applied (waiting, or on its workers)."""
        return len(self.held) + self.applying

    def submit(self, t0: float, base: float, written: Written) -> None:
        self.held.append((t0, base, written))
        self._pump()

    def _pump(self) -> None:
        r = self.replica
        if r.is_primary:
            # Promoted: what it had not applied was lost at the promotion.
            for _, _, written in self.held:
                self.plane._lost(written)
            self.held.clear()
        elif not r.reachable():
            if not self.retrying:
                self.retrying = True
                ev = self.plane.env.timeout(1.0)
                ev.callbacks.append(lambda _ev: self._retry())
        else:
            station = self.plane.station(r)
            while self.held:
                t0, base, written = self.held.popleft()
                self.applying += 1
                station.apply(r.apply_seconds, partial(self._done, t0, base, written))
        r.apply_backlog = float(self.pending)

    def _retry(self) -> None:
        self.retrying = False
        self._pump()

    def _done(self, t0: float, base: float, written: Written, _job: None) -> None:
        p = self.plane
        r = self.replica
        self.applying -= 1
        if not r.reachable():
            # It went down before the write was applied: it is replayed from the log.
            self.held.appendleft((t0, base, written))
            self._pump()
            return
        lag = p.env.now - t0 + base
        p.lag_sum[r] = p.lag_sum.get(r, 0.0) + lag
        p.lag_n[r] = p.lag_n.get(r, 0) + 1
        r.apply_backlog = float(self.pending)
