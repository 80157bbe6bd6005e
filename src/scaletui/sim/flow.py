"""The flow engine's data plane: a tick of traffic moved as flows through the route plan.

Each tick, the arrivals of each (region, request class) form a flow. A flow passes the
tiers of its path in a fixed order (CDN edge, load balancer, web, session store, cache,
database, message queue); at every tier it is spread over the tier's stations by
their shares. Every station sums what all flows offer it and is evaluated as an
M/M/c/K station, pointwise stationary at that rate: the shed fraction fails there,
the rest moves on with the station's mean response time added. A cache splits a
flow into hits (done) and misses (on to the database), and counts the hits that are
stale under its write policy (staleness.py) at the write rate committed last tick.

Means are exact (sums of stage means: stations in series with Poisson input are
independent in steady state). Quantiles come from a few requests sampled per tick
through the same stages, each weighted by the requests it stands for.

Clients give up after their timeout: the share of a flow that times out is the tail
of its response time beyond it (see _timed_out_share). Failed and timed-out requests
come back as retries after the backoff (client.RetryBacklog), mixed into the arrivals
of the tick they are due in; every flow of a (region, class) carries the same mix of
first tries and retries, so each failure splits into retries and final failures by it.
A fan-out read (a feed, a search, a join) reads several shards at once and is answered
by the slowest: each shard is offered every fan-out that touches it, a fan-out gets
through only if all its shards answer, and its latency samples are the maximum of one
sample per shard (shards taken as independent). Its mean is the integral of
1 - prod F_j(t) (sim/fanout.py).

Cost per tick is independent of the load: it depends on the number of stations and
flows, never on how many requests they carry.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache
from itertools import accumulate, chain, repeat
from typing import Callable

from scaletui.sim.async_jobs import job_seconds, jobs_per_second
from scaletui.sim.client import RetryBacklog, error_reason, is_timeout, shed_reason, timeout_reason
from scaletui.sim.components import Cache, Component, Database, LoadBalancer, MessageQueue, WebServer
from scaletui.sim.components.web import busiest_behind
from scaletui.sim.db_calls import BREAKER_OPEN, DB_TIMEOUT
from scaletui.sim.fanout import FANOUT, ShardOption, fan_width, mean_of_max, touched, write_copies
from scaletui.sim.hold_search import HoldSearch
from scaletui.sim.keyspace import HOT_KEY, partition_of
from scaletui.sim.mmck import (IDLE, StationState, response_tail, sample_queue_position, sample_response,
                               station_state)
from scaletui.sim.plane import PlaneContext
from scaletui.sim.response_tail import timeout_figures
from scaletui.sim.routing import CacheRing, DcRoute, RoutePlan, Tier
from scaletui.sim.sharding import hot_key_moves, moved_request_share
from scaletui.sim.snapshot import Hop, Trace
from scaletui.sim.staleness import INVALIDATE, StaleReadModel
from scaletui.sim.station_runs import Run, singletons, state_key, station_runs
from scaletui.sim.sticky import SESSION_LOST
from scaletui.sim.summation import plain_sum


DYNAMIC = ("read", "write", "async", FANOUT)
CACHED = ("read", FANOUT)  # classes a cache answers (a fan-out read: its assembled result)

# Up to this many stations a stage lists one pick each (cheaper to draw from); past it a
# drawn index finds its run.
FEW_PICKS = 64

# A pick: (component or None, network delay, state or None, mu for waits, own service mean,
#          label, K of the station at that service time)
Pick = tuple


class Stage:
    """The choices one tier offered to the requests that got through it.

    Held as runs of identical stations: (weight of each, the stations, the rest of their
    pick). The cumulative weights, one per station, are built only when a request is
    drawn through the stage, by the same left-to-right sum as station by station. In a
    big tier a drawn index finds its run by the runs' first indexes, so no pick per
    station is built."""

    __slots__ = ("label", "runs", "_cum", "_starts", "_few", "_picks", "_draws", "_mean")

    def __init__(
        self, label: str, weights: list[float], picks: list[Pick],
        runs: list[tuple[float, tuple, tuple]] | None = None,
    ) -> None:
        self.label = label
        self.runs: list[tuple[float, tuple, tuple]] = (
            runs if runs is not None else [(w, (p[0],), p[1:]) for w, p in zip(weights, picks)]
        )
        self._cum: list[float] | None = None
        self._starts: list[int] = []
        self._few = False  # indexes are stations (else a drawn index finds its run)
        self._picks: list[Pick] | None = None
        self._draws: list[Draw] | None = None
        self._mean: float | None = None

    @classmethod
    def of_runs(cls, label: str, runs: list[tuple[float, tuple, tuple]]) -> "Stage":
        return cls(label, [], [], runs)  # the runs as they are, no picks to build them from

    def mean_time(self) -> float:
        """The mean time a request spends in this stage (delay, wait and service), weighted
        by the stations' shares. Kept: the stages a flow passed are shared by the flows it
        splits into, and their runs do not change once built."""
        m = self._mean
        if m is None:
            tot = acc = 0.0
            for w, members, rest in self.runs:
                n = w * len(members)
                tot += n
                state = rest[1]
                acc += n * (rest[0] + (state.mean_wait + rest[3] if state is not None else 0.0))
            m = self._mean = acc / tot if tot > 0 else 0.0
        return m

    def _expand(self) -> list[float]:
        """One cumulative weight per station; in a big tier, each run's first index."""
        runs = self.runs
        stations = 0
        for _, m, _ in runs:
            stations += len(m)
        if stations <= FEW_PICKS:
            self._few = True
            if stations == len(runs):  # runs of one station each (the same sums, fewer steps)
                cum = self._cum = list(accumulate([w for w, _, _ in runs]))
            else:
                cum = self._cum = list(accumulate(chain.from_iterable(repeat(w, len(m)) for w, m, _ in runs)))
            return cum
        shape = tuple((w, len(m)) for w, m, _ in runs)
        cum = self._cum = _cumulative(shape)
        self._starts = _run_starts(shape)
        return cum

    @property
    def cum(self) -> list[float]:
        return self._cum if self._cum is not None else self._expand()

    @property
    def picks(self) -> list[Pick]:
        return [(c,) + rest for _, m, rest in self.runs for c in m]

    def draws(self) -> list["Draw"]:
        """One Draw per run, or per station when there are few of them (several runs)."""
        draws = self._draws
        if draws is None:
            draws = self._draws = self._make_draws()
        return draws

    def draw_of(self, u: float) -> "Draw":
        """What a latency sample needs of the station that u (uniform on [0, 1)) picks:
        that of choose(u)'s station. A stage of one run needs no cumulative weights: every
        index picks a station like the others."""
        draws = self._draws
        if draws is None:
            draws = self._draws = self._make_draws()
        if len(draws) == 1:
            return draws[0]
        cum = self._cum if self._cum is not None else self._expand()
        i = bisect.bisect_left(cum, u * cum[-1])
        if i >= len(cum):
            i = len(cum) - 1
        if self._few:
            return draws[i]
        return draws[bisect.bisect_right(self._starts, i) - 1]

    def draw_table(self) -> tuple[list["Draw"], list[float], float, int, list[int] | None]:
        """What draw_of reads to pick a Draw: the Draws, the cumulative weights, their
        total and last index, and the runs' first indexes (None: an index is a station)."""
        draws = self.draws()
        cum = self._cum if self._cum is not None else self._expand()
        return draws, cum, cum[-1], len(cum) - 1, None if self._few else self._starts

    def _make_draws(self) -> list["Draw"]:
        runs = self.runs
        if len(runs) == 1:  # most stages
            _, m, rest = runs[0]
            return [_draw_of(m[0], *rest)]
        per_run = [_draw_of(m[0], *rest) for _, m, rest in runs]
        cum = self._cum if self._cum is not None else self._expand()  # tells whether indexes are stations
        if self._few and len(cum) > len(runs):
            return list(chain.from_iterable(repeat(d, len(m)) for d, (_, m, _) in zip(per_run, runs)))
        return per_run  # one per run: a run's first index, or (as many as stations) a station's

    def choose(self, u: float) -> Pick:
        cum = self._cum if self._cum is not None else self._expand()
        i = bisect.bisect_left(cum, u * cum[-1])
        if i >= len(cum):
            i = len(cum) - 1
        if self._few:
            picks = self._picks
            if picks is None:
                picks = self._picks = self.picks
            return picks[i]
        starts = self._starts
        j = bisect.bisect_right(starts, i) - 1
        _, members, rest = self.runs[j]
        return (members[i - starts[j]],) + rest


