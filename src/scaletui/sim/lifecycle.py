"""Component lifecycle: create, boot, crash, recover, promote, reshard, resize, remove.

Everything that changes which components exist or what state they are in, apart from
the traffic the planes move. It works on a narrow context: a clock (grid time and
SimPy processes), the topology, the catalog, the sticky sessions of a stateful web
tier, the metrics (for lost writes) and the event log.
"""

from __future__ import annotations

from typing import Callable, Protocol

import simpy
from simpy.events import Event as SimEvent

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import CommandResult, refuse
from scaletui.sim.components import Cache, Cdn, Component, Database, WebServer
from scaletui.sim.components.database import PROMOTE_S
from scaletui.sim.eventlog import CRITICAL, WARNING, Event
from scaletui.sim.failover import automatic_failover
from scaletui.sim.config import ShardingConfig
from scaletui.sim.metrics import Metrics
from scaletui.sim.migration import Migration
from scaletui.sim.sharding import SCHEME_NAMES, SCHEMES, Sharding, key_moves
from scaletui.sim.sticky import StickySessions
from scaletui.sim.topology import Topology


class Clock(Protocol):
    """Grid time: what the lifecycle needs of the engine's clock."""

    env: simpy.Environment
    dt: float

    @property
    def now(self) -> float: ...

    def snap(self, t: float) -> float: ...

    def at(self, t: float) -> SimEvent: ...


class Replication(Protocol):
    """What a data plane tells about replication: each plane counts it its own way."""

    def unreplicated(self, replica: Database) -> float:
        """Writes committed on the replica's primary that it has not applied (and would
        lose if it were promoted now)."""


LogFn = Callable[..., Event]


