"""The catalog of component kinds and sizes, shipped as data and overridable per scenario."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, Mapping, get_args

import yaml

# Every kind of component, in the order the game lists them.
Kind = Literal[
    "load_balancer",
    "web",
    "session_store",
    "cache",
    "cdn",
    "database",
    "replica",
    "shard",
    "queue",
    "worker",
    "datacenter",
]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Short prefixes for component ids (web-1, lb-1, database-1, ...).
ID_PREFIX = {
    "load_balancer": "lb",
    "web": "web",
    "session_store": "sessions",
    "cache": "cache",
    "cdn": "cdn",
    "database": "database",
    "replica": "replica",
    "shard": "shard",
    "queue": "queue",
    "worker": "worker",
    "datacenter": "dc",
}


@dataclass(frozen=True)
class SizeSpec:
    name: str
    workers: int
    service_ms: float
    cost_per_hour: float
    items: int = 0

    @property
    def capacity_rps(self) -> float:
        """Requests per second all workers can complete (infinite for pure delays)."""
        if self.workers <= 0:
            return float("inf")
        return self.workers * 1000.0 / self.service_ms if self.service_ms > 0 else float("inf")


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str
    boot_s: float
    restart_s: float
    timeout_ms: float
    sizes: tuple[SizeSpec, ...]
    cost_per_gb: float = 0.0
    # Web servers: "event_loop" frees the worker while a request waits on the session
    # store, cache or database; "threads" holds it until the answer is back.
    concurrency: str = "event_loop"

    def size(self, name: str) -> SizeSpec:
        for s in self.sizes:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def size_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sizes)

    @property
    def largest(self) -> SizeSpec:
        return self.sizes[-1]

    @property
    def default_size(self) -> str:
        names = self.size_names
        return "medium" if "medium" in names else names[0]


SIZE_FIELDS = ("workers", "service_ms", "cost_per_hour", "items")
KIND_FIELDS = ("title", "boot_s", "restart_s", "timeout_ms", "cost_per_gb", "concurrency")
CONCURRENCY = ("event_loop", "threads")


@dataclass(frozen=True)
class Catalog:
    kinds: tuple[KindSpec, ...]

    def __getitem__(self, kind: str) -> KindSpec:
        for k in self.kinds:
            if k.kind == kind:
                return k
        raise KeyError(kind)

    def __contains__(self, kind: object) -> bool:
        return any(k.kind == kind for k in self.kinds)

    def size(self, kind: str, size: str) -> SizeSpec:
        return self[kind].size(size)

    @staticmethod
    def default() -> "Catalog":
        return _default_catalog()

    @staticmethod
    def from_mapping(data: Mapping[str, Any]) -> "Catalog":
        kinds = []
        for kind, entry in data.items():
            sizes = tuple(
                SizeSpec(
                    name=name,
                    workers=int(s.get("workers", 0)),
                    service_ms=float(s.get("service_ms", 0.0)),
                    cost_per_hour=float(s.get("cost_per_hour", 0.0)),
                    items=int(s.get("items", 0)),
                )
                for name, s in entry["sizes"].items()
            )
            kinds.append(
                KindSpec(
                    kind=kind,
                    title=str(entry.get("title", kind)),
                    boot_s=float(entry.get("boot_s", 60)),
                    restart_s=float(entry.get("restart_s", 30)),
                    timeout_ms=float(entry.get("timeout_ms", 1000)),
                    cost_per_gb=float(entry.get("cost_per_gb", 0.0)),
                    concurrency=str(entry.get("concurrency", "event_loop")),
                    sizes=sizes,
                )
            )
        return Catalog(tuple(kinds))

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> "Catalog":
        """A copy with per-kind fields and per-size fields replaced (new sizes appended).

        `overrides` maps kind -> {kind field: value, "sizes": {size: {field: value}}}.
        """
        kinds = []
        for spec in self.kinds:
            over = overrides.get(spec.kind)
            if not over:
                kinds.append(spec)
                continue
            kind_changes = {k: v for k, v in over.items() if k in KIND_FIELDS}
            sizes = list(spec.sizes)
            for name, fields in (over.get("sizes") or {}).items():
                fields = {k: v for k, v in fields.items() if v is not None}
                for i, s in enumerate(sizes):
                    if s.name == name:
                        sizes[i] = replace(s, **fields)
                        break
                else:
                    base = sizes[-1]
                    sizes.append(replace(base, name=name, **fields))
            kinds.append(replace(spec, sizes=tuple(sizes), **kind_changes))
        return Catalog(tuple(kinds))


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    text = resources.files("scaletui.sim").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return Catalog.from_mapping(yaml.safe_load(text))