# A station as a latency draw sees it: (network delay, whether it queues, 1 / its service
# mean (0: no service time), wait probability, rho, waiting places K - c, mean of one
# step of its queue 1 / (c mu)). sample_response's arithmetic, computed once per stage.
Draw = tuple[float, bool, float, float, float, int, float]


def _draw_of(comp: Component | None, delay: float, state: StationState | None, mu: float, svc: float,
             _label: str, capacity: int) -> Draw:
    if state is None or comp is None:
        return (delay, False, 0.0, 0.0, 0.0, 0, 0.0)
    workers = comp.workers
    step = 1.0 / (workers * mu) if workers * mu > 0 else 0.0
    return (delay, True, 1.0 / svc if svc > 0 else 0.0, state.wait_probability, state.rho,
            capacity - workers, step)


@lru_cache(maxsize=256)
def _cumulative(shape: tuple[tuple[float, int], ...]) -> list[float]:
    """Cumulative weights of runs of (weight, stations): the same tiers come back every
    tick, so their sums are kept (callers only read them)."""
    return list(accumulate(chain.from_iterable(repeat(w, n) for w, n in shape)))


@lru_cache(maxsize=256)
def _run_starts(shape: tuple[tuple[float, int], ...]) -> list[int]:
    return [0, *accumulate(n for _, n in shape[:-1])]


class FanStage:
    """The database tier of a fan-out: shard reads in parallel, answered by the slowest.

    `starts`: per key shard, the weight of the requests that started there and got every
    answer, and the stages of the shards they touched (one choice of copy each)."""

    __slots__ = ("label", "starts", "_cum")

    def __init__(self, label: str, starts: list[tuple[float, tuple[Stage, ...]]]) -> None:
        self.label = label
        self.starts = starts
        self._cum = list(accumulate(w for w, _ in starts))

    def choose_start(self, u: float) -> tuple[Stage, ...]:
        cum = self._cum
        i = bisect.bisect_left(cum, u * cum[-1])
        return self.starts[min(i, len(self.starts) - 1)][1]


