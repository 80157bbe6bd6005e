"""The engine: a SimPy environment ticking a topology, with a step API for UI and game.

Time is simulated seconds on a grid of `tick` seconds. Tick k computes the interval
[k*tick, (k+1)*tick). One rule for when anything happens: a change meant for time t
(a scenario event, a boot, a failover, the autoscaler, a player's command) takes
effect from the first tick at or after t. Changes are scheduled on that grid time with
SimPy's URGENT priority and the ticker waits at NORMAL priority, so every change at a
grid time, even at 0 s, comes before the tick at that time. `step(until)` computes
every tick that starts before `until` and stops on the grid, ahead of everything due
then, so commands applied between steps take effect from the first tick at or after
`until` (and the exact plane's requests of the tick before never see them). So stepping
in many small slices or in one go, and applying a command live or from a plan at the
recorded time, give identical runs.
"""

from __future__ import annotations

import math
import random
from typing import Callable, Iterable

import simpy
from simpy.events import URGENT, Event as SimEvent, EventPriority

from scaletui.sim.autoscaler import Autoscaler
from scaletui.sim.commands import Command, CommandResult, apply_command, refuse
from scaletui.sim.components import (
    BOOTING,
    DEGRADED,
    DOWN,
    UP,
    Cache,
    Cdn,
    Component,
    Database,
    Datacenter,
    MessageQueue,
    WebServer,
)
from scaletui.sim.components.web import busiest_behind
from scaletui.sim.config import SimConfig
from scaletui.sim.db_calls import DbCalls
from scaletui.sim.eventlog import WARNING, Event, EventLog
from scaletui.sim.flow import FlowPlane
from scaletui.sim.forecast import draw_events
from scaletui.sim.lifecycle import Lifecycle
from scaletui.sim.hit_rate import HitRateModel
from scaletui.sim.keyspace import KeySpace
from scaletui.sim.levers import levers
from scaletui.sim.metrics import Metrics
from scaletui.sim.overload_watch import OverloadWatch
from scaletui.sim.plane import Plane, PlaneContext
from scaletui.sim.poisson import poisson
from scaletui.sim.routing import Router
from scaletui.sim.scripted import scenario_event
from scaletui.sim.sharding import Sharding
from scaletui.sim.snapshot import ComponentView, Snapshot, TickRow
from scaletui.sim.sticky import StickySessions
from scaletui.sim.topology import Topology
from scaletui.sim.traffic import TrafficModel
from scaletui.sim.summation import plain_sum

# A step stops ahead of the URGENT changes due at its grid time, so that commands
# applied between steps come before them, as if the player acted first.
_STEP_STOP = EventPriority(URGENT - 1)
# An announcement only speaks (it changes nothing), so it goes ahead of that stop: a game
# that stops at its second (for an estimate, say) has already logged it.
_ANNOUNCE = EventPriority(URGENT - 2)

SATURATED_AFTER_S = 3.0
RECOVERED_AFTER_S = 10.0


class _Halted(Exception):
    """Raised out of the SimPy run to stop at once (the game was lost)."""


