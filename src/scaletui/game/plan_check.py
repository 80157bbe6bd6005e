"""Checking a plan against its scenario before playing it: every problem at once.

What can be told without simulating: actions after the end, kinds the scenario does not
allow, sizes that do not exist, and component ids that will not exist at that time (ids
are given in order, so they can be predicted by replaying the adds and removes).
"""

from __future__ import annotations

import difflib

from scaletui.game.rules import Rules
from scaletui.scenario.errors import Problem
from scaletui.scenario.load import Plan, Scenario
from scaletui.sim.commands import Add, Configure, Promote, Remove, Upgrade
from scaletui.sim.topology import Topology


def _size_problem(kind_title: str, sizes: tuple[str, ...], size: str) -> str | None:
    if size in sizes:
        return None
    close = difflib.get_close_matches(size, sizes, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{kind_title} comes in {', '.join(sizes)}, not '{size}'{hint}"


def check_plan(scenario: Scenario, plan: Plan) -> list[Problem]:
    cfg = scenario.config
    catalog = cfg.catalog
    rules = Rules.of(scenario.spec)
    topo = Topology(catalog)
    topo.build(cfg.topology, cfg.home_region)
    problems: list[Problem] = []
    autoscaled = False  # after autoscaling is on, web ids are not predictable
    for a in plan.actions:
        cmd = a.command

        def bad(message: str) -> None:
            problems.append(a.problem(message))

        if a.at >= cfg.duration:
            bad(f"at {a.at:g}s is after the end of the scenario ({cfg.duration:g}s)")
            continue
        if isinstance(cmd, Add):
            if cmd.kind not in rules.allow:
                bad(f"this scenario does not allow building {cmd.kind} "
                    f"(allowed: {', '.join(sorted(rules.allow)) or 'nothing'})")
                continue
            spec = catalog[cmd.kind]
            msg = _size_problem(spec.title.lower(), spec.size_names, cmd.size) if cmd.size else None
            if msg:
                bad(msg)
                continue
            region = cmd.region or cfg.home_region
            regions = set(cfg.traffic.region_names) | set(topo.regions())
            if region not in regions:
                bad(f"no region '{region}'; regions: {', '.join(sorted(regions))}")
                continue
            if cmd.kind == "datacenter":
                if topo.datacenter(region) is None:
                    topo.create("datacenter", spec.default_size, region, a.at)
                continue
            if topo.datacenter(region) is None:
                bad(f"there is no data centre in {region} at that time; add one first")
                continue
            for _ in range(cmd.count):
                topo.create(cmd.kind, cmd.size or spec.default_size, region, a.at)
            continue
        if isinstance(cmd, Configure):
            if cmd.autoscale is not None:
                autoscaled = True
            target_ok = cmd.target in topo or cmd.target in catalog
            if not target_ok:
                bad(_unknown(cmd.target, topo))
            elif cmd.shards is not None:
                for _ in range(max(0, cmd.shards - topo.shard_count)):
                    topo.create("shard", "medium" if "medium" in catalog["shard"].size_names
                                else catalog["shard"].default_size, cfg.home_region, a.at)
                topo.shard_count = max(topo.shard_count, cmd.shards)
            continue
        target = cmd.target  # Remove, Upgrade, Promote
        if target not in topo:
            if autoscaled and target.startswith("web-"):
                continue
            bad(_unknown(target, topo))
            continue
        comp = topo[target]
        if isinstance(cmd, Upgrade):
            msg = _size_problem(comp.kind_spec.title.lower(), comp.kind_spec.size_names, cmd.size)
            if msg:
                bad(msg)
        elif isinstance(cmd, Remove):
            topo.remove(comp)
        elif isinstance(cmd, Promote) and comp.kind != "replica":
            bad(f"{target} is not a replica")
    return problems


def _unknown(target: str, topo: Topology) -> str:
    ids = topo.ids()
    close = difflib.get_close_matches(target, ids, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    shown = ", ".join(i for i in ids if not i.startswith("dc-"))
    return f"there is no component '{target}' at that time{hint} (there are: {shown})"
