"""The set of components the player has, with stable ids and the database's groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from scaletui.sim.catalog import ID_PREFIX, Catalog
from scaletui.sim.config import ComponentSpec
from scaletui.sim.components import CLASSES, Component, Database, Datacenter
from scaletui.sim.migration import Migration
from scaletui.sim.sharding import DEFAULT_VNODES, Sharding
from scaletui.sim.summation import plain_sum

DB_KINDS = ("database", "shard", "replica")
PRIMARY_KINDS = ("database", "shard")


@dataclass
class DbGroup:
    """One key range of the database: a primary and the replicas that follow it."""

    index: int
    primary: Database | None
    replicas: list[Database] = field(default_factory=list)


class Topology:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._components: dict[str, Component] = {}
        self._next_number: dict[str, int] = {}
        self._seq = 0
        self.version = 0  # bumped on every change that can alter routing
        # Lists of components by kind, valid for one version: the engine asks every tick.
        self._lists: dict[tuple, list] = {}
        self._lists_version = -1
        self.shard_count = 1  # key ranges in use (changes when a reshard completes)
        # Denormalized data: what a fan-out read needs is copied to each shard it would
        # read, so it reads one shard, and every write is written to that many shards.
        self.denormalized = False
        self.shard_scheme = "mod"  # how keys map to them (changes when a reshard completes)
        self.vnodes = DEFAULT_VNODES  # virtual nodes a shard, on a consistent-hash ring
        self.migration: Migration | None = None  # keys being moved, while a reshard runs

    def build(self, specs: tuple[ComponentSpec, ...], home_region: str) -> None:
        """Create the starting topology (all up), with a data centre for every region used."""
        regions: list[str] = []
        for s in specs:
            if s.region not in regions:
                regions.append(s.region)
        if not regions:
            regions.append(home_region)
        for s in specs:
            if s.kind == "datacenter":
                self.create("datacenter", s.size, s.region, 0.0, s.id)
        for region in regions:
            if self.datacenter(region) is None:
                self.create("datacenter", self.catalog["datacenter"].default_size, region, 0.0)
        next_group = 1
        for s in specs:
            if s.kind == "datacenter":
                continue
            comp = self.create(s.kind, s.size, s.region, 0.0, s.id)
            if isinstance(comp, Database):
                if s.kind == "shard":
                    comp.group = next_group
                    next_group += 1
                elif s.kind == "replica" and s.of:
                    leader = self.get(s.of)
                    comp.group = leader.group if isinstance(leader, Database) else 0
        self.shard_count = max(1, len({c.group for c in self.db_nodes() if c.is_primary}))
        for comp in self._components.values():
            comp.first_up_at = 0.0

    # --- ids and membership -----------------------------------------------------------
    def new_id(self, kind: str, region: str | None = None) -> str:
        if kind == "datacenter" and region:
            return f"dc-{region}"
        prefix = ID_PREFIX[kind]
        n = self._next_number.get(prefix, 0) + 1
        while f"{prefix}-{n}" in self._components:
            n += 1
        self._next_number[prefix] = n
        return f"{prefix}-{n}"

    def create(self, kind: str, size: str, region: str, now: float, cid: str | None = None) -> Component:
        spec = self.catalog[kind]
        cid = cid or self.new_id(kind, region)
        if cid in self._components:
            raise ValueError(f"a component named {cid} already exists")
        cls = CLASSES[kind]
        self._seq += 1
        comp = cls(cid, spec, spec.size(size), region, now, self._seq)
        self._components[cid] = comp
        self._attach_dc(comp)
        if kind == "datacenter":
            for other in self._components.values():
                if other.region == region:
                    self._attach_dc(other)
        self.version += 1
        return comp

    def _attach_dc(self, comp: Component) -> None:
        if isinstance(comp, Datacenter):
            comp.dc = comp
            return
        comp.dc = self.datacenter(comp.region)

    def remove(self, comp: Component) -> None:
        comp.removed = True
        del self._components[comp.id]
        self.version += 1

    def touch(self) -> None:
        self.version += 1

    def __contains__(self, cid: object) -> bool:
        return cid in self._components

    def __getitem__(self, cid: str) -> Component:
        return self._components[cid]

    def get(self, cid: str) -> Component | None:
        return self._components.get(cid)

    def __iter__(self) -> Iterator[Component]:
        return iter(self._components.values())

    def __len__(self) -> int:
        return len(self._components)

    def cost_per_hour(self) -> float:
        """What it costs an hour: every component, as built (booting ones too)."""
        return plain_sum(c.cost_per_hour for c in self._components.values())

    def ids(self) -> list[str]:
        return list(self._components)

    def _cached(self, key: tuple, make) -> list:
        if self._lists_version != self.version:
            self._lists = {}
            self._lists_version = self.version
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = make()
        return list(found)

    def of_kind(self, *kinds: str) -> list[Component]:
        return self._cached(kinds, lambda: [c for c in self._components.values() if c.kind in kinds])

    def in_region(self, region: str, *kinds: str) -> list[Component]:
        return [c for c in self._components.values() if c.region == region and c.kind in kinds]

    def datacenter(self, region: str) -> Datacenter | None:
        dc = self._components.get(f"dc-{region}")
        return dc if isinstance(dc, Datacenter) else None

    def regions(self) -> list[str]:
        """Regions with a data centre, in creation order."""
        return [c.region for c in self._components.values() if isinstance(c, Datacenter)]

    # --- the database -----------------------------------------------------------------
    @property
    def sharding(self) -> Sharding:
        """How keys map to the shards in use now."""
        return Sharding(self.shard_count, self.shard_scheme, self.vnodes)

    def db_nodes(self) -> list[Database]:
        return self._cached(("db_nodes",), lambda: [c for c in self._components.values() if isinstance(c, Database)])

    def copying(self) -> list[tuple[Database, float]]:
        """While a reshard copies keys: each reachable primary that sends or receives them,
        with the workers' worth of copy work it does (sim/migration.py). Each plane turns
        that into load its own way."""
        m = self.migration
        if m is None:
            return []
        out = []
        for g in self.groups():
            p = g.primary
            busy = m.busy_workers(g.index)
            if p is not None and busy > 0 and p.reachable():
                out.append((p, busy))
        return out

    def groups(self) -> list[DbGroup]:
        """Groups by index; a group may have lost its primary (crash, removal)."""
        by_index: dict[int, DbGroup] = {}
        for node in self.db_nodes():
            g = by_index.setdefault(node.group, DbGroup(node.group, None))
            if node.is_primary:
                if g.primary is None or node.seq < g.primary.seq:
                    g.primary = node
            else:
                g.replicas.append(node)
        return [by_index[i] for i in sorted(by_index)]

    def group(self, index: int) -> DbGroup | None:
        for g in self.groups():
            if g.index == index:
                return g
        return None
