"""How the terminal game performs: screen updates per second, key latency, CPU.

Measured at 100x30 on two games that keep running through every figure: the finale
(the largest campaign level, its reference plan applied as the clock goes) lengthened
to a day, and a 1,000-component topology (6 load balancers, 992 web servers, a
database: the component limit) at 1M requests/s:
  1. headless (Textual's run_test): at full speed, screen updates per second and the
     simulated seconds per wall second; the time a key press takes to be handled while
     the game runs flat out; at 10x, the process's CPU time per wall second.
  2. the real `scaletui play` of the finale in tmux at 10x: CPU of the process from
     /proc, and the time the screen takes to show a key press (read back with capture-pane).
Targets: >= 10 screen updates/s at full speed, keys answered within 100 ms, < 60% of
one core at 10x. A game that ends during a measurement, or a figure that could not be
measured (nan), fails the benchmark: it exits with status 1 and says why.

    python benchmarks/tui.py [--seconds N] [--scenario NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from scaletui.game.progress import Progress  # noqa: E402
from scaletui.scenario.campaign import builtin_path, solution_path  # noqa: E402
from scaletui.scenario.load import load_plan  # noqa: E402
from scaletui.tui.app import make_app  # noqa: E402
from scaletui.tui.clock import SPEEDS  # noqa: E402


LONG = "1d"  # long enough that no measurement reaches the end of the game

WIDE = f"""name: wide
title: A thousand components
concept: benchmark
difficulty: 1
brief: The component limit, at a million requests per second.
duration: {LONG}
seed: 7
traffic:
  users: 20000000
  rps_per_user: 0.05
  mix: {{static: 1.0, read: 0, write: 0}}
topology:
  - {{kind: load_balancer, size: large, count: 6}}
  - {{kind: web, size: xlarge, count: 992}}
  - {{kind: database, size: large}}
