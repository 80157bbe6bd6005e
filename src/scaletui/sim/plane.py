"""A data plane's contract: what the engine asks of it, and the narrow context it gets.

Two planes compute the same topology's outcomes: the flow plane (counts per tick) and
the exact plane (one request at a time). Both read the same rulebook (route plan,
request classes, failure texts) from the context, and each counts every outcome on its
own, so that their agreement proves something. A plane never sees the whole engine:
only the clock, the topology and what moves through it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

import simpy

from scaletui.sim.components import Database
from scaletui.sim.config import SimConfig
from scaletui.sim.db_calls import DbCalls
from scaletui.sim.hit_rate import HitRateModel
from scaletui.sim.keyspace import KeySpace
from scaletui.sim.metrics import Metrics
from scaletui.sim.routing import RoutePlan, Router
from scaletui.sim.sticky import StickySessions
from scaletui.sim.topology import Topology
from scaletui.sim.traffic import TrafficModel

# (user region, request class, rate per second, arrivals this tick)
Demand = list[tuple[str, str, float, float]]


@dataclass(frozen=True)
class PlaneContext:
    env: simpy.Environment  # the clock: simulated seconds
    dt: float  # the tick
    end: float  # when the last tick ends
    config: SimConfig
    topology: Topology
    traffic: TrafficModel
    keys: KeySpace  # the data's keys, and the hit rates a cache gets over them
    hits: HitRateModel
    cdn_keys: KeySpace  # the static files', likewise for the CDN
    cdn_hits: HitRateModel
    router: Router
    sticky: StickySessions  # the flow plane's sessions of a stateful web tier
    metrics: Metrics
    rng: random.Random  # the simulation's one generator
    db_calls: DbCalls  # the web tier's policy for its database calls, and its breaker


class Plane(Protocol):
    name: str

    def tick(self, t: float, dt: float, plan: RoutePlan, demand: Demand) -> None:
        """Move the arrivals of [t, t + dt) through the route plan; fill the figures."""

    def replication(self, t: float, dt: float, plan: RoutePlan) -> None:
        """Advance the replicas' apply streams and lag over the tick."""

    def unreplicated(self, replica: Database) -> float:
        """Writes committed on the replica's primary that it has not applied (and would
        lose if it were promoted now)."""

    def drain(self) -> None:
        """After the last tick: finish what is still in flight."""
