"""The exact model: every request simulated on its own, as the flow engine's test oracle.

It shares everything but the data plane with the flow engine: the same traffic and
arrival counts, the same route plan, scenario events, commands and metrics. What
differs is how stations behave: here each is a real FIFO queue with c workers and
room for K, exponential service times drawn per request, caches are exact LRU (with
TTL) over keys drawn from the Zipf law, and replicas apply each write through a real
queue. It is written in callback style (SimPy events with callbacks, no process per
request) so that it stays usable for small loads: it costs time per request, the flow
engine does not.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Callable

from scaletui.sim.components import Cache, Component, Database, WebServer
from scaletui.sim.keyspace import HOT_KEY, KeySampler, partition_of
from scaletui.sim.mmck import IDLE
from scaletui.sim.routing import DcRoute, RoutePlan, Tier

if TYPE_CHECKING:
    from scaletui.sim.engine import Engine

DYNAMIC = ("read", "write", "async")


class Request:
    __slots__ = ("t0", "region", "cls", "route", "key", "extra", "plan")

    def __init__(self, t0: float, region: str, cls: str, route: DcRoute | None, key: int, plan: RoutePlan) -> None:
        self.t0 = t0
        self.region = region
        self.cls = cls
        self.route = route
        self.key = key
        self.extra = 0.0  # network delays, added to the time spent in stations
        self.plan = plan


class Station:
    """A real M/M/c/K queue for one component."""

    __slots__ = ("plane", "comp", "busy", "queue", "busy_area", "last_t")

    def __init__(self, plane: "ExactPlane", comp: Component) -> None:
        self.plane = plane
        self.comp = comp
        self.busy = 0
        self.queue: deque = deque()
        self.busy_area = 0.0
        self.last_t = plane.env.now

    def _account(self) -> None:
        now = self.plane.env.now
        self.busy_area += self.busy * (now - self.last_t)
        self.last_t = now

    def arrive(self, req: Request, service: float, done: Callable[[Request], None]) -> None:
        comp = self.comp
        plane = self.plane
        if not comp.reachable():
            comp.tick_failed += 1
            plane.fail(req, f"{comp.id} is down ({comp.down_cause()})")
            return
        if self.busy < comp.workers:
            self._start(req, service, done)
        elif self.busy + len(self.queue) < comp.capacity:
            self.queue.append((req, service, done))
        else:
            comp.tick_failed += 1
            plane.fail(req, f"{comp.id} was overloaded and shed it (queue full)")

    def _start(self, req: Request, service: float, done: Callable[[Request], None]) -> None:
        self._account()
        self.busy += 1
        ev = self.plane.env.timeout(self.plane.rng.expovariate(1.0 / service) if service > 0 else 0.0)
        ev.callbacks.append(lambda _ev: self._finish(req, done))

    def _finish(self, req: Request, done: Callable[[Request], None]) -> None:
        self._account()
        self.busy -= 1
        comp = self.comp
        while self.queue and self.busy < comp.workers:
            nreq, nservice, ndone = self.queue.popleft()
            self._start(nreq, nservice, ndone)
        if comp.removed or not comp.reachable():
            comp.tick_failed += 1
            self.plane.fail(req, f"{comp.id} is down ({comp.down_cause()})")
            return
        comp.tick_served += 1
        done(req)


class ExactPlane:
    name = "exact"

    def __init__(self, engine: "Engine") -> None:
        self.e = engine
        self.env = engine.env
        self.rng = engine.rng
        self.stations: dict[Component, Station] = {}
        self.lru: dict[Component, OrderedDict] = {}
        self.cdn_store: dict[int, float] = {}
        self._keys: KeySampler | None = None
        self._static_keys: KeySampler | None = None
        self.jobs: deque = deque()
        self.jobs_done_tick = 0
        self.job_busy = 0
        self.job_area = 0.0
        self.job_last = 0.0
        self.applies: dict[Component, _ApplyStream] = {}
        # Replication, write by write: writes on their way to each replica (inside the
        # batching window), and writes whose window ended while their primary was
        # unreachable, held in its log as (primary, commit time) until it is back.
        self.shipping: dict[Database, int] = {}
        self.held: dict[Database, list[tuple[Database, float]]] = {}
        self.lag_sum: dict[Component, float] = {}
        self.lag_n: dict[Component, int] = {}
        self.queued_area = 0.0

    # --- keys ---------------------------------------------------------------------------
    def key(self, cls: str) -> int:
        e = self.e
        if cls in ("read", "write") and e.traffic.hot_share > 0 and self.rng.random() < e.traffic.hot_share:
            return HOT_KEY
        if self._keys is None:
            self._keys = e.keys.sampler(self.rng)
        return self._keys.draw()

    def static_key(self) -> int:
        if self._static_keys is None:
            self._static_keys = self.e.cdn_keys.sampler(self.rng)
        return self._static_keys.draw()

    def station(self, comp: Component) -> Station:
        st = self.stations.get(comp)
        if st is None:
            st = self.stations[comp] = Station(self, comp)
        return st

    # --- a tick: arrivals over the next interval, figures of the last one ----------------
    def tick(self, t: float, dt: float, plan: RoutePlan, demand: list[tuple[str, str, float, float]]) -> None:
        self._close_interval(dt)
        rng = self.rng
        for region, cls, _rate, count in demand:
            for _ in range(int(count)):
                at = rng.random() * dt
                ev = self.env.timeout(at)
                ev.callbacks.append(lambda _ev, r=region, c=cls: self.arrival(r, c))

    def _close_interval(self, dt: float) -> None:
        """Turn what happened since the last tick into the components' tick figures."""
        now = self.env.now
        for comp, st in self.stations.items():
            st._account()
            util = st.busy_area / (comp.workers * dt) if comp.workers > 0 else 0.0
            st.busy_area = 0.0
            comp.utilization = min(1.0, util) if comp.reachable() else 0.0
            comp.queue_length = float(len(st.queue))
            comp.busy_seconds += comp.utilization * dt
            comp.peak_utilization = max(comp.peak_utilization, comp.utilization)
        for comp in self.e.topology:
            comp.total_served += comp.tick_served
            comp.total_failed += comp.tick_failed
            comp.offered = (comp.tick_served + comp.tick_failed) / dt
            comp.state = IDLE
            comp.tick_served = 0.0
            comp.tick_failed = 0.0
            if isinstance(comp, Database):
                comp.tick_writes = 0.0
            if comp not in self.stations:
                comp.utilization = 0.0
        self.job_area += self.job_busy * (now - self.job_last)
        self.job_last = now
        workers = [w for w in self.e.topology.of_kind("worker") if w.serving(now)]
        cap = sum(w.workers for w in workers)
        util = self.job_area / (cap * dt) if cap > 0 else 0.0
        self.job_area = 0.0
        done = self.jobs_done_tick
        self.jobs_done_tick = 0
        for w in self.e.topology.of_kind("worker"):
            w.utilization = min(1.0, util) if w in workers else 0.0
            w.busy_seconds += w.utilization * dt
            w.peak_utilization = max(w.peak_utilization, w.utilization)
            if w in workers and cap > 0:
                w.total_served += done * w.workers / cap
        queues = [q for q in self.e.topology.of_kind("queue")]
        for i, q in enumerate(queues):
            q.depth = float(len(self.jobs)) if i == 0 else 0.0  # type: ignore[attr-defined]
        self._drain_jobs()

    def replication(self, t: float, dt: float, plan: RoutePlan) -> None:
        self._release_held()
        for r, n in list(self.lag_n.items()):
            if n:
                r.lag = self.lag_sum[r] / n  # type: ignore[attr-defined]
            self.lag_sum[r] = 0.0
            self.lag_n[r] = 0
        for r, stream in self.applies.items():
            if not r.reachable() and stream.queue:
                # Nothing applied: it is as far behind as its oldest waiting write.
                t0, base = stream.queue[0]
                r.lag = self.env.now - t0 + base  # type: ignore[attr-defined]

    # --- one request ----------------------------------------------------------------------
    def arrival(self, region: str, cls: str) -> None:
        e = self.e
        m = e.metrics
        m.arrive(1)
        m.in_flight += 1
        plan = e.router.plan(e.now)
        route, rtt = plan.dc_for[region]
        req = Request(self.env.now, region, cls, route, 0, plan)
        req.extra = rtt
        if cls == "static" and plan.cdn is not None:
            cdn = plan.cdn
            key = self.static_key()
            cdn.lookups += 1
            cdn.gigabytes += e.config.traffic.static_kb / 1e6
            cdn.tick_served += 1
            req.extra += cdn.edge_delay
            born = self.cdn_store.get(key)
            if born is not None and born >= cdn.started_at and self.env.now - born < cdn.ttl:
                cdn.hits += 1
                cdn.hit_rate = cdn.hits / cdn.lookups
                self.done(req)
                return
            self.cdn_store[key] = self.env.now
            cdn.hit_rate = cdn.hits / cdn.lookups
        if route is None:
            self.fail(req, plan.unreachable.get(region, f"no data centre can serve users in {region}"))
            return
        if cls in DYNAMIC:
            frac = e.sticky.relogin_fraction(route.region)
            if frac > 0 and self.rng.random() < frac:
                e.sticky.relogged(route.region, 1.0)
                self.fail(req, "session lost: the user was logged out when a web server went down")
                return
        if cls in ("read", "write"):
            req.key = self.key(cls)
        if route.has_lb:
            self.visit(req, route.entry, self.after_lb)
        else:
            self.visit(req, route.entry, self.after_web)

    def visit(self, req: Request, tier: Tier, then: Callable[[Request], None]) -> None:
        if not tier.options:
            self.fail(req, tier.missing or "nothing can serve it")
            return
        opts = tier.options
        if len(opts) == 1:
            o = opts[0]
        else:
            u = self.rng.random()
            acc = 0.0
            o = opts[-1]
            for cand in opts:
                acc += cand.weight
                if u < acc:
                    o = cand
                    break
        req.extra += o.delay
        comp = o.comp
        self.station(comp).arrive(req, self.service(comp, req), then)

    def service(self, comp: Component, req: Request) -> float:
        if req.cls == "async" and isinstance(comp, WebServer) and req.route.queue is None:
            return self.e.config.traffic.async_work_ms / 1000.0 * comp.slowdown
        return comp.service_time

    def after_lb(self, req: Request) -> None:
        self.visit(req, req.route.web, self.after_web)

    def after_web(self, req: Request) -> None:
        if req.cls in DYNAMIC and req.route.sessions is not None:
            self.visit(req, req.route.sessions, self.after_session)
        else:
            self.after_session(req)

    def after_session(self, req: Request) -> None:
        cls = req.cls
        route = req.route
        if cls == "static":
            self.done(req)
        elif cls == "async":
            if route.queue is None:
                self.done(req)
            else:
                self.visit(req, route.queue, self.enqueued)
        elif cls == "read" and route.cache is not None:
            ring = route.cache
            node = ring.nodes[partition_of(req.key, len(ring.nodes)) if len(ring.nodes) > 1 else 0]
            req.extra += ring.delay
            if not node.reachable():
                self.database(req)
                return
            self.station(node).arrive(req, node.service_time, lambda r, n=node: self.cache_lookup(r, n))
        else:
            self.database(req)

    def cache_lookup(self, req: Request, node: Cache) -> None:
        lru = self.lru.get(node)
        if lru is None or getattr(node, "_exact_epoch", None) != node.started_at:
            lru = self.lru[node] = OrderedDict()
            node._exact_epoch = node.started_at  # type: ignore[attr-defined]
        now = self.env.now
        node.lookups += 1
        self.e.metrics.lookups(0, 1)
        born = lru.get(req.key)
        if born is not None and now - born < node.ttl:
            lru.move_to_end(req.key)
            node.hits += 1
            self.e.metrics.lookups(1, 0)
            node.hit_rate = node.hits / node.lookups
            self.done(req)
            return
        node.hit_rate = node.hits / node.lookups

        def fill(r: Request, node=node) -> None:
            if node.reachable() and not node.removed:
                store = self.lru.get(node)
                if store is not None:
                    store[r.key] = self.env.now
                    store.move_to_end(r.key)
                    while len(store) > node.items:
                        store.popitem(last=False)
            self.done(r)

        self.database(req, fill)

    def database(self, req: Request, then: Callable[[Request], None] | None = None) -> None:
        plan = req.plan
        g = plan.group_position_of_key(req.key)
        tiers = req.route.reads if req.cls == "read" else req.route.writes
        tier = tiers[g] if g < len(tiers) else Tier([], "that shard has no database")
        if req.cls == "write":
            self.visit(req, tier, self.committed)
        else:
            self.visit(req, tier, then or self.done)

    def committed(self, req: Request) -> None:
        """A write is durable on the primary: answer, and ship it to the replicas."""
        g = req.plan.group_position_of_key(req.key)
        gi = req.plan.group_indices[g]
        group = self.e.topology.group(gi)
        if group is not None and group.primary is not None:
            primary = group.primary
            primary.tick_writes += 1
            net = self.e.config.network
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
                ev.callbacks.append(lambda _ev, r=r, p=primary, t0=now: self._arrive(r, p, t0))
        self.done(req)

    def _arrive(self, replica: Database, primary: Database, t0: float) -> None:
        self.shipping[replica] -= 1
        if replica.removed or replica.is_primary:
            return  # promoted meanwhile: the write was lost at the promotion
        if not primary.reachable():
            self.held.setdefault(replica, []).append((primary, t0))
            return
        self._apply(replica, t0, 0.0)

    def _apply(self, replica: Database, t0: float, base: float) -> None:
        st = self.applies.get(replica)
        if st is None:
            st = self.applies[replica] = _ApplyStream(self, replica)
        st.submit(t0, base)

    def _release_held(self) -> None:
        """Writes held in a primary's log go out once it is reachable again."""
        for replica, held in self.held.items():
            if not held:
                continue
            if replica.removed or replica.is_primary:
                held.clear()
                continue
            keep = []
            for primary, t0 in held:
                if primary.reachable() and primary.is_primary:
                    self._apply(replica, t0, 0.0)
                elif primary.is_primary:
                    keep.append((primary, t0))
            held[:] = keep

    def unreplicated(self, replica: Database) -> float:
        """Writes committed on its primary that this replica has not applied, counted one
        by one: on their way, held in the primary's log, or waiting in its apply stream."""
        stream = self.applies.get(replica)
        pending = stream.pending if stream is not None else 0
        return float(self.shipping.get(replica, 0) + len(self.held.get(replica, ())) + pending)

    def enqueued(self, req: Request) -> None:
        self.e.metrics.jobs_enqueued += 1
        self.jobs.append(self.env.now)
        self._drain_jobs()
        self.done(req)

    def _drain_jobs(self) -> None:
        now = self.env.now
        workers = [w for w in self.e.topology.of_kind("worker") if w.serving(now)]
        cap = sum(w.workers for w in workers)
        if not workers:
            return
        service = sum(w.service_time * w.workers for w in workers) / cap
        while self.jobs and self.job_busy < cap:
            self.jobs.popleft()
            self.job_area += self.job_busy * (now - self.job_last)
            self.job_last = now
            self.job_busy += 1
            ev = self.env.timeout(self.rng.expovariate(1.0 / service))
            ev.callbacks.append(lambda _ev: self._job_done())

    def _job_done(self) -> None:
        now = self.env.now
        self.job_area += self.job_busy * (now - self.job_last)
        self.job_last = now
        self.job_busy -= 1
        self.e.metrics.jobs_done += 1
        self.jobs_done_tick += 1
        self._drain_jobs()

    # --- outcomes -------------------------------------------------------------------------
    def done(self, req: Request) -> None:
        m = self.e.metrics
        lat = self.env.now - req.t0 + req.extra
        m.in_flight -= 1
        m.serve(1, lat)
        m.shape(lat, 1)

    def fail(self, req: Request, reason: str) -> None:
        m = self.e.metrics
        m.in_flight -= 1
        m.fail(1, reason)

    def drain(self, horizon: float = 120.0) -> None:
        """Simulate the arrivals of the last half tick, then run until every answer is in."""
        if self.env.now < self.e.end:
            self.env.run(until=self.e.end)
        end = self.env.now + horizon
        while self.e.metrics.in_flight > 0.5 and self.env.now < end:
            self.env.run(until=min(end, self.env.now + 1.0))