class Flow:
    __slots__ = ("region", "cls", "route", "rate", "count", "mean", "stages", "hot", "shares", "at_web")

    def __init__(self, region: str, cls: str, route: DcRoute | None, rate: float, count: float,
                 mean: float, stages: tuple["Stage | FanStage", ...], hot: float,
                 shares: tuple[float, ...] | None = None, at_web: float | None = None) -> None:
        self.region = region
        self.cls = cls
        self.route = route
        self.rate = rate
        self.count = count
        self.mean = mean
        self.stages = stages
        self.hot = hot  # fraction of this flow asking for the hot key
        self.shares = shares  # how its keys spread over shards (None: like all requests)
        self.at_web = at_web  # its mean time when it left the web tier (None: not there yet)

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
    __slots__ = ("flow", "comp", "reason", "count", "waited")

    def __init__(self, flow: Flow, comp: Component | None, reason: str, count: float,
                 waited: float = 0.0) -> None:
        self.flow = flow
        self.comp = comp
        self.reason = reason
        self.count = count
        self.waited = waited  # mean seconds spent at the failing tier before failing


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
        self.client = ctx.config.traffic.client
        self._timeout_reason = timeout_reason(self.client)
        self.retry_backlog = RetryBacklog(self.client, ctx.dt)
        # This tick's share of first tries (index 0) and of each retry, per (region, class).
        self._mix: dict[tuple[str, str], list[float]] = {}
        self._tick_no = 0
        self._tail_memo: dict[tuple, float] = {}
        # This tick's service time of each station and K of each station at a service
        # rate: read for every flow that reaches it, and nothing changes them within a tick.
        self._svc: dict[Component, float] = {}
        self._caps: dict[tuple[Component, float], int] = {}
        # Load shedding, per data centre route whose load balancers limit the requests in
        # flight behind them: (the limit summed over them, the rate they let through,
        # the first of them). Behind such a tier each station holds at most its share of
        # the limit (by the rate it gets of what came through), in service and waiting;
        # what a station cannot hold then was refused at the load balancer, at once.
        self._limits: dict[int, tuple[float, float, LoadBalancer]] = {}
        self._allow: dict[Component, tuple[float, LoadBalancer]] = {}
        self._held_cap: dict[Component, int] = {}
        # Thread-per-request web servers hold a worker for the answer of what is behind
        # them: the mean time past the web tier, per (data centre's region, class). The
        # web tier is evaluated before what is behind it, so each tick uses the hold the
        # last ticks point to, searched for the fixed point (hold_search): in a steady
        # state it is the time requests spend behind the web tier.
        self._downstream: dict[tuple[str, str], float] = {}
        self._hold_search: dict[tuple[str, str], HoldSearch] = {}
        # Share of the web tier's calls each database station failed (shed or timed out)
        # last tick: what its retries multiply the next tick's calls by.
        self._db_fail: dict[Component, float] = {}
        self._db_fail_next: dict[Component, float] = {}
        self._tails: dict[Component, tuple[tuple, tuple[float, float]]] = {}
        # Fan-out flows of the stage being run: (key shards with their share and the
        # shards each touches, the tiers of the shards).
        self._fans: dict[int, tuple[list[tuple[float, tuple[int, ...]]], list[Tier]]] = {}
        self._max_means: dict[tuple, float] = {}  # mean of the slowest shard read, by what the shards are
        self._runs_checked: set[int] = set()  # tiers whose runs were checked this tick
        self.stale = StaleReadModel(ctx.hits)
        # Writes the primaries committed last tick, per second (the flows' rates, not the
        # tick's draw of them): what changes cached values this tick (this tick's are
        # known only after the cache stage).
        self.write_rate = 0.0
        self._committed_rate = 0.0
        # Per Zipf bucket, the chance that a key's last acknowledged write was lost by a
        # promotion (the database answers with an older value until the key is written
        # again), and the lost writes already spread over the keys.
        self._missing: list[float] | None = None
        self._lost_seen = 0.0

    # --- one tick -------------------------------------------------------------------
    def tick(self, t: float, dt: float, plan: RoutePlan, demand: list[tuple[str, str, float, float]]) -> None:
        e = self.ctx
        self.completed = []
        self.failures = []
        if plan is not self._runs_plan or e.topology.version != self._runs_version:
            # Every change to what state_key reads bumps the topology's version.
            self._runs = {}
            self._runs_plan, self._runs_version = plan, e.topology.version
        self._tick_no = int(round(t / dt))
        self._svc = {}
        self._caps = {}
        demand = self._with_retries(demand, dt)
        self._limits = {}
        self._held_cap = {}
        topo = e.topology
        for comp in topo:
            # A station nothing reaches this tick stays IDLE: no work, no queue.
            comp.offered = comp.tick_served = comp.tick_failed = comp.held_waiting = 0.0
            comp.state = IDLE
        for db in topo.db_nodes():
            db.tick_writes = 0.0
        for cache in topo.of_kind("cache"):
            if isinstance(cache, Cache):
                cache.tick_hits = cache.tick_lookups = 0.0
        self._runs_checked = set()
        flows = self._edge(t, dt, plan, demand)
        flows = self._sessions_lost(flows)
        flows = self._stage(flows, "lb", self._entry, t)
        flows = self._stage(flows, "web", self._web, t)
        flows = self._stage(flows, "session", self._session, t)
        flows = self._cache_stage(flows, t, plan)
        flows = self._breaker(flows)
        self._db_fail_next = {}
        flows = self._stage(flows, "db", lambda f: self._db(f, plan), t)
        self._db_fail = self._db_fail_next
        self._lost_values(flows)
        flows = self._stage(flows, "queue", self._queue, t)
        for f in flows:  # whatever is left has been answered
            self._complete(f)
        self._downstream = self._next_holds()
        self._finish_stations(dt)
        self._rewritten(self._committed_rate, dt)
        self.write_rate, self._committed_rate = self._committed_rate, 0.0
        self._jobs(t, dt, plan)
        self._sample(t)
        e.metrics.sessions_lost = e.sticky.sessions_lost

    def _with_retries(self, demand, dt: float):
        """The tick's arrivals with the retries due in it; each (region, class)'s mix of
        first tries and retries goes to self._mix."""
        self._mix = {}
        due = self.retry_backlog.take(self._tick_no)
        if not due:
            return demand
        out = []
        for region, cls, rate, count in demand:
            back = due.pop((region, cls), None)
            if back:
                extra = plain_sum(back.values())
                total = count + extra
                mix = [count / total]
                for k in range(1, max(back) + 1):
                    mix.append(back.get(k, 0.0) / total)
                self._mix[(region, cls)] = mix
                rate, count = rate + extra / dt, total
            out.append((region, cls, rate, count))
        for (region, cls), back in due.items():  # retries of a class no one asks for now
            extra = plain_sum(back.values())
            self._mix[(region, cls)] = [0.0] + [back.get(k, 0.0) / extra for k in range(1, max(back) + 1)]
            out.append((region, cls, extra / dt, extra))
        return out

    # --- stages -----------------------------------------------------------------------
    def _edge(self, t: float, dt: float, plan: RoutePlan, demand) -> list[Flow]:
        e = self.ctx
        flows: list[Flow] = []
        cdn = plan.cdn
        hit = 0.0
        if cdn is not None:
            static_rate = plain_sum([r for _, c, r, _ in demand if c == "static"])
            hit = e.cdn_hits.hit_rate(cdn.size_spec.items, static_rate, cdn.ttl, t - cdn.started_at)
            cdn.hit_rate = hit
        hot = e.traffic.hot_share
        for region, cls, rate, count in demand:
            mix = self._mix.get((region, cls))
            if mix is None:
                e.metrics.arrive(count)
            else:
                first = count * mix[0]
                e.metrics.arrive(first)
                e.metrics.retry_arrive(count - first)
                e.metrics.in_flight -= count - first  # back from waiting: in this tick's flows now
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
        if f.cls not in ("read", "write", FANOUT):
            return None
        site = f.site
        tiers = site.writes if f.cls == "write" else site.reads
        shares = f.shares if f.shares is not None and len(f.shares) == len(tiers) else plan.group_shares
        copies = write_copies(f.cls, self.ctx.topology.denormalized,
                              fan_width(self.ctx.config.traffic.fanout_shards, len(tiers)))
        if copies > 1:
            return self._fan_options(f, plan, tiers, shares, copies)
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

    def _fan_options(self, f: Flow, plan: RoutePlan, tiers: list[Tier], shares: tuple[float, ...],
                     width: int) -> list[TierOption]:
        """A flow that goes to `width` shards at once: each shard is offered the requests of
        every key shard whose fan-out touches it (so the weights sum to `width`). How the
        requests split is kept for _through_fan."""
        n = len(tiers)
        hot = f.hot
        starts = []
        cover = [0.0] * n
        for g in range(n):
            share = (1 - hot) * shares[g] + (hot if g == plan.hot_group else 0.0)
            if share <= 0:
                continue
            span = touched(g, width, n)
            starts.append((share, span))
            for j in span:
                cover[j] += share
        out: list[TierOption] = []
        for j, tier in enumerate(tiers):
            if cover[j] <= 0:
                continue
            if not tier.options:
                out.append((cover[j], None, 0.0, tier.missing))
                continue
            for o in tier.options:
                out.append((cover[j] * o.weight, (o.comp,), o.delay, None))
        self._fans[id(f)] = (starts, tiers)
        return out

    def _options(self, tier: Tier) -> list[TierOption]:
        # Sticky sessions rewrite a stateful tier's shares every tick (before it starts):
        # reuse runs only for the same shares, checked once a tick.
        key = id(tier)
        known = self._runs.get(key)
        if known is not None and key in self._runs_checked:
            return known[1]
        weights = [o.weight for o in tier.options]
        self._runs_checked.add(key)
        if known is not None and known[0] == weights:
            return known[1]
        runs = station_runs(tier)
        self._runs[key] = (weights, runs)
        return runs

    def _service_mean(self, comp: Component, f: Flow) -> float:
        if f.cls == "async" and isinstance(comp, WebServer) and f.site.queue is None:
            return job_seconds(self.ctx.config.traffic.async_work_ms, comp)
        return self._service_time(comp)

    def _service_time(self, comp: Component) -> float:
        """comp.service_time, read once a tick."""
        st = self._svc.get(comp)
        if st is None:
            st = self._svc[comp] = comp.service_time
        return st

    def _capacity(self, comp: Component, mu: float) -> int:
        """comp.capacity_for(1 / mu), computed once a tick."""
        key = (comp, mu)
        cap = self._caps.get(key)
        if cap is None:
            cap = self._caps[key] = comp.capacity_for(1.0 / mu)
        return cap

    def _attempts(self, comp: Component) -> float:
        """Calls per request the web tier makes to this database station: first tries plus
        retries of those that failed, at last tick's failure share p: 1 + p + ... + p^n."""
        n = self.ctx.db_calls.retries
        p = self._db_fail.get(comp, 0.0)
        return plain_sum([p ** k for k in range(n + 1)])

    def _breaker(self, flows: list[Flow]) -> list[Flow]:
        """An open breaker fails the web tier's database calls at once (half-open: all but
        the probes)."""
        share = self.ctx.db_calls.admitted_share()
        if share >= 1.0:
            return flows
        out = []
        for f in flows:
            if f.cls in ("read", "write"):
                self._fail(f, None, BREAKER_OPEN, f.count * (1.0 - share))
                if share <= 0:
                    continue
                f = Flow(f.region, f.cls, f.route, f.rate * share, f.count * share, f.mean, f.stages, f.hot,
                         f.shares, f.at_web)
            out.append(f)
        return out

    def _next_holds(self) -> dict[tuple[str, str], float]:
        """Next tick's hold past the web tier: this tick's, searched for the fixed point."""
        out = {}
        for key, seen in self._held_downstream().items():
            search = self._hold_search.get(key)
            if search is None:
                search = self._hold_search[key] = HoldSearch()
            out[key] = search.next(self._downstream.get(key, 0.0), seen)
        return out

    def _held_downstream(self) -> dict[tuple[str, str], float]:
        """Mean time past the web tier of this tick's requests, answered or failed."""
        acc: dict[tuple[str, str], list[float]] = {}
        for f, count, extra in chain(((f, f.count, 0.0) for f in self.completed),
                                     ((p.flow, p.count, p.waited) for p in self.failures)):
            if f.at_web is None or f.route is None:
                continue
            a = acc.setdefault((f.site.region, f.cls), [0.0, 0.0])
            a[0] += count
            a[1] += count * (f.mean - f.at_web + extra)
        return {k: total / n for k, (n, total) in acc.items() if n > 0}

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
        allow = self._allow = {}
        held: dict[Component, float] = {}  # workers-worth of waiting downstream offered
        retrying = label == "db" and self.ctx.db_calls.retries > 0
        downstream = self._downstream
        svc_of = self._svc
        for f, opts in work:
            # Per flow: how long a thread-per-request web server holds a worker past its own
            # work, whether its async work runs on the web tier (_service_mean), its limit.
            site = f.site
            hold = downstream.get((site.region, f.cls), 0.0) if downstream else 0.0
            inline = f.cls == "async" and site.queue is None
            limit = self._limits.get(id(f.route)) if self._limits else None
            for w, members, _, _ in opts:
                if members is not None and w > 0:
                    comp = members[0]
                    acc = offered.get(comp)
                    if acc is None:
                        acc = offered[comp] = [0.0, 0.0, members]
                    lam = f.rate * w
                    if retrying:
                        lam *= self._attempts(comp)
                    acc[0] += lam
                    extra = hold if hold and isinstance(comp, WebServer) and comp.holds_threads else 0.0
                    svc = svc_of.get(comp)
                    if svc is None or inline:
                        svc = self._service_mean(comp, f)
                    acc[1] += lam * (svc + extra)
                    if extra > 0:
                        held[comp] = held.get(comp, 0.0) + lam * extra
                    if limit is not None and limit[1] > 0:
                        n, lb = allow.get(comp, (0.0, limit[2]))
                        allow[comp] = (n + limit[0] * lam / limit[1], lb)
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
        for comp, waiting in held.items():
            admitted = waiting * (1.0 - states[comp][0].blocking)
            for c in offered[comp][2]:
                c.held_waiting = admitted
        for f, opts in work:
            fan = self._fans.pop(id(f), None)
            nxt = self._through(f, label, opts, states) if fan is None else self._through_fan(f, label, fan, states)
            if nxt is not None:
                passing.append(nxt)
        if label == "lb":
            self._note_limits(work)
        return passing

    def _note_limits(self, work: list[tuple[Flow, list[TierOption]]]) -> None:
        """The in-flight limits of the load balancers the flows just went through."""
        seen: set[int] = set()
        for f, opts in work:
            key = id(f.route)
            limit = total = 0.0
            first: LoadBalancer | None = None
            for w, members, _, _ in opts:
                if members is None or not isinstance(members[0], LoadBalancer):
                    continue
                lb = members[0]
                if lb.max_in_flight > 0 and lb.reachable():
                    limit += lb.max_in_flight * len(members)
                    first = first or lb
            if first is None:
                continue
            for w, members, _, _ in opts:
                if members is not None:
                    total += f.rate * w * len(members) * (1.0 - members[0].state.blocking)
            known = self._limits.get(key)
            if known is None or key not in seen:
                self._limits[key] = (limit, total, first)
                seen.add(key)
            else:
                self._limits[key] = (limit, known[1] + total, first)

    def _station(self, members: tuple[Component, ...], lam: float, work_s: float,
                 known: tuple[StationState, float] | None = None) -> tuple[StationState, float]:
        """State of identical stations, each offered lam requests/s that bring work_s seconds
        of work per second (`known`: already evaluated for identical ones)."""
        service = work_s / lam if lam > 1e-12 and work_s > 0 else self._service_time(members[0])
        held = self._allow.get(members[0]) if self._allow else None
        if held is not None:
            comp = members[0]
            # It holds at most its share of the limit, in service and waiting alike.
            cap = max(comp.workers + 1, int(round(held[0])))
            if comp.reachable() and cap < comp.capacity_for(service):
                return self._evaluate(members, lam, service, known, cap)
        return self._evaluate(members, lam, service, known)

    def _charge_migration(self, offered: dict[Component, list]) -> None:
        """While a reshard copies keys, each source and target shard's primary does that
        work too (sim/migration.py), offered as requests of its own service time."""
        for p, busy in self.ctx.topology.copying():
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
                  known: tuple[StationState, float] | None = None,
                  cap: int | None = None) -> tuple[StationState, float]:
        """State of identical stations, each at rate lam with this mean service time, computed
        once for all of them (`known`: the state of identical ones); returns (state, mu)."""
        if known is not None:
            _offer(members, lam, known[0])
            if cap is not None:
                for c in members:
                    self._held_cap[c] = cap
            return known
        comp = members[0]
        if not comp.reachable():
            _offer(members, lam, IDLE)
            return IDLE, 0.0
        nominal = self._service_time(comp)
        if cap is not None:
            # Held to its share of a load balancer's in-flight limit: a shorter queue.
            mu = 1.0 / service
            st = station_state(comp.workers, mu, cap, lam)
            for c in members:
                self._held_cap[c] = cap
        elif abs(service - nominal) < 1e-12:
            st = comp.evaluate(lam)
            mu = 1.0 / nominal if nominal > 0 else math.inf  # comp.mu
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
        if cap is None and self._held_cap:
            for c in members:
                self._held_cap.pop(c, None)
        _offer(members, lam, st)
        return st, mu

    def _through(self, f: Flow, label: str, opts: list[TierOption], states) -> Flow | None:
        """Move flow f through one tier; returns what got through (None if nothing)."""
        count = f.count
        runs: list[tuple[float, tuple, tuple]] = []
        accepted = 0.0
        mean_acc = 0.0
        writes = f.cls == "write" and label == "db"
        calls = self.ctx.db_calls
        db = label == "db"
        policy = db and (calls.timeout is not None or calls.retries > 0)
        svc_of = self._svc
        inline = f.cls == "async" and f.site.queue is None  # see _service_mean
        for w, members, delay, missing in opts:
            if w <= 0:
                continue
            if members is None:
                if db:  # every attempt fails
                    calls.calls += count * w * (calls.retries + 1)
                    calls.errors += count * w * (calls.retries + 1)
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
                if db:
                    calls.calls += lost * len(members) * (calls.retries + 1)
                    calls.errors += lost * len(members) * (calls.retries + 1)
                for c in members:
                    c.tick_failed += lost
                    self._fail(f, c, f"{c.id} is down ({c.down_cause()})", lost)
                continue
            if policy:
                got = self._db_call(f, w, members, delay, state, mu)
                accepted += got[0] * len(members)
                mean_acc += got[1] * len(members)
                if got[0] > 0:
                    runs.append((got[0], members, (delay, state, mu, self._service_mean(comp, f), label,
                                                   self._capacity(comp, mu))))
                continue
            if db:
                calls.calls += count * w * len(members)
                calls.errors += count * w * state.blocking * len(members)
            a = 1.0 - state.blocking
            held = self._held_cap.get(comp) if self._held_cap else None
            if a < 1.0 and held is not None:
                # What it could not hold was refused by the load balancer, at once.
                lb = self._allow[comp][1] if comp in self._allow else None
                shed = count * w * (1.0 - a)
                for c in members:
                    if lb is not None:
                        lb.tick_failed += shed
                    self._fail(f, lb, shed_reason(lb.id, lb.max_in_flight) if lb is not None
                               else f"{c.id} was overloaded and shed it (queue full)", shed)
            elif a < 1.0:
                shed = count * w * (1.0 - a)
                for c in members:
                    c.tick_failed += shed
                    behind = busiest_behind(self.ctx.topology, c.region) if c.held_waiting > 0 else None
                    self._fail(f, c, c.shed_reason(c.held_waiting, behind), shed)
            if a <= 0:
                continue
            svc = svc_of.get(comp)
            if svc is None or inline:
                svc = self._service_mean(comp, f)
            wa = w * a
            if comp.error_share > 0:
                # Worked on (its load counts them) and answered with an error.
                bad = count * wa * comp.error_share
                for c in members:
                    c.tick_failed += bad
                    self._fail(f, c, error_reason(c.id), bad)
                wa *= 1.0 - comp.error_share
            served = count * wa
            for c in members:
                c.tick_served += served
                if writes and isinstance(c, Database):
                    c.tick_writes += served
                    self._committed_rate += f.rate * wa
            resp = wa * (delay + state.mean_wait + svc)
            k = len(members)  # one addition per station, as station by station
            if k == 1:
                accepted += wa
                mean_acc += resp
            else:
                accepted = _add_repeatedly(accepted, wa, k)
                mean_acc = _add_repeatedly(mean_acc, resp, k)
            runs.append((wa, members, (delay, state, mu, svc, label,
                                       held if held is not None else self._capacity(comp, mu))))
        if accepted <= 0:
            return None
        mean = f.mean + mean_acc / accepted
        return Flow(f.region, f.cls, f.route, f.rate * accepted, count * accepted,
                    mean, f.stages + (Stage.of_runs(label, runs),), f.hot, None,
                    mean if label == "web" else f.at_web)

    def _db_call(self, f: Flow, w: float, members: tuple, delay: float, state: StationState,
                 mu: float) -> tuple[float, float]:
        """The web tier's call to one database station under its timeout and retries.

        An attempt fails when the station sheds it (at once) or takes longer than the
        timeout T (the web server gives up at T; the database still does the work). With
        p that share and n retries, a request's call fails with probability p^(n+1) and
        costs 1 + p + ... + p^n attempts. Returns (share that got an answer, that share
        times its mean time at this tier)."""
        calls = self.ctx.db_calls
        comp = members[0]
        count = f.count
        svc = self._service_mean(comp, f)
        limit = calls.timeout
        ps = state.blocking
        if limit is not None and state.arrival_rate > 0:
            key = (state, limit, svc)
            memo = self._tails.get(comp)
            if memo is None or memo[0] != key:
                memo = self._tails[comp] = (key, timeout_figures(state, comp.workers, mu,
                                                                   self._capacity(comp, mu), svc, limit))
            late, capped = memo[1]
        else:
            late, capped = 0.0, state.mean_wait + svc
        pt = (1.0 - ps) * late
        p = ps + pt
        n = calls.retries
        attempts = plain_sum([p ** k for k in range(n + 1)])
        answered = 1.0 - p ** (n + 1)
        self._db_fail_next[comp] = p
        per = count * w
        calls.calls += per * attempts * len(members)
        calls.errors += per * attempts * p * len(members)
        for c in members:
            c.tick_served += per * attempts * (1.0 - ps)  # timed-out calls are worked on all the same
            c.tick_failed += per * attempts * ps
            if f.cls == "write" and isinstance(c, Database):
                c.tick_writes += per * answered
        failed = per * (1.0 - answered)
        # A failed attempt was shed at once or given up on at T.
        fail_time = delay + (pt * limit / p if p > 0 and limit is not None else 0.0)
        if failed > 0:
            for c in members:
                if pt > 0:
                    self._fail(f, c, DB_TIMEOUT, failed * pt / p, (n + 1) * fail_time)
                if ps > 0:
                    self._fail(f, c, f"{c.id} was overloaded and shed it (queue full)", failed * ps / p,
                               (n + 1) * fail_time)
        if answered <= 0:
            return 0.0, 0.0
        ok_time = (capped - (limit or 0.0) * late) / (1.0 - late) if late < 1.0 else 0.0
        # Failed attempts before the one answered: sum k p^k (1 - p) over k <= n, given answered.
        before = plain_sum([k * p ** k * (1.0 - p) for k in range(n + 1)]) / answered
        return w * answered, w * answered * (delay + ok_time + before * fail_time)

    def _through_fan(self, f: Flow, label: str, fan, states) -> Flow | None:
        """Move a fan-out flow through the shards it reads (or a denormalized write through
        the shards it writes). Every shard serves its part of the reads; a request is
        answered only if every shard it touched answered, and then after the slowest.
        A request that fails is counted once, at the first of its shards that failed it."""
        starts, tiers = fan
        count = f.count
        writes = f.cls == "write"
        # Per shard: P(it answers), its stage for latency draws, its options for the mean,
        # and why its reads fail (reason -> (component, share of its reads)).
        answer: dict[int, float] = {}
        stage_of: dict[int, Stage] = {}
        options_of: dict[int, tuple[ShardOption, ...]] = {}
        why: dict[int, list[tuple[Component | None, str, float]]] = {}
        cover: dict[int, float] = {}
        for share, span in starts:
            for j in span:
                cover[j] = cover.get(j, 0.0) + share
        for j in sorted(cover):
            tier = tiers[j]
            lost: list[tuple[Component | None, str, float]] = []
            if not tier.options:
                answer[j] = 0.0
                why[j] = [(None, tier.missing or "nothing can serve it", 1.0)]
                continue
            ok = 0.0
            weights: list[float] = []
            picks: list[Pick] = []
            opts: list[ShardOption] = []
            for o in tier.options:
                comp = o.comp
                state, mu = states[comp]
                reads = count * cover[j] * o.weight
                if not comp.reachable():
                    comp.tick_failed += reads
                    lost.append((comp, f"{comp.id} is down ({comp.down_cause()})", o.weight))
                    continue
                a = 1.0 - state.blocking
                if a < 1.0:
                    comp.tick_failed += reads * (1.0 - a)
                    lost.append((comp, f"{comp.id} was overloaded and shed it (queue full)", o.weight * (1.0 - a)))
                if a <= 0:
                    continue
                svc = self._service_mean(comp, f)
                comp.tick_served += reads * a
                if writes and isinstance(comp, Database):
                    comp.tick_writes += reads * a
                ok += o.weight * a
                weights.append(o.weight * a)
                picks.append((comp, o.delay, state, mu, svc, label, self._capacity(comp, mu)))
                wait_rate = state.wait_probability / state.mean_wait if state.mean_wait > 0 else math.inf
                opts.append((o.weight * a, o.delay, state.wait_probability, svc, wait_rate))
            answer[j] = ok
            why[j] = lost
            if ok > 0:
                stage_of[j] = Stage(label, weights, picks)
                options_of[j] = tuple((p / ok, d, pw, sv, th) for p, d, pw, sv, th in opts)
        accepted = 0.0
        mean_acc = 0.0
        fan_starts: list[tuple[float, tuple[Stage, ...]]] = []
        failed: dict[tuple[Component | None, str], float] = {}
        for share, span in starts:
            alive = share
            for j in span:
                if alive <= 0:
                    break
                a = answer[j]
                if a < 1.0:
                    gone = alive * (1.0 - a)
                    total = plain_sum([w for _, _, w in why[j]])
                    for comp, reason, w in why[j]:
                        key = (comp, reason)
                        failed[key] = failed.get(key, 0.0) + count * gone * (w / total if total > 0 else 1.0)
                alive *= a
            if alive <= 0:
                continue
            accepted += alive
            mean_acc += alive * self._mean_of_slowest(span, options_of)
            fan_starts.append((alive, tuple(stage_of[j] for j in span)))
        for (comp, reason), n in failed.items():
            self._fail(f, comp, reason, n)
        if accepted <= 0:
            return None
        return Flow(f.region, f.cls, f.route, f.rate * accepted, count * accepted,
                    f.mean + mean_acc / accepted, f.stages + (FanStage(label, fan_starts),), f.hot)

    def _mean_of_slowest(self, span: tuple[int, ...], options_of: dict[int, tuple[ShardOption, ...]]) -> float:
        """Mean of the slowest of the shard reads of one fan-out (memoized: loads repeat)."""
        alike: dict[tuple[ShardOption, ...], int] = {}
        for j in span:
            o = options_of[j]
            alike[o] = alike.get(o, 0) + 1
        key = tuple(sorted(alike.items()))
        known = self._max_means.get(key)
        if known is None:
            if len(self._max_means) > 4096:
                self._max_means.clear()
            known = self._max_means[key] = mean_of_max(list(alike.items()))
        return known

    def _cache_stage(self, flows: list[Flow], t: float, plan: RoutePlan) -> list[Flow]:
        e = self.ctx
        passing: list[Flow] = []
        reads: list[Flow] = []
        ring_rate: dict[int, float] = {}
        for f in flows:
            if f.cls in CACHED and f.site.cache is not None:
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
            states[cached] = self._evaluate((cached,), lam, self._service_time(cached))
        hit_of: dict[Component, tuple[float, float, float, float]] = {}
        writes_z, writes_h = self.write_rate * (1 - hot_share), self.write_rate * hot_share
        for f in reads:
            ring = f.ring
            total_rate = ring_rate[id(ring.nodes[0])]
            n = len(ring.nodes)
            window: tuple[float, float] | None = None  # the first node not yet seen needs it
            for node in ring.nodes:
                if node in hit_of:
                    continue
                if not node.reachable():
                    hit_of[node] = (0.0, 0.0, 0.0, 0.0)
                    node.hit_rate = 0.0
                    continue
                age = t - node.started_at
                inval = writes_z if node.on_write == INVALIDATE else 0.0
                items, zipf_rate, hot_rate = node.items * n, total_rate * (1 - hot_share), total_rate * hot_share
                hz = e.hits.hit_rate(items, zipf_rate, node.ttl, age, inval)
                hh = e.hits.key_hit_rate(hot_rate, items, zipf_rate, node.ttl, age, inval,
                                         writes_h if inval else 0.0)
                if node.rekeyed is not None:
                    # After a reshard the moved keys' entries were dropped: that share of the
                    # requests warms up again from the reshard (Che's warm-up, as after a
                    # restart), taken at mid-tick: popular moved keys come back within it.
                    at, before, after = node.rekeyed
                    since = min(age, t - at) + e.dt / 2
                    moved = moved_request_share(e.keys, before, after)
                    hz = (1 - moved) * hz + moved * e.hits.hit_rate(items, zipf_rate, node.ttl, since, inval)
                    if hot_key_moves(before, after):
                        hh = e.hits.key_hit_rate(hot_rate, items, zipf_rate, node.ttl, since, inval,
                                                 writes_h if inval else 0.0)
                # Stale hits per Zipf lookup, and the share of the hot key's hits that are stale.
                if window is None:
                    window = _race_window(f.site)
                sz = self.stale.zipf_stale(node.on_write, items, zipf_rate, node.ttl, age, writes_z, window)
                sh = self.stale.key_stale_share(node.on_write, hot_rate, writes_h, items, zipf_rate, node.ttl,
                                                age, writes_z, window)
                hit_of[node] = (hz, hh, sz, sh)
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
                hz, hh, sz, sh = hit_of[node]
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
                e.metrics.stale(count * a * (zw * sz + hw * hh * sh))
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
                                    f.stages + (Stage("cache hit", hit_w, picks),), 0.0, None, f.at_web))
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
                        dead_w = plain_sum([data[i][0] for i, x in enumerate(ring.nodes) if not x.reachable()])
                        live_miss = miss_tot - dead_w * (1 - f.hot)
                        plain = e.keys.partition_shares(plan.sharding)
                        shares = tuple((max(0.0, live_miss) * c + dead_w * (1 - f.hot) * q) / miss_tot
                                       for c, q in zip(curve, plain))
                        norm = plain_sum(shares)
                        shares = tuple(x / norm for x in shares) if norm > 0 else None
                passing.append(Flow(f.region, f.cls, f.route, f.rate * miss_tot, count * miss_tot,
                                    f.mean + miss_mean / miss_tot,
                                    f.stages + (Stage("cache miss", miss_w, picks),),
                                    miss_hot / miss_tot, shares, f.at_web))
        return passing

    def _lost_values(self, flows: list[Flow]) -> None:
        """Reads the database answered without their key's last acknowledged write.

        Writes a promotion lost (the metrics' count, whichever way it was lost) fall on
        keys by popularity: n of them leave key i without its last write with probability
        1 - e^(-n p_i). Reads that reach the database ask for key i with probability p_i
        (the hot key aside)."""
        m = self.ctx.metrics
        keys = self.ctx.keys
        new = m.lost_writes - self._lost_seen
        if new > 1e-9:
            self._lost_seen = m.lost_writes
            old = self._missing or [0.0] * len(keys.bucket_p)
            self._missing = [1.0 - (1.0 - q) * math.exp(-new * p) for q, p in zip(old, keys.bucket_p)]
        if self._missing is None:
            return
        share = plain_sum([n * p * q for n, p, q in zip(keys.bucket_counts, keys.bucket_p, self._missing)])
        reads = plain_sum([f.count * (1 - f.hot) for f in flows if f.cls == "read"])
        if reads * share > 0:
            m.read_lost_value(reads * share)

    def _rewritten(self, write_rate: float, dt: float) -> None:
        """A key written again (at rate W p_i) has its last write again."""
        if self._missing is None or write_rate <= 0:
            return
        p_of = self.ctx.keys.bucket_p
        self._missing = [q * math.exp(-write_rate * p * dt) for q, p in zip(self._missing, p_of)]
        if max(self._missing) < 1e-9:
            self._missing = None

    # --- bookkeeping ----------------------------------------------------------------
    def _complete(self, f: Flow) -> None:
        if f.count <= 0:
            return
        if f.cls == "async" and f.route is not None and f.site.queue is not None:
            self._enqueue(f)
        late, where = self._timed_out_share(f)
        if late > 0:
            # The servers did the work (their figures count it); the client had gone.
            lost = f.count * late
            self.ctx.metrics.wasted += lost
            self._fail(f, where, self._timeout_reason, lost)
            if late >= 1.0:
                return
            # Those answered in time: their mean is at most (mean - late * T) / (1 - late),
            # since each late one took longer than T.
            mean = min(f.mean, max(0.0, (f.mean - late * self.client.timeout) / (1.0 - late)))
            f = Flow(f.region, f.cls, f.route, f.rate * (1 - late), f.count - lost, mean, f.stages, f.hot,
                     f.shares, f.at_web)
        if f.cls == "read":
            self.ctx.metrics.read_answered(f.count)
        self.ctx.metrics.serve(f.count, f.mean)
        self.completed.append(f)

    def _timed_out_share(self, f: Flow) -> tuple[float, Component | None]:
        """The share of f's requests whose response time exceeds the client's timeout, and
        the station where they spent it.

        Method: the stage with the longest mean time is taken with its full response-time
        distribution (each of its stations' M/M/c/K tail, mmck.response_tail), every other
        stage at its mean, which the flow's mean sums exactly. For one station (or one
        tier of them) this is exact; over several hops it is a sound approximation as long
        as one stage dominates the time, which is what makes requests time out. A fan-out's
        database tier (the slowest of several shards) is taken at its mean.
        """
        timeout = self.client.timeout
        if f.mean <= 0.0:
            return 0.0, None
        best: Stage | None = None
        best_mean = -1.0
        for stage in f.stages:
            if isinstance(stage, FanStage):
                # A fan-out's shard reads are taken at their mean (in f.mean): the tail of a
                # maximum over shards is not one station's; its other stages still time out.
                continue
            m = stage.mean_time()
            if m > best_mean:
                best, best_mean = stage, m
        if best is None:
            return (1.0, None) if f.mean > timeout else (0.0, None)
        before = f.mean - best_mean  # every other stage, at its mean
        tot = late = 0.0
        where: Component | None = None
        heaviest = -1.0
        memo = self._tail_memo
        for w, members, rest in best.runs:
            delay, state, mu, svc, _label, capacity = rest
            n = w * len(members)
            tot += n
            left = timeout - before - delay
            if state is None:
                p = 1.0 if left < 0 else 0.0
            else:
                # The state by the figures response_tail reads (hashing the whole state
                # object costs more than the lookup saves).
                key = (state.wait_probability, state.rho, members[0].workers, mu, capacity, svc, round(left, 4))
                p = memo.get(key, -1.0)
                if p < 0:
                    if len(memo) > 4096:
                        memo.clear()
                    p = memo[key] = response_tail(state, members[0].workers, mu, capacity, svc, left)
            late += n * p
            if n * p > heaviest:
                heaviest, where = n * p, members[0]
        return (late / tot if tot > 0 else 0.0), where

    def _enqueue(self, f: Flow) -> None:
        """The answer ("202 accepted") is immediate; the jobs wait in the queues they went to."""
        stage = f.stages[-1]  # the queue stage: async work with a queue ends there
        assert isinstance(stage, Stage)
        total = stage.cum[-1]
        prev = 0.0
        for cum, pick in zip(stage.cum, stage.picks):
            if isinstance(pick[0], MessageQueue) and total > 0:
                pick[0].depth += f.count * (cum - prev) / total
            prev = cum
        self.ctx.metrics.jobs_enqueued += f.count

    def _fail(self, f: Flow, comp: Component | None, reason: str, count: float, waited: float = 0.0) -> None:
        if count <= 0:
            return
        self.failures.append(FailurePoint(f, comp, reason, count, waited))
        m = self.ctx.metrics
        retries = self.client.retries
        if retries <= 0:
            m.fail(count, reason)
            return
        # The client tries again (as retry k + 1) what was its attempt k < retries. A
        # timeout ends `timeout` after the request began, any other failure with the tick.
        timeout = is_timeout(reason)
        ended = self.client.timeout if timeout else self.ctx.dt
        mix = self._mix.get((f.region, f.cls))
        final = 0.0
        if mix is None:  # first tries only
            again = [count]
        else:
            again = []
            for k, share in enumerate(mix):
                n = count * share
                if k < retries:
                    again.append(n)
                else:
                    final += n
        self.retry_backlog.add_attempts(self._tick_no, ended, f.region, f.cls, again)
        m.retry_later_all(again, reason, timeout)
        m.fail(final, reason)

    def _finish_stations(self, dt: float) -> None:
        # Stations of a run share one state object and sit together in the topology:
        # their figures are derived once per run.
        last: StationState | None = None
        u = q = busy = 0.0
        for comp in self.ctx.topology:
            # An unreachable or untouched station is IDLE (_evaluate, tick): no work, no queue.
            st = comp.state if comp.queueing else None
            if st is not last:
                last = st
                u, q, busy = (0.0, 0.0, 0.0) if st is None else _station_figures(st, dt)
            comp.utilization = u
            comp.queue_length = q
            comp.busy_seconds += busy
            comp.held_seconds += comp.held_waiting * dt
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
        capacity = plain_sum(rates.values()) * dt
        depth = plain_sum([q.depth for q in queues if q.reachable()])
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
        total = plain_sum([f.count for f in flows])
        if total > 0:
            n_total = e.config.latency_samples
            timeout = self.client.timeout
            shape = e.metrics.shape_all
            for f in flows:
                n = max(1, int(round(n_total * f.count / total)))
                kept = self._draw_times(f.stages, n, timeout)
                if kept:
                    shape(kept, f.count / len(kept))
        self._traces(t, total)

    def _draw_times(self, stages: tuple["Stage | FanStage", ...], n: int, timeout: float) -> list[float]:
        """n latency samples through these stages (fewer if some stand for timed-out
        requests): _draw without the hops, with sample_response written out on each
        station's Draw (the same draws of the RNG, the same arithmetic). A stage of one run
        is its one Draw. This is most of the cost of a tick's samples."""
        # Per stage: its one Draw, or what draw_of reads to pick one (the Draws, the
        # cumulative weights, their total and last index, and the runs' first indexes when
        # an index is not a station), or the FanStage.
        steps: list[tuple] = []
        for stage in stages:
            if isinstance(stage, FanStage):
                steps.append((None, None, stage))
                continue
            draws = stage.draws()
            if len(draws) == 1:
                steps.append((draws[0], None, None))
                continue
            steps.append((None, stage.draw_table(), None))
        kept: list[float] = []
        rng = self.rng
        rand = rng.random
        log = math.log
        bisect_left = bisect.bisect_left
        for _ in range(n):
            redraws = 0
            while True:
                # One walk through the stages (written out: this runs for every sample).
                x = 0.0
                for fixed, pick, fan in steps:
                    if fixed is not None:
                        rand()  # picks its station: in one run, every index picks alike
                        delay, queues, rate, pw, rho, places, step = fixed
                    elif pick is not None:
                        # Stage.draw_of, written out
                        draws, cum, last_cum, last, starts = pick
                        i = bisect_left(cum, rand() * last_cum)
                        if i > last:
                            i = last
                        delay, queues, rate, pw, rho, places, step = (
                            draws[i] if starts is None else draws[bisect.bisect_right(starts, i) - 1])
                    else:
                        x += self._fan_time(fan)
                        continue
                    y = delay
                    if queues:  # mmck.sample_response on the Draw, written out
                        t = -log(1.0 - rand()) / rate if rate > 0 else 0.0
                        if pw > 0.0 and rand() < pw:
                            j = sample_queue_position(rho, places, rand())
                            t += rng.gammavariate(j + 1, step)
                        y += t
                    x += y
                # An answered request took at most the timeout: a longer draw stands for a
                # timed-out one, so draw again (a few times at most).
                if x > timeout and redraws < 4:
                    redraws += 1
                    continue
                break
            if x <= timeout:
                kept.append(x)
        return kept

    def _fan_time(self, stage: FanStage) -> float:
        """_draw_fan without the hops: the slowest of one response per shard."""
        rng = self.rng
        rand = rng.random
        slowest = -1.0
        for shard in stage.choose_start(rand()):
            delay, queues, rate, pw, rho, places, step = shard.draw_of(rand())
            t = 0.0
            if queues:  # mmck.sample_response on the Draw, as in _draw_times: every shard of a sample
                t = -math.log(1.0 - rand()) / rate if rate > 0 else 0.0
                if pw > 0.0 and rand() < pw:
                    j = sample_queue_position(rho, places, rand())
                    t += rng.gammavariate(j + 1, step)
            x = delay + t
            if x > slowest:
                slowest = x
        return slowest

    def _draw(self, f: Flow, hops: list[Hop] | None, upto: int | None = None) -> float:
        rng = self.rng
        total = 0.0
        stages = f.stages if upto is None else f.stages[:upto]
        for stage in stages:
            if isinstance(stage, FanStage):
                total += self._draw_fan(stage, hops)
                continue
            comp, delay, state, mu, svc, label, capacity = stage.choose(rng.random())
            x = delay
            if state is not None:
                x += sample_response(state, comp.workers, mu, capacity, svc, rng)
            total += x
            if hops is not None:
                hops.append(Hop(comp.id if comp is not None else "internet", x * 1000.0, label))
        return total

    def _draw_fan(self, stage: FanStage, hops: list[Hop] | None) -> float:
        """One fan-out: a response drawn from each shard it touched; the slowest answers."""
        rng = self.rng
        slowest = -1.0
        who = ""
        span = stage.choose_start(rng.random())
        for shard in span:
            comp, delay, state, mu, svc, label, capacity = shard.choose(rng.random())
            x = delay + sample_response(state, comp.workers, mu, capacity, svc, rng)
            if x > slowest:
                slowest, who = x, comp.id
        if hops is not None:
            hops.append(Hop(who, slowest * 1000.0, f"slowest of {len(span)} shards"))
        return slowest

    def _traces(self, t: float, served_total: float) -> None:
        e = self.ctx
        k = e.config.trace_samples
        if k <= 0:
            return
        rng = self.rng
        fails = self.failures
        failed_total = plain_sum([p.count for p in fails])
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


