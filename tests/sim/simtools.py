"""Small builders shared by the engine tests: configs, runs, and figure readers."""

from __future__ import annotations

import sys
from pathlib import Path

_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from scaletui.sim.catalog import Catalog  # noqa: E402
from scaletui.sim.config import (  # noqa: E402
    ComponentSpec,
    Mix,
    Network,
    ScenarioEvent,
    SimConfig,
    Traffic,
)
from scaletui.sim.engine import Engine  # noqa: E402

HOME = "us-east"
STATIC = Mix(1.0, 0.0, 0.0, 0.0)


def spec(kind: str, size: str | None = None, region: str = HOME, id: str | None = None,
         of: str | None = None) -> ComponentSpec:
    """A component of the starting topology (the catalog's default size when none given)."""
    return ComponentSpec(kind, size or Catalog.default()[kind].default_size, region, id, of)


def make_config(
    *topology: ComponentSpec,
    users: float = 1000.0,
    rps_per_user: float = 0.1,
    mix: Mix = STATIC,
    duration: float = 300.0,
    events: tuple[ScenarioEvent, ...] | list[ScenarioEvent] = (),
    catalog: Catalog | None = None,
    network: Network | None = None,
    tick: float = 1.0,
    report_every: float = 60.0,
    trace_samples: int | None = None,
    latency_samples: int | None = None,
    **traffic,
) -> SimConfig:
    """A SimConfig from a topology and traffic knobs; extra keywords go to Traffic.

    Sampling settings not given keep the engine's defaults.
    """
    sampling = {}
    if trace_samples is not None:
        sampling["trace_samples"] = trace_samples
    if latency_samples is not None:
        sampling["latency_samples"] = latency_samples
    return SimConfig(
        duration=duration,
        tick=tick,
        report_every=report_every,
        traffic=Traffic(users=users, rps_per_user=rps_per_user, mix=mix, **traffic),
        network=network or Network(),
        catalog=catalog or Catalog.default(),
        topology=tuple(topology),
        events=tuple(events),
        **sampling,
    )


def run(cfg: SimConfig, seed: int = 1, model: str = "flow") -> Engine:
    e = Engine(cfg, seed=seed, model=model)
    e.run()
    if model == "exact":
        e.plane.drain()
    return e


class Window:
    """Figures of one component (or the whole run) between two moments of a run.

    Take `Window.start(engine)` at one moment, step, then `w.end()`: differences of
    the cumulative counters over the interval.
    """

    def __init__(self, e: Engine) -> None:
        self.e = e
        self.t0 = e.now
        self.m0 = (e.metrics.arrived, e.metrics.served, e.metrics.failed)
        self.c0 = {c.id: (c.total_served, c.total_failed, c.busy_seconds, c.alive_seconds) for c in e.topology}
        self.f0 = dict(e.metrics.failures)

    @property
    def seconds(self) -> float:
        return self.e.now - self.t0

    @property
    def arrived(self) -> float:
        return self.e.metrics.arrived - self.m0[0]

    @property
    def served(self) -> float:
        return self.e.metrics.served - self.m0[1]

    @property
    def failed(self) -> float:
        return self.e.metrics.failed - self.m0[2]

    def comp_served(self, cid: str) -> float:
        c = self.e.topology[cid]
        return c.total_served - self.c0.get(cid, (0.0, 0.0, 0.0, 0.0))[0]

    def comp_failed(self, cid: str) -> float:
        c = self.e.topology[cid]
        return c.total_failed - self.c0.get(cid, (0.0, 0.0, 0.0, 0.0))[1]

    def utilization(self, cid: str) -> float:
        """Mean utilization of a component over the window."""
        c = self.e.topology[cid]
        b0 = self.c0.get(cid, (0.0, 0.0, 0.0, 0.0))
        alive = c.alive_seconds - b0[3]
        return (c.busy_seconds - b0[2]) / alive if alive > 0 else 0.0

    def failures(self, contains: str = "") -> float:
        """Requests failed in the window whose cause contains `contains`."""
        now = self.e.metrics.failures
        return sum(v - self.f0.get(k, 0.0) for k, v in now.items() if contains in k)


def window(e: Engine, until: float) -> Window:
    """Step the engine to `until` and return the figures of the interval just run."""
    w = Window(e)
    e.step(until)
    return w