class _ApplyStream:
    """A replica's single apply stream: an M/M/1 queue at the replica's apply rate."""

    def __init__(self, plane: ExactPlane, replica: Database) -> None:
        self.plane = plane
        self.replica = replica
        self.queue: deque = deque()
        self.busy = False
        self.pending = 0  # writes submitted and not yet applied (queued or being applied)

    def submit(self, t0: float, base: float) -> None:
        self.queue.append((t0, base))
        self.pending += 1
        if not self.busy:
            self._next()

    def _next(self) -> None:
        if self.replica.is_primary:
            # Promoted: what it had not applied was lost at the promotion.
            self.queue.clear()
            self.pending = 0
        if not self.queue:
            self.busy = False
            self.replica.apply_backlog = 0.0
            return
        self.busy = True
        if not self.replica.reachable():
            # Down: the writes wait in the primary's log until it is back.
            self.replica.apply_backlog = float(len(self.queue))
            ev = self.plane.env.timeout(1.0)
            ev.callbacks.append(lambda _ev: self._next())
            return
        t0, base = self.queue.popleft()
        self.replica.apply_backlog = float(len(self.queue))
        rate = self.replica.apply_rate
        ev = self.plane.env.timeout(self.plane.rng.expovariate(rate))
        ev.callbacks.append(lambda _ev: self._done(t0, base))

    def _done(self, t0: float, base: float) -> None:
        self.pending = max(0, self.pending - 1)
        p = self.plane
        lag = p.env.now - t0 + base
        r = self.replica
        p.lag_sum[r] = p.lag_sum.get(r, 0.0) + lag
        p.lag_n[r] = p.lag_n.get(r, 0) + 1
        self._next()