def _station_figures(state: StationState, dt: float) -> tuple[float, float, float]:
    """Utilization, mean queue and busy seconds this tick of a station in this state."""
    return state.utilization, state.mean_queue, state.utilization * dt


def _offer(members: tuple[Component, ...], lam: float, state: StationState) -> None:
    for c in members:
        c.offered += lam
        c.state = state


@lru_cache(maxsize=1024)
def _add_repeatedly(total: float, x: float, n: int) -> float:
    """total + x + x + ... (n times), left to right as station by station: the same runs
    come back every tick with the same figures."""
    for _ in range(n):
        total += x
    return total
def _race_window(route: DcRoute) -> tuple[float, float]:
    """How old the value a read that missed stores in the cache can be, averaged over
    where reads go: (seconds from its reaching the database to its filling the cache: the
    wait and service there, last tick's state; the lag of the copy that answers it).
    Network hops add latency, not time in the window: both planes leave them out."""
    d = lag = weight = 0.0
    for tier in route.reads:
        for o in tier.options:
            c = o.comp
            d += o.weight * (c.state.mean_wait + c.service_time)
            lag += o.weight * (c.lag if isinstance(c, Database) and not c.is_primary else 0.0)
            weight += o.weight
    return (d / weight, lag / weight) if weight > 0 else (0.0, 0.0)


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
    total = plain_sum([len(m) for m in seen.values()])
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
