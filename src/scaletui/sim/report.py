"""The engine's part of a run report, as JSON-ready data (stable for a scenario, plan and seed)."""

from __future__ import annotations

import math
from typing import Any

from scaletui.sim.components import Cache, Cdn, Database, MessageQueue, WebServer
from scaletui.sim.engine import Engine
from scaletui.sim.forecast import Drawn


def _r(x: float | None, digits: int = 4) -> float | None:
    if x is None:
        return None
    if math.isinf(x) or math.isnan(x):
        return None
    return round(float(x), digits)


def engine_report(engine: Engine, scenario: str) -> dict[str, Any]:
    m = engine.metrics
    t = m.totals()
    lat = t.latency
    totals = {
        "requests": t.requests,
        "served": t.served,
        "failed": t.failed,
        "availability": _r(t.availability, 4),
        "latency_ms": {
            "mean": _r(lat.mean_ms, 3),
            "p50": _r(lat.p50_ms, 3),
            "p95": _r(lat.p95_ms, 3),
            "p99": _r(lat.p99_ms, 3),
        },
        "cost": _r(t.cost, 4),
        "lost_writes": t.lost_writes,
        "revenue": _r(t.revenue, 2),
        "revenue_lost": _r(t.revenue_lost, 2),
        "sessions_lost": t.sessions_lost,
        "retries": t.retries,
        "wasted": t.wasted,
        "reads": t.reads,
        "stale_reads": t.stale_reads,
        "stale_after_failover": t.stale_after_failover,
        "jobs": {"enqueued": t.jobs_enqueued, "done": t.jobs_done, "queued": int(round(engine.queue_depth()))},
    }
    series = [
        {
            "t": _r(row.t, 3),
            "rps": _r(row.rps, 3),
            "p95_ms": _r(row.p95_ms, 3),
            "error_rate": _r(row.error_rate, 6),
            "cost_per_hour": _r(row.cost_per_hour, 4),
            "users": _r(row.users, 2),
            "users_served": _r(row.users_served, 2),
            "p99_ms": _r(row.p99_ms, 3),
            "hit_rate": _r(row.hit_rate, 4) if row.hit_rate is not None else None,
            "db_utilization": _r(row.db_utilization, 4),
            "replication_lag_s": _r(row.lag_s, 4),
            "queue_depth": _r(row.queue_depth, 2),
            "retry_rps": _r(row.retry_rps, 3),
            "stale_read_rate": _r(row.stale_read_rate, 6),
        }
        for row in m.series
    ]
    components = []
    for c in engine.topology:
        alive = c.alive_seconds or 1.0
        item: dict[str, Any] = {
            "id": c.id,
            "kind": c.kind,
            "size": c.size,
            "region": c.region,
            "health": c.health(engine.now),
            "utilization": _r(c.busy_seconds / alive, 4) if c.queueing else None,
            "peak_utilization": _r(c.peak_utilization, 4) if c.queueing else None,
            "served": int(round(c.total_served)),
            "failed": int(round(c.total_failed)),
            "cost_per_hour": _r(c.cost_per_hour, 4),
        }
        if isinstance(c, (Cache, Cdn)):
            item["hit_rate"] = _r(c.hits / c.lookups, 4) if c.lookups else 0.0
        if isinstance(c, Cache):
            item["on_write"] = c.on_write
        if isinstance(c, Database):
            item["role"] = c.role
            if not c.is_primary:
                item["replication_lag_s"] = _r(c.lag, 4)
        if isinstance(c, MessageQueue):
            item["depth"] = _r(c.depth, 2)
        if isinstance(c, WebServer) and c.holds_threads:
            # Mean workers held waiting for the session store, cache or database.
            item["held_waiting"] = _r(c.held_seconds / alive, 4)
        components.append(item)
    out: dict[str, Any] = {
        "scenario": scenario,
        "seed": engine.seed,
        "model": engine.model,
        "duration_s": _r(engine.duration, 3),
        "totals": totals,
        "failures": [{"cause": k, "count": v} for k, v in t.failures_by_cause],
        "retried": [{"cause": k, "count": v} for k, v in t.retried_by_cause],
        "series": series,
        "components": components,
        "events": [ev.to_json() for ev in engine.events.events],
    }
    if engine.drawn:
        # What the seed made of the varied events: a run can be explained afterwards.
        out["drawn_events"] = [_drawn(d) for d in engine.drawn]
    return out


def _drawn(d: Drawn) -> dict[str, Any]:
    item: dict[str, Any] = {"id": d.event_id} if d.event_id is not None else {"index": d.index}
    item["at"] = _r(d.at, 3)
    if d.users is not None:
        item["users"] = _r(d.users, 2)
    return item
