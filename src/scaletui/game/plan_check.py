"""Checking a plan against its scenario before playing it: every problem at once.

What can be told without simulating: actions after the end, and each command checked by
the same rules a game applies (kinds allowed, the budget, the component limit) and the
same wording the engine uses (sizes, component ids), on the topology the plan will
have built by then (ids are given in order, so they can be predicted by replaying the
adds and removes).
"""

from __future__ import annotations

from scaletui.game.rules import Rules
from scaletui.scenario.errors import Problem
from scaletui.scenario.load import Plan, Scenario
from scaletui.sim.commands import (Add, Configure, Promote, Remove, Upgrade, db_call_problem, db_call_settings,
                                    size_problem, unknown_component)
from scaletui.sim.topology import Topology

AT_THAT_TIME = " at that time"


def check_plan(scenario: Scenario, plan: Plan) -> list[Problem]:
    cfg = scenario.config
    catalog = cfg.catalog
    rules = Rules.of(scenario.spec)
    topo = Topology(catalog)
    topo.build(cfg.topology, cfg.home_region)
    problems: list[Problem] = []
    autoscaled = False  # after autoscaling is on, web ids (and the cost) are not predictable
    for a in plan.actions:
        cmd = a.command

        def bad(message: str) -> None:
            problems.append(a.problem(message))

        if a.at >= cfg.duration:
            bad(f"at {a.at:g}s is after the end of the scenario ({cfg.duration:g}s)")
            continue
        if isinstance(cmd, Add) and cmd.kind in catalog and cmd.size:
            msg = size_problem(catalog[cmd.kind], cmd.size)
            if msg:
                bad(msg)
                continue
        if isinstance(cmd, Upgrade) and cmd.target in topo:
            msg = size_problem(topo[cmd.target].kind_spec, cmd.size)
            if msg:
                bad(msg)
                continue
        reason = rules.check(topo, catalog, cmd)
        if reason is not None and not (autoscaled and reason.startswith("over budget")):
            bad(reason)
            continue
        if isinstance(cmd, Add):
            spec = catalog[cmd.kind]
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
                bad(unknown_component(cmd.target, topo.ids(), AT_THAT_TIME))
            elif db_call_settings(cmd) and (cmd.target != "web" and topo[cmd.target].kind != "web"
                                            if cmd.target in topo else cmd.target != "web"):
                bad("breaker, db_timeout and db_retries are settings of the web tier (configure web)")
            elif db_call_settings(cmd) and db_call_problem(cmd):
                bad(db_call_problem(cmd) or "")
            elif cmd.on_write is not None and (topo[cmd.target].kind if cmd.target in topo else cmd.target) != "cache":
                bad("on_write is a setting of cache nodes")
            elif cmd.shards is not None:
                # New shards take the size of the first group's primary, as the engine does.
                g0 = topo.group(0)
                size = g0.primary.size if g0 is not None and g0.primary is not None \
                    else catalog["shard"].default_size
                for _ in range(max(0, cmd.shards - topo.shard_count)):
                    topo.create("shard", size, cfg.home_region, a.at)
                topo.shard_count = max(topo.shard_count, cmd.shards)
            continue
        target = cmd.target  # Remove, Upgrade, Promote
        if target not in topo:
            if autoscaled and target.startswith("web-"):
                continue
            bad(unknown_component(target, topo.ids(), AT_THAT_TIME))
            continue
        comp = topo[target]
        if isinstance(cmd, Upgrade):
            comp.size_spec = comp.kind_spec.size(cmd.size)  # what it costs from now on
        elif isinstance(cmd, Remove):
            topo.remove(comp)
        elif isinstance(cmd, Promote) and comp.kind != "replica":
            bad(f"{target} is not a replica")
    asked = sorted(e.at for e in scenario.spec.estimates)
    for ans in plan.answers:
        if not any(abs(ans.at - at) < 1e-9 for at in asked):
            when = ", ".join(f"{at:g}s" for at in asked) or "never"
            problems.append(ans.problem(f"no estimate is asked at {ans.at:g}s (this scenario asks at {when})"))
    return problems