class Lifecycle:
    def __init__(self, clock: Clock, topology: Topology, catalog: Catalog, sticky: StickySessions,
                 metrics: Metrics, log: LogFn, replication: "Replication", rates: ShardingConfig,
                 key_count: int) -> None:
        self.clock = clock
        self.topology = topology
        self.catalog = catalog
        self.sticky = sticky
        self.metrics = metrics
        self.log = log
        self.replication = replication
        self.auto_failover: dict[int, bool] = {}
        self.rates = rates  # how fast a reshard copies keys, and what a key costs
        self.key_count = key_count
        self.reshard_target: Sharding | None = None
        self._pending: Migration | None = None  # the reshard under way: waiting for its shards, or copying
        self._watched: dict[str, float] = {}  # primary id -> the loss its failover watch is for

    @property
    def now(self) -> float:
        return self.clock.now

    def create(self, kind: str, size: str, region: str, boot: bool, cid: str | None = None) -> Component:
        now = self.now
        comp = self.topology.create(kind, size, region, now, cid)
        if boot:
            comp.in_service = False
            spec = self.catalog[kind]
            reason = {"replica": "copying data", "shard": "provisioning (resharding)",
                      "database": "restoring from backup"}.get(kind, "provisioning")
            self._boot(comp, spec.boot_s, reason)
        else:
            comp.first_up_at = now
        return comp

    def _boot(self, comp: Component, seconds: float, reason: str) -> None:
        now = self.now
        ready = now + seconds
        dc = comp.dc
        if dc is not None and dc is not comp and dc.ready_at is not None:
            # Nothing can run in a data centre that is still being built.
            ready = max(ready, dc.ready_at)
        comp.ready_at = self.clock.snap(ready)
        comp.booting_reason = reason
        self.topology.touch()
        self.clock.env.process(self._boot_done(comp, comp.ready_at))

    def _boot_done(self, comp: Component, ready_at: float):
        yield self.clock.at(ready_at)
        if comp.removed or comp.ready_at != ready_at:
            return
        comp.ready_at = None
        comp.in_service = True
        was = comp.booting_reason
        comp.booting_reason = ""
        if isinstance(comp, (Cache, Cdn)):
            comp.flush(self.now)
        self.topology.touch()
        if was.startswith("restarting"):
            self.log("ready", f"{comp.id} is back, now {comp.size}", comp.id)
        else:
            self.log("ready", f"{comp.id} is up", comp.id)
        if comp.first_up_at is None:
            comp.first_up_at = self.now
        if comp.kind == "shard" and self.reshard_target is not None:
            self._reshard_check()

    def remove(self, comp: Component) -> None:
        if isinstance(comp, WebServer) and not self.topology.of_kind("session_store"):
            self.sticky.log_out(comp.region, comp.pinned_users)
        self.topology.remove(comp)

    def resize(self, comp: Component, size: str) -> None:
        comp.size_spec = comp.kind_spec.size(size)
        self._boot(comp, comp.kind_spec.restart_s, f"restarting as {size}")

    def crash(self, comp: Component, reason: str) -> None:
        now = self.now
        comp.crashed = True
        comp.down_since = now
        comp.down_reason = reason
        self.topology.touch()
        self._watch_primaries()

    def _watch_primaries(self) -> None:
        """Start the failover watch of every primary that just became unreachable.

        A primary is lost whatever the cause: its own crash, or its data centre or region
        going out. The watch promotes a replica once the loss is detected, if the group
        has automatic failover on by then.
        """
        for g in self.topology.groups():
            p = g.primary
            if p is None:
                continue
            since = p.unreachable_since()
            if since is None or self._watched.get(p.id) == since:
                continue
            self._watched[p.id] = since
            self.clock.env.process(automatic_failover(self, p, since))

    def recover(self, comp: Component) -> None:
        comp.crashed = False
        comp.down_since = None
        comp.down_reason = ""
        if isinstance(comp, WebServer) and comp.pinned_users > 0 and not self.topology.of_kind("session_store"):
            # Its sessions died with the process: whoever is still pinned to it is logged out.
            self.sticky.log_out(comp.region, comp.pinned_users)
            comp.pinned_users = 0.0
        if isinstance(comp, (Cache, Cdn)):
            comp.flush(self.now)
        cold = " (empty: it must warm up)" if isinstance(comp, (Cache, Cdn)) else ""
        self.log("recover", f"{comp.id} is back{cold}", comp.id)
        for db in self.topology.db_nodes():
            # A primary replaced while it was unreachable (crashed, or its region out)
            # rejoins as a replica once it is back: it resyncs from the new primary.
            if db.demoted and db.reachable():
                db.demoted = False
                db.apply_backlog = 0.0
                self._boot(db, db.kind_spec.restart_s, "resyncing as a replica")
        self.topology.touch()

    def promote(self, replica: Database, automatic: bool) -> None:
        g = self.topology.group(replica.group)
        old = g.primary if g else None
        lost = 0.0
        old_lost = old is not None and old.unreachable_since() is not None
        if old_lost:
            # Asynchronous replication: what the old primary acknowledged and this replica
            # never applied is gone, whatever made the old primary unreachable. A
            # switchover from a running primary loses nothing.
            lost = self.replication.unreplicated(replica)
        new_kind = old.kind if old is not None else ("database" if replica.group == 0 else "shard")
        self._set_kind(replica, new_kind)
        replica.role = "primary"
        replica.promoting_until = self.clock.snap(self.now + PROMOTE_S)
        replica.apply_backlog = 0.0
        replica.lag = 0.0
        if old is not None:
            self._set_kind(old, "replica")
            old.role = "replica"
            old.demoted = old_lost  # rejoins as a replica when it comes back
            old.lag = 0.0
        if self.auto_failover.get(replica.group) is None:
            self.auto_failover[replica.group] = False
        self.metrics.lost_writes += lost
        how = "automatic failover" if automatic else "promotion"
        msg = f"{replica.id} is now the primary ({how}; writes resume in {PROMOTE_S:g}s)"
        if lost >= 0.5:
            msg += f"; {lost:,.0f} writes in the replication lag window were lost"
        self.log("promote", msg, replica.id, CRITICAL if lost >= 0.5 else WARNING)
        self.topology.touch()

    def _set_kind(self, comp: Database, kind: str) -> None:
        spec = self.catalog[kind]
        comp.kind = kind
        comp.kind_spec = spec
        if comp.size in spec.size_names:
            comp.size_spec = spec.size(comp.size)

    def reshard(self, shards: int | None, size: str | None, scheme: str | None = None) -> CommandResult:
        """Grow to `shards` shards and/or switch to `scheme`: new shards are provisioned,
        then the keys that change shard are copied (sim/migration.py), then the new
        mapping takes over."""
        topo = self.topology
        cur = topo.sharding
        if self.reshard_target is not None:
            return refuse(f"resharding to {self.reshard_target.shards} shards is still moving data")
        shards = cur.shards if shards is None else shards
        scheme = scheme or cur.scheme
        if scheme not in SCHEMES:
            return refuse("sharding is 'mod' (hash mod n) or 'consistent' (a consistent-hash ring)")
        if shards < cur.shards:
            return refuse(f"the database has {cur.shards} shard(s); resharding can only add shards")
        if shards > 64:
            return refuse("64 shards at most")
        target = Sharding(shards, scheme, cur.vnodes)
        if target == cur:
            return refuse(f"the database already has {cur.shards} shard(s) by {cur.describe()}")
        g0 = topo.group(0)
        if g0 is None or g0.primary is None:
            return refuse("sharding needs a database primary")
        size = size or g0.primary.size
        if size not in self.catalog["shard"].size_names:
            return refuse(f"shards come in {', '.join(self.catalog['shard'].size_names)}")
        ids = []
        for gi in range(cur.shards, shards):
            comp = self.create("shard", size, g0.primary.region, boot=True)
            assert isinstance(comp, Database)
            comp.group = gi
            ids.append(comp.id)
        self.reshard_target = target
        moves = key_moves(cur, target)
        self._pending = Migration(cur, target, moves, self.key_count, self.rates.migrate_keys_per_s,
                                  self.rates.migrate_ms_per_key)
        how = f" ({cur.describe()} -> {target.describe()})" if scheme != cur.scheme else ""
        when = f" once {', '.join(ids)} {'is' if len(ids) == 1 else 'are'} up" if ids else ""
        self.log("reshard", f"resharding {cur.shards} -> {shards} shards{how}: moving about {moves.share:.0%} "
                            f"of the keys ({self._pending.moved_keys:,.0f}), about "
                            f"{self._pending.duration:,.0f}s of copying{when}", severity=WARNING)
        if not ids:
            self._start_migration()
        what = f" ({', '.join(ids)} provisioning)" if ids else ""
        return CommandResult(True, f"resharding to {shards} shards by {SCHEME_NAMES[scheme]}{what}", tuple(ids))

    def _reshard_check(self) -> None:
        """Once every new shard is up, the keys start moving."""
        target = self.reshard_target
        assert target is not None
        groups = {g.index: g for g in self.topology.groups()}
        for gi in range(target.shards):
            g = groups.get(gi)
            if g is None or g.primary is None or g.primary.booting(self.now):
                return
        if self.topology.migration is None:
            self._start_migration()

    def _start_migration(self) -> None:
        m = self._pending
        assert m is not None
        self.topology.migration = m
        self.topology.touch()
        if m.duration >= 1:
            self.log("reshard", f"copying {m.moved_keys:,.0f} keys between shards for about {m.duration:,.0f}s; "
                                "their utilization shows the copy")
        self.clock.env.process(self._cutover(m, self.clock.snap(self.now + m.duration)))

    def _cutover(self, m: Migration, at: float):
        yield self.clock.at(at)
        topo = self.topology
        topo.shard_count = m.after.shards
        topo.shard_scheme = m.after.scheme
        topo.migration = None
        self.reshard_target = None
        self._pending = None
        if m.moves.share > 0:
            # The moved keys' cache entries pointed at their old shard: dropped, they miss.
            for c in topo.of_kind("cache"):
                if isinstance(c, Cache):
                    c.rekey(self.now, m.before, m.after)
        topo.touch()
        self.log("reshard", f"resharding done: keys are spread over {m.after.shards} shards by "
                            f"{m.after.describe()}; the cache entries of the {m.moves.share:.0%} of keys "
                            "that moved were dropped")