"""


class BenchmarkFailed(Exception):
    """A figure that does not measure what it says: the game ended, or nothing was measured."""


def _scenario(name: str | None) -> str:
    if name:
        return name
    return "millions" if builtin_path("millions") else "scale-out"


def _lengthened(name: str, folder: Path) -> Path:
    """The built-in level with its duration set to LONG, so it is still running when measured."""
    text = builtin_path(name).read_text()  # type: ignore[union-attr]
    text, n = re.subn(r"(?m)^duration:.*$", f"duration: {LONG}", text)
    if n != 1:
        raise BenchmarkFailed(f"{name}: no top-level duration to lengthen")
    path = folder / f"{name}-long.yaml"
    path.write_text(text)
    return path


def _still_running(game, what: str) -> None:
    if game.finished:
        raise BenchmarkFailed(f"the game ended ({game.outcome}) {what}: that figure would not measure a running game")


def _follow_plan(game, plan) -> None:
    """Make the game apply the reference plan's actions exactly on time as the UI steps it,
    so that the finale is played well and lasts the whole measurement."""
    actions = list(plan.actions)
    step = game.step

    def planned_step(until: float):
        events = []
        while actions and actions[0].at <= until and not game.finished:
            events += step(actions[0].at)
            while actions and actions[0].at <= game.now:
                game.act(actions.pop(0).command)
        return events + step(until)

    game.step = planned_step


async def headless(scenario: Path, seconds: float, plan_file: Path | None) -> dict:
    tmp = Path(tempfile.mkdtemp())
    app = make_app(str(scenario), progress=Progress(tmp / "p.sqlite3"), plan_dir=tmp)
    out: dict = {}
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        game = screen.game
        if plan_file:
            _follow_plan(game, load_plan(plan_file))
        handled: list[float] = []
        original = screen.action_select

        def timed_select(delta: int) -> None:
            original(delta)
            handled.append(time.perf_counter())

        screen.action_select = timed_select  # type: ignore[method-assign]
        # full speed: screen updates per second
        screen.clock.speed_index = len(SPEEDS) - 1
        await pilot.press("space")
        f0, t0, w0, c0 = screen.frames, game.now, time.perf_counter(), time.process_time()
        await pilot.pause(seconds)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        out["components"] = len(game.engine.topology)
        out["updates_per_s"] = (screen.frames - f0) / wall
        # On a shared machine the process may get less than a core: what it did per CPU second.
        out["cpu_share"] = cpu / wall
        out["updates_per_cpu_s"] = (screen.frames - f0) / cpu
        out["sim_per_wall"] = (game.now - t0) / wall
        _still_running(game, "during the full-speed run")
        # key presses while running flat out: time until the handler has run
        latencies = []
        for _ in range(15):
            _still_running(game, "while keys were timed")
            n = len(handled)
            k0 = time.perf_counter()
            app.simulate_key("j")
            while len(handled) == n and time.perf_counter() - k0 < 2:
                await asyncio.sleep(0.001)
            latencies.append(handled[-1] - k0 if len(handled) > n else 2.0)
            await asyncio.sleep(0.13)
        out["key_ms_median"] = 1000 * statistics.median(latencies) if latencies else float("nan")
        out["key_ms_max"] = 1000 * max(latencies) if latencies else float("nan")
        # 10x: CPU per wall second
        screen.clock.speed_index = SPEEDS.index(10)
        c0, w0 = time.process_time(), time.perf_counter()
        await pilot.pause(seconds)
        out["cpu_10x"] = (time.process_time() - c0) / (time.perf_counter() - w0)
        _still_running(game, "during the 10x run")
    for key, value in out.items():
        if isinstance(value, float) and math.isnan(value):
            raise BenchmarkFailed(f"{key} is nan: nothing was measured")
    return out


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def in_tmux(scenario: Path, seconds: float) -> dict | None:
    if shutil.which("tmux") is None or not Path("/proc").is_dir():
        return None
    session = f"scaletui-bench-{os.getpid()}"
    data = tempfile.mkdtemp()
    cmd = f"SCALETUI_DATA_DIR={data} exec {sys.executable} -m scaletui play {scenario}"
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd)
    try:
        _tmux("set", "-s", "escape-time", "0")
        deadline = time.time() + 20
        while "Start" not in _tmux("capture-pane", "-p", "-t", session) and time.time() < deadline:
            time.sleep(0.1)
        _tmux("send-keys", "-t", session, "Enter")
        while "Topology" not in _tmux("capture-pane", "-p", "-t", session) and time.time() < deadline:
            time.sleep(0.1)
        pid = int(_tmux("list-panes", "-t", session, "-F", "#{pane_pid}").strip())
        _tmux("send-keys", "-t", session, "Space")  # runs at 10x
        time.sleep(1.0)
        c0, w0 = _cpu_seconds(pid), time.perf_counter()
        time.sleep(seconds)
        cpu = (_cpu_seconds(pid) - c0) / (time.perf_counter() - w0)
        # key to screen: pause, then wait until the screen says so
        k0 = time.perf_counter()
        _tmux("send-keys", "-t", session, "Space")
        while "PAUSED" not in _tmux("capture-pane", "-p", "-t", session):
            if time.perf_counter() - k0 > 5:
                break
            time.sleep(0.005)
        key_ms = 1000 * (time.perf_counter() - k0)
        return {"cpu_10x": cpu, "key_to_screen_ms": key_ms}
    finally:
        _tmux("kill-session", "-t", session)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--scenario", default=None)
    args = ap.parse_args()
    name = _scenario(args.scenario)
    folder = Path(tempfile.mkdtemp())
    scenario = _lengthened(name, folder)
    wide = folder / "wide.yaml"
    wide.write_text(WIDE)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min), before the runs")
    try:
        for label, path, plan in ((f"{name}, lengthened to {LONG}, its reference plan applied as the clock goes",
                                   scenario, solution_path(name)),
                                  ("1,000 components at 1M requests/s", wide, None)):
            h = asyncio.run(headless(path, args.seconds, plan))
            _report(label, h)
        t = in_tmux(scenario, args.seconds)
    except BenchmarkFailed as err:
        sys.exit(f"benchmark failed: {err}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min), after the headless runs")
    if t is None:
        print("tmux: not available, skipped")
    else:
        print(f"tmux, real terminal, 10x: {100 * t['cpu_10x']:.0f}% of one core "
              f"[target < 60%: {'PASS' if t['cpu_10x'] < 0.6 else 'FAIL'}]; "
              f"key press to screen {t['key_to_screen_ms']:.0f} ms "
              f"[target < 100: {'PASS' if t['key_to_screen_ms'] < 100 else 'FAIL'}]")


def _report(label: str, h: dict) -> None:
    print(f"\n{label}: {h['components']} components after the full-speed run, 100x30, still running")
    print(f"headless, full speed: {h['updates_per_s']:.1f} screen updates/s "
          f"[target >= 10: {'PASS' if h['updates_per_s'] >= 10 else 'FAIL'}], "
          f"{h['sim_per_wall']:.0f} simulated s per wall s; the process had {100 * h['cpu_share']:.0f}% of a core: "
          f"{h['updates_per_cpu_s']:.1f} updates per CPU s")
    print(f"headless, key press handled while running flat out: median {h['key_ms_median']:.0f} ms, "
          f"max {h['key_ms_max']:.0f} ms [target < 100: {'PASS' if h['key_ms_max'] < 100 else 'FAIL'}]")
    print(f"headless, 10x: {100 * h['cpu_10x']:.0f}% of one core "
          f"[target < 60%: {'PASS' if h['cpu_10x'] < 0.6 else 'FAIL'}]")


if __name__ == "__main__":
    main()
