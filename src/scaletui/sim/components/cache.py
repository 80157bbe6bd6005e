"""Cache node: keys are spread over the nodes by hash; a hit ends a read.

Capacity is in items, TTL is set by the player (shorter means fresher data and fewer
hits), and so is what a write does to the entry of its key (`on_write`: none, invalidate
or update; see staleness.py). A node that (re)starts is empty: `started_at` drives its
warm-up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from scaletui.sim.catalog import KindSpec, SizeSpec
from scaletui.sim.components.base import Component

if TYPE_CHECKING:
    from scaletui.sim.sharding import Sharding


class Cache(Component):
    kind_name = "cache"

    def __init__(
        self, cid: str, kind: KindSpec, size: SizeSpec, region: str, created_at: float, seq: int
    ) -> None:  # the base's own signature: mypyc compiles no *args forwarding to it
        super().__init__(cid, kind, size, region, created_at, seq)
        self.ttl = math.inf
        # Writes leave cached entries alone unless the player says otherwise: what the
        # game did before it counted stale reads (same hit rates, same results).
        self.on_write = "none"
        self.started_at = self.created_at
        self.hit_rate = 0.0  # last tick
        self.hits = 0.0  # whole run
        self.lookups = 0.0
        self.tick_hits = 0.0
        self.tick_lookups = 0.0
        # The last reshard: (when, old mapping, new mapping). Entries of the keys that
        # moved were dropped then; each plane forgets them its own way.
        self.rekeyed: tuple[float, Sharding, Sharding] | None = None

    @property
    def items(self) -> int:
        return self.size_spec.items

    def flush(self, now: float) -> None:
        self.started_at = now
        self.rekeyed = None  # empty anyway

    def rekey(self, now: float, before: Sharding, after: Sharding) -> None:
        self.rekeyed = (now, before, after)