class Engine:
    """One simulation run. Use `step`, `apply` and `snapshot`; or `run` to the end."""

    def __init__(self, config: SimConfig, seed: int | None = None, model: str = "flow") -> None:
        self.config = config
        self.seed = config.seed if seed is None else seed
        self.rng = random.Random(self.seed)
        self.env = simpy.Environment()
        self.dt = config.tick
        self.duration = config.duration
        # The last tick may reach past the duration when it is not a whole number of ticks.
        self.end = math.ceil(config.duration / config.tick - 1e-9) * config.tick
        self.catalog = config.catalog
        self.topology = Topology(self.catalog)
        self.traffic = TrafficModel(config.traffic)
        self.keys = KeySpace(config.traffic.key_count, config.traffic.zipf)
        self.hits = HitRateModel(self.keys)
        self.cdn_keys = KeySpace(config.traffic.static_keys, config.traffic.zipf)
        self.cdn_hits = HitRateModel(self.cdn_keys)
        self.metrics = Metrics(config.report_every, config.traffic.revenue_per_1k_requests / 1000.0)
        self.events = EventLog()
        self.router = Router(self.topology, config.network, self.keys, config.traffic.region_names)
        self.sticky = StickySessions(self.topology, config.traffic.session_minutes)
        self.autoscaler = Autoscaler(self)
        self.overload = OverloadWatch(config.traffic.client, self.log)
        self.db_calls = DbCalls()
        self._tick_index = 0
        self._cursor = 0
        self._saturation: dict[str, list] = {}
        self._holding: set[str] = set()  # tiers logged as holding up the web tier, this episode
        self.tick_hooks: list[Callable[["Engine", TickRow], None]] = []
        self.end_time: float | None = None  # set when the run is halted early
        # The last snapshot and what it was taken at: a screen asks several times per tick,
        # and a view of 1,000 components costs more than the tick. Anything that can change
        # a view between ticks goes through apply() or a change method, which count here.
        self._changes = 0
        self._snapshot: tuple[tuple, Snapshot] | None = None
        self._cost: tuple[tuple, float] | None = None
        self.halt_reason = ""
        self.topology.build(config.topology, config.home_region)
        self.topology.shard_scheme = config.sharding.scheme
        self.topology.vnodes = config.sharding.vnodes
        ctx = PlaneContext(self.env, self.dt, self.end, config, self.topology, self.traffic, self.keys,
                           self.hits, self.cdn_keys, self.cdn_hits, self.router, self.sticky, self.metrics,
                           self.rng, self.db_calls)
        self.plane: Plane
        if model == "flow":
            self.plane = FlowPlane(ctx)
        elif model == "exact":
            from scaletui.sim.exact import ExactPlane

            self.plane = ExactPlane(ctx)
        else:
            raise ValueError(f"unknown model {model!r}")
        self.model = model
        self.lifecycle = Lifecycle(self, self.topology, self.catalog, self.sticky, self.metrics, self.log,
                                   self.plane, config.sharding, config.traffic.key_count)
        # Drawn once, before anything is played, from their own Random: the draws do not
        # depend on the player, and the engine's other draws are those of a run without them.
        self.script, self.drawn = draw_events(config.traffic, config.events, config.duration,
                                              random.Random(f"{self.seed}/events"))
        for ev in self.script:
            self.env.process(scenario_event(self, ev))
        self.env.process(self._ticker())

    # --- construction -------------------------------------------------------------------
    def known_regions(self) -> list[str]:
        out = list(self.config.traffic.region_names)
        for r in self.topology.regions():
            if r not in out:
                out.append(r)
        return out

    # --- time -----------------------------------------------------------------------------
    def snap(self, t: float) -> float:
        """The first grid time at or after t."""
        return math.ceil(t / self.dt - 1e-9) * self.dt

    def at(self, t: float, priority: EventPriority = URGENT) -> SimEvent:
        """An event at grid time >= t that fires before the tick at that time."""
        ev = self.env.event()
        ev._ok = True
        ev._value = None
        self.env.schedule(ev, priority, max(0.0, self.snap(t) - self.env.now))
        return ev

    def announce_at(self, t: float) -> SimEvent:
        """An event at grid time >= t that fires before a step stopping at that time."""
        return self.at(t, _ANNOUNCE)

    def _ticker(self):
        dt = self.dt
        # Changes at 0 s were scheduled after this process started: let them go first.
        yield self.env.timeout(0)
        while True:
            t = self._tick_index * dt
            if t >= self.end - 1e-9:
                return
            self._tick(t)
            self._tick_index += 1
            if self.end_time is not None:
                raise _Halted(self.halt_reason)
            yield self.env.timeout(self._tick_index * dt - self.env.now)

    @property
    def now(self) -> float:
        """The clock: the grid time the next change takes effect at.

        Between steps, inside a scheduled change and inside a tick, SimPy stands on it.
        """
        if self.end_time is not None:
            return self.end_time
        return self.snap(self.env.now)

    @property
    def finished(self) -> bool:
        return self.end_time is not None or self.now >= self.end - 1e-9

    def halt(self, reason: str) -> None:
        """Stop after the current tick (called from a tick hook)."""
        if self.end_time is None:
            self.end_time = self._tick_index * self.dt + self.dt
            self.halt_reason = reason
            self._changes += 1

    def step(self, until: float) -> list[Event]:
        """Compute every tick that starts before `until` (clamped to the end); return the new events.

        Afterwards the clock stands at the first tick at or after `until`.
        """
        if until >= self.duration - 1e-9:
            until = self.end
        target = self.snap(until)
        if target > self.now and self.end_time is None:
            stop = self.env.event()
            stop._ok = True
            stop._value = None
            self.env.schedule(stop, _STEP_STOP, target - self.env.now)
            try:
                self.env.run(until=stop)
            except _Halted:
                stop.callbacks = []  # the run is over: the pending stop must not stop a drain
        return self.new_events()

    def run(self) -> None:
        self.step(self.end)

    def new_events(self) -> list[Event]:
        evs, self._cursor = self.events.since(self._cursor)
        return evs

    # --- one tick -----------------------------------------------------------------------
    def _tick(self, t: float) -> None:
        dt = self.dt
        plan = self.router.plan(t)
        users = self.traffic.users(t)
        by_region = {r: users * s for r, s in self.traffic.region_shares}
        self.sticky.update(plan, by_region, dt)
        rng = self.rng
        demand = [(region, cls, rate, float(poisson(rng, rate * dt)))
                  for region, cls, rate in self.traffic.rates(t)]
        cdn_gb_before = plain_sum(c.gigabytes for c in self.topology.of_kind("cdn") if isinstance(c, Cdn))
        self.plane.tick(t, dt, plan, demand)
        self.plane.replication(t, dt, plan)
        self._judge_breaker(t + dt)
        cdn_gb = plain_sum(c.gigabytes for c in self.topology.of_kind("cdn") if isinstance(c, Cdn)) - cdn_gb_before
        for comp in self.topology:
            comp.alive_seconds += dt
        self._watch(t)
        cost = self.cost_per_hour()
        price = self.catalog["cdn"].cost_per_gb if "cdn" in self.catalog else 0.0
        cost += cdn_gb * price * 3600.0 / dt
        row = self.metrics.end_tick(t, dt, users, cost, self.db_utilization(), self.max_lag(), self.queue_depth())
        self.overload.update(dt, self.metrics.last_attempts)
        for hook in self.tick_hooks:
            hook(self, row)

    def _holding_up(self, behind: Component, web: Component) -> None:
        """Log, once per episode, the tier that holds the web tier's threads."""
        if behind.id in self._holding:
            return
        self._holding.add(behind.id)
        self.log("held", f"{behind.id} holds up the web tier: {web.held_waiting:.0f} of {web.id}'s "
                 f"{web.workers} threads wait on it ({behind.utilization:.0%} busy)", behind.id, WARNING)

    def _judge_breaker(self, t_next: float) -> None:
        calls = self.db_calls
        change = calls.end_tick(t_next)
        if change == "opened":
            rule = calls.breaker
            assert rule is not None
            self.log("breaker", f"the web tier's breaker to the database opened: {rule.error_rate:.0%} or more "
                     f"of its calls failed; calls fail fast for {rule.open_for:g}s", None, WARNING)
        elif change == "closed":
            self.log("breaker", "the web tier's breaker to the database closed: its probe calls succeeded")

    def _watch(self, t: float) -> None:
        """Log when a component starts shedding load or runs flat out, and when it recovers."""
        saturation = self._saturation
        # Only stations running hot now or still on record need a look; one pass finds them
        # (in topology order, so the log's order is the same).
        watched = [c for c in self.topology
                   if c.queueing and (c.state.blocking > 0.01 or c.utilization > 0.97 or c.id in saturation)]
        for comp in watched:
            st = comp.state
            hot = (st.blocking > 0.01 or comp.utilization > 0.97) and comp.reachable()
            rec = saturation.get(comp.id)
            if rec is None:
                if not hot:
                    continue  # never hot so far: nothing to count (the common case)
                rec = saturation[comp.id] = [False, 0.0, 0.0]
            if hot:
                rec[1] += self.dt
                rec[2] = 0.0
                if not rec[0] and rec[1] >= SATURATED_AFTER_S:
                    rec[0] = True
                    shed = f", shedding {st.blocking:.0%} of its requests" if st.blocking > 0.01 else ""
                    held = ""
                    if isinstance(comp, WebServer) and comp.holds_threads and comp.held_waiting >= 0.5:
                        # Thread-per-request: name what the workers are waiting for; when it is
                        # most of them, that is the first domino, logged before its victim.
                        behind = busiest_behind(self.topology, comp.region)
                        on = behind.id if behind is not None else "the tiers behind it"
                        held = f"; {comp.held_waiting:.0f} of its {comp.workers} threads are held waiting on {on}"
                        if behind is not None and comp.held_waiting >= 0.5 * comp.workers:
                            self._holding_up(behind, comp)
                    self.log("saturated", f"{comp.id} is saturated: {comp.utilization:.0%} busy{shed}{held}",
                             comp.id, WARNING)
            else:
                rec[1] = 0.0
                if rec[0]:
                    calm = st.blocking < 0.001 and comp.utilization < 0.85
                    rec[2] = rec[2] + self.dt if calm else 0.0
                    if rec[2] >= RECOVERED_AFTER_S:
                        rec[0] = False
                        self.log("recovered", f"{comp.id} is no longer saturated", comp.id)
                        if isinstance(comp, WebServer):
                            self._holding.clear()
                if not rec[0]:
                    del saturation[comp.id]  # as if never hot: a new record starts the same

    # --- figures ------------------------------------------------------------------------
    def cost_per_hour(self) -> float:
        # Asked every tick; a component's price changes only with a change that counts here.
        key = (self.topology.version, self._changes)
        if self._cost is None or self._cost[0] != key:
            self._cost = (key, self.topology.cost_per_hour())
        return self._cost[1]

    def db_utilization(self) -> float:
        prims = [c for c in self.topology.db_nodes() if c.is_primary]
        return max((c.utilization for c in prims), default=0.0)

    def max_lag(self) -> float:
        # The dashboard's lag: of the replicas serving reads (a dead one is not read from).
        reps = [c for c in self.topology.db_nodes() if not c.is_primary and c.serving(self.now)]
        return max((c.lag for c in reps), default=0.0)

    def queue_depth(self) -> float:
        return plain_sum(q.depth for q in self.topology.of_kind("queue") if isinstance(q, MessageQueue))

    # --- changes ------------------------------------------------------------------------
    def log(self, kind: str, message: str, component: str | None = None, severity: str = "info") -> Event:
        return self.events.add(self.now, kind, message, component, severity)

    def create(self, kind: str, size: str, region: str, boot: bool, cid: str | None = None) -> Component:
        self._changes += 1
        return self.lifecycle.create(kind, size, region, boot, cid)

    def remove(self, comp: Component) -> None:
        self._changes += 1
        self.lifecycle.remove(comp)

    def resize(self, comp: Component, size: str) -> None:
        self._changes += 1
        self.lifecycle.resize(comp, size)

    def crash(self, comp: Component, reason: str) -> None:
        self._changes += 1
        self.lifecycle.crash(comp, reason)

    def recover(self, comp: Component) -> None:
        self._changes += 1
        self.lifecycle.recover(comp)

    def promote(self, replica: Database, automatic: bool) -> None:
        self._changes += 1
        self.lifecycle.promote(replica, automatic)

    def reshard(self, shards: int | None, size: str | None, scheme: str | None = None) -> CommandResult:
        self._changes += 1
        return self.lifecycle.reshard(shards, size, scheme)

    @property
    def auto_failover(self) -> dict[int, bool]:
        """Database group -> automatic failover on."""
        return self.lifecycle.auto_failover

    @property
    def reshard_target(self) -> Sharding | None:
        return self.lifecycle.reshard_target

    def resolve_target(self, target: str) -> Component | None:
        topo = self.topology
        comp = topo.get(target)
        if comp is not None:
            return comp
        if target in self.catalog:
            if target == "database":
                g = topo.group(0)
                if g and g.primary and not g.primary.crashed:
                    return g.primary
            live = [c for c in topo.of_kind(target) if c.serving(self.now)]
            return min(live, key=lambda c: c.seq) if live else None
        return None

    # --- the step API ---------------------------------------------------------------------
    def apply(self, cmd: Command) -> CommandResult:
        if self.finished:
            return refuse("the run is over")
        self._changes += 1
        return apply_command(self, cmd)

    def apply_all(self, cmds: Iterable[Command]) -> list[CommandResult]:
        return [self.apply(c) for c in cmds]

    def snapshot(self) -> Snapshot:
        key = (self._tick_index, self.env.now, self.topology.version, self._changes)
        if self._snapshot is not None and self._snapshot[0] == key:
            return self._snapshot[1]
        snap = self._take_snapshot()
        self._snapshot = (key, snap)
        return snap

    def _take_snapshot(self) -> Snapshot:
        now = self.now
        views = tuple(self._view(c, now) for c in self.topology)
        m = self.metrics
        recent = tuple(m.recent)
        return Snapshot(
            t=now,
            duration=self.duration,
            finished=self.finished,
            tick=self.dt,
            users=self.traffic.users(now),
            components=views,
            last=recent[-1] if recent else None,
            recent=recent,
            totals=m.totals(),
            window_p95_ms=m.window_p95_ms(),
            cost_per_hour=recent[-1].cost_per_hour if recent else self.cost_per_hour(),
            shard_count=self.topology.shard_count,
            traces=tuple(m.traces),
        )

    def _view(self, c: Component, now: float) -> ComponentView:
        # Component.health's rule, with each of its inputs asked once (a screen views
        # every component every frame).
        slowdown = c.slowdown
        note = ""
        if c.booting(now):
            health = BOOTING
            note = c.booting_reason
        elif not c.reachable():
            health = DOWN
            note = c.down_cause()
        elif slowdown > 1:
            health = DEGRADED
            note = f"slowed {slowdown:g}x"
        else:
            health = UP
        extra: dict = {}
        if isinstance(c, (Cache, Cdn)):
            extra["hit_rate"] = c.hit_rate if health != "down" else 0.0
            extra["ttl_s"] = c.ttl
        if isinstance(c, Cache):
            extra["on_write"] = c.on_write
        if isinstance(c, Database):
            extra["role"] = c.role
            extra["group"] = c.group
            extra["failover"] = "auto" if self.auto_failover.get(c.group) else "manual"
            if not c.is_primary:
                extra["lag_s"] = c.lag
                g = self.topology.group(c.group)
                extra["follows"] = g.primary.id if g and g.primary else None
            elif c.promoting_until is not None and now < c.promoting_until:
                note = note or "being promoted"
        if isinstance(c, MessageQueue):
            extra["depth"] = c.depth
        if isinstance(c, WebServer):
            extra["share"] = c.share
            if c.holds_threads:
                extra["held"] = c.held_waiting
        set_levers = levers(c, self.topology, self.db_calls)
        if set_levers:
            extra["levers"] = set_levers
        dt = self.dt
        st = c.state
        # The fields every view has, by position (a keyword call costs twice as much, once
        # per component per frame); the test of the views checks them against their names.
        return ComponentView(
            c.id,
            c.kind,
            c.size,
            c.region,
            health,
            c.utilization,
            c.queue_length,
            c.offered,
            c.tick_served / dt,
            c.tick_failed / dt,
            st.mean_response * 1000.0 if st.arrival_rate > 0 else 0.0,
            c.cost_per_hour,
            c.workers,
            c.capacity_rps,
            c.ready_at,
            note,
            **extra,
        )
