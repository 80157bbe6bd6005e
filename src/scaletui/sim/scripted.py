"""Scenario events (surges, crashes, slow-downs, hot keys, outages) as SimPy processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generator

from scaletui.sim.components import Datacenter
from scaletui.sim.config import ScenarioEvent
from scaletui.sim.eventlog import CRITICAL, WARNING

if TYPE_CHECKING:
    from scaletui.sim.engine import Engine


def _fmt_users(n: float) -> str:
    return f"{n:,.0f}"


def _fmt_span(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g}s"


def scenario_event(e: "Engine", ev: ScenarioEvent) -> Generator:
    yield e.announce_at(ev.at) if ev.kind == "say" else e.at(ev.at)
    if ev.say and ev.kind != "say":
        e.log("say", ev.say, severity=WARNING)
    handler = {
        "say": _say,
        "traffic": _traffic,
        "fail": _fail,
        "slow": _slow,
        "hot_key": _hot_key,
        "outage": _outage,
        "errors": _errors,
    }[ev.kind]
    yield from handler(e, ev)


def _say(e: "Engine", ev: ScenarioEvent) -> Generator:
    e.log("say", ev.say or "", severity=WARNING)
    return
    yield


def _traffic(e: "Engine", ev: ScenarioEvent) -> Generator:
    change = ev.traffic
    assert change is not None
    tm = e.traffic
    saved = tm.apply_change(e.now, change, ev.over)
    if change.users is not None or change.users_factor is not None:
        level = tm.target_level()
        verb = "rises" if level >= tm.level(e.now) else "falls"
        over = f" over {_fmt_span(ev.over)}" if ev.over else ""
        rps = level * tm.rps_per_user
        e.log("surge", f"traffic {verb} to {_fmt_users(level)} users (about {rps:,.0f} requests/s){over}",
              severity=WARNING)
    if change.rps_per_user is not None:
        e.log("surge", f"each user now sends {change.rps_per_user:g} requests/s", severity=WARNING)
    if change.mix is not None:
        m = tm.mix
        e.log("surge", f"request mix now static {m.static:.0%}, read {m.read:.0%}, "
                       f"write {m.write:.0%}, async {m.async_:.0%}", severity=WARNING)
    if ev.duration is not None:
        yield e.at(e.now + ev.duration)
        tm.revert(e.now, change, saved, ev.over)
        back = []
        if change.users is not None or change.users_factor is not None:
            back.append(f"{_fmt_users(tm.target_level())} users")
        if change.rps_per_user is not None:
            back.append(f"{tm.rps_per_user:g} requests/s per user")
        if change.mix is not None:
            back.append("its earlier request mix")
        e.log("surge", "the surge is over: traffic returns to " + ", ".join(back))


def _fail(e: "Engine", ev: ScenarioEvent) -> Generator:
    comp = e.resolve_target(ev.target or "")
    if comp is None:
        e.log("fail", f"nothing to crash: no live {ev.target}")
        return
    how_long = f" for {_fmt_span(ev.duration)}" if ev.duration is not None else " until replaced"
    e.crash(comp, "crashed")
    e.log("fail", f"{comp.id} crashed{how_long}", comp.id, CRITICAL)
    if ev.duration is not None:
        yield e.at(e.now + ev.duration)
        if not comp.removed and comp.crashed:
            e.recover(comp)
    return
    yield


def _slow(e: "Engine", ev: ScenarioEvent) -> Generator:
    comp = e.resolve_target(ev.target or "")
    if comp is None:
        e.log("slow", f"nothing to slow down: no live {ev.target}")
        return
    comp.slow_factor = ev.factor
    e.topology.touch()
    who = f"everything in {comp.id}" if isinstance(comp, Datacenter) else comp.id
    e.log("slow", f"{who} slows down: requests take {ev.factor:g}x as long", comp.id, WARNING)
    if ev.duration is not None:
        yield e.at(e.now + ev.duration)
        if not comp.removed:
            comp.slow_factor = 1.0
            e.topology.touch()
            who = f"everything in {comp.id}" if isinstance(comp, Datacenter) else comp.id
            e.log("recover", f"{who} is back to full speed", comp.id)


def _errors(e: "Engine", ev: ScenarioEvent) -> Generator:
    comp = e.resolve_target(ev.target or "")
    if comp is None:
        e.log("errors", f"nothing to break: no live {ev.target}")
        return
    comp.error_share = ev.share
    e.topology.touch()
    e.log("errors", f"{comp.id} answers {ev.share:.0%} of its requests with an error", comp.id, WARNING)
    if ev.duration is not None:
        yield e.at(e.now + ev.duration)
        if not comp.removed:
            comp.error_share = 0.0
            e.topology.touch()
            e.log("recover", f"{comp.id} answers without errors again", comp.id)


def _hot_key(e: "Engine", ev: ScenarioEvent) -> Generator:
    e.traffic.hot_share = ev.share
    e.log("hot_key", f"one key now draws {ev.share:.0%} of reads and writes", severity=WARNING)
    if ev.duration is not None:
        yield e.at(e.now + ev.duration)
        e.traffic.hot_share = 0.0
        e.log("hot_key", "the hot key has cooled down")


def _outage(e: "Engine", ev: ScenarioEvent) -> Generator:
    region = ev.target or ""
    dc = e.topology.datacenter(region)
    if dc is None:
        e.log("outage", f"no data centre in {region} to lose")
        return
    e.crash(dc, "region outage")
    e.log("outage", f"region {region} is out: everything in {dc.id} is unreachable", dc.id, CRITICAL)
    if ev.duration is not None:
        yield e.at(e.now + ev.duration)
        if not dc.removed and dc.crashed:
            e.recover(dc)
