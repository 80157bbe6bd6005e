"""Engine speed and memory, measured against the exact per-request model in the same run.

For 1k, 100k and 1M requests/s offered to a topology of 20 components, prints
simulated seconds per wall second of the flow engine and of the exact model, their
ratio, and peak memory; then the flow engine at 1M requests/s on the same topology
widened to 1,000 components (980 more web servers behind the load balancers), as a
ratio of the 20-component speed; then the peak memory of a whole simulated day. The topology
is the same at every load; its service times shrink with the load so that every
station runs at the same utilization, so a difference in cost can only come from the
load itself. Targets: >= 300 simulated s per wall s at 1M requests/s, with 20 and with
1,000 components; cost flat in the offered load; < 200 MB peak for a simulated day.

    python benchmarks/engine.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from scaletui.sim.catalog import Catalog  # noqa: E402
from scaletui.sim.config import ComponentSpec, Mix, SimConfig, Traffic  # noqa: E402
from scaletui.sim.engine import Engine  # noqa: E402

LOADS = (1_000, 100_000, 1_000_000)
BASE_RPS = 1_000.0


WEB = 6  # web servers of the 20-component topology
WIDE_WEB = WEB + 980  # the same topology widened to the component limit, 1,000


def topology(web: int = WEB) -> tuple[ComponentSpec, ...]:
    r = "us-east"
    specs = [ComponentSpec("load_balancer", "small", r) for _ in range(2)]
    specs += [ComponentSpec("web", "medium", r) for _ in range(web)]
    specs += [
        ComponentSpec("session_store", "medium", r),
        ComponentSpec("cache", "medium", r),
        ComponentSpec("cache", "medium", r),
        ComponentSpec("database", "medium", r),
        ComponentSpec("replica", "medium", r),
        ComponentSpec("replica", "medium", r),
        ComponentSpec("replica", "medium", r),
        ComponentSpec("cdn", "standard", r),
        ComponentSpec("queue", "small", r),
        ComponentSpec("worker", "medium", r),
        ComponentSpec("worker", "medium", r),
    ]
    return tuple(specs)  # + the data centre the engine adds: 20 + (web - WEB) components


def config(rps: float, duration: float, tick: float = 1.0, web: int = WEB) -> SimConfig:
    """The same topology at every load: service times scaled so utilization is the same.

    With more web servers, theirs are longer in proportion, so each one is as busy as
    in the 20-component topology and only the component count differs."""
    scale = BASE_RPS / rps
    base = Catalog.default()
    overrides = {}
    for kind in ("load_balancer", "web", "session_store", "cache", "database", "replica", "queue", "worker"):
        spec = base[kind]
        k = scale * web / WEB if kind == "web" else scale
        overrides[kind] = {"sizes": {s.name: {"service_ms": s.service_ms * k} for s in spec.sizes}}
    catalog = base.with_overrides(overrides)
    traffic = Traffic(users=rps / 0.05, rps_per_user=0.05, mix=Mix(0.4, 0.45, 0.1, 0.05),
                      key_count=1_000_000, async_work_ms=200 * scale)
    return SimConfig(name=f"bench-{rps:g}", duration=duration, tick=tick, traffic=traffic,
                     catalog=catalog, topology=topology(web))


def speed(rps: float, model: str, wall_budget: float, tick: float = 1.0,
          web: int = WEB) -> tuple[float, float, int]:
    """Simulated seconds per wall second, run tick by tick until the wall budget is spent."""
    engine = Engine(config(rps, 86400.0, tick, web), seed=1, model=model)
    engine.step(10 * tick)  # warm up: caches, memo tables
    start_sim, start = engine.now, time.perf_counter()
    while True:
        engine.step(engine.now + tick)
        wall = time.perf_counter() - start
        if wall >= wall_budget:
            break
    sim = engine.now - start_sim
    return sim / wall, wall, int(engine.metrics.arrived)


def day_memory() -> None:
    """Child process: run a simulated day at 1M requests/s; print peak resident MB and wall s.

    Measured by the kernel: VmHWM of this process image (ru_maxrss would carry over the
    parent's peak across exec on Linux), without tracemalloc, whose own bookkeeping
    would be most of what it reports.
    """
    start = time.perf_counter()
    engine = Engine(config(1_000_000, 86400.0), seed=1)
    engine.run()
    wall = time.perf_counter() - start
    print(f"{peak_resident_mb():.1f} {wall:.1f} {len(engine.metrics.series)}")


def peak_resident_mb() -> float:
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter measurements, no simulated day")
    ap.add_argument("--day-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.day_child:
        day_memory()
        return
    budget = 2.0 if args.quick else 6.0
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min), before the runs")
    n = len(Engine(config(1000, 60)).topology)
    print(f"topology: {n} components; flow engine tick 1s; exact model tick 0.25s")
    print(f"{'offered rps':>12} {'flow sim s/wall s':>18} {'exact sim s/wall s':>19} {'flow/exact':>11} "
          f"{'exact req/wall s':>17}")
    flows = []
    for rps in LOADS:
        f, _, _ = speed(rps, "flow", budget)
        e, wall, reqs = speed(rps, "exact", budget, tick=0.25)
        flows.append(f)
        print(f"{rps:>12,} {f:>18,.0f} {e:>19,.3f} {f / e:>11,.0f} {reqs / wall:>17,.0f}")
    flat = max(flows) / min(flows)
    print(f"\nflow engine cost across loads: max/min speed = {flat:.2f} (flat: close to 1)")
    at_1m = flows[-1]
    print(f"1M requests/s: {at_1m:,.0f} simulated s per wall s, a simulated hour in {3600 / at_1m:.1f} s "
          f"[target >= 300: {'PASS' if at_1m >= 300 else 'FAIL'}]")
    wide, _, _ = speed(1_000_000, "flow", budget, web=WIDE_WEB)
    n_wide = len(Engine(config(1000, 60, web=WIDE_WEB)).topology)
    print(f"{n_wide:,} components at 1M requests/s: {wide:,.0f} simulated s per wall s, "
          f"{wide / at_1m:.2f} of the {n} components' speed (identical web servers share one evaluation) "
          f"[target >= 300: {'PASS' if wide >= 300 else 'FAIL'}]")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min), after the speed runs")
    if not args.quick:
        out = subprocess.run([sys.executable, __file__, "--day-child"], capture_output=True, text=True, check=True)
        rss, wall, rows = out.stdout.split()
        print(f"a simulated day at 1M requests/s: {float(wall):.0f} s of wall time, {rows} report rows, peak "
              f"{float(rss):.1f} MB resident for the whole process "
              f"[target < 200 MB: {'PASS' if float(rss) < 200 else 'FAIL'}]")


if __name__ == "__main__":
    main()
