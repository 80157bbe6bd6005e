"""What the run measured: totals, a series per reporting interval, recent ticks, traces.

Both data planes report into this one collector, so reports do not depend on which
model produced them. Counts are kept as floats (the flow engine moves fractions of
requests), each counted where it happens: arrived, served, failed, in flight. None is
derived from the others, so arrived = served + failed + in flight checks the planes.
Reports round the four together (largest remainder) so that the identity holds in
integers too whenever it holds in the raw counts.

Retries: `arrived` counts users' requests (first tries), and a request stays in flight
while its client waits to try again. An attempt that fails and will be retried is not a
failure (the user has not seen it yet); it is counted in `retried`, and the retry that
comes back in `retries`. Only a request's last outcome is served or failed, so errors
and availability are what users see. The offered load is first tries + retries.
"""

from __future__ import annotations

import math
from collections import deque

from scaletui.sim.client import is_shed, is_timeout

from scaletui.sim.histogram import LatencyHistogram, bin_of
from scaletui.sim.snapshot import LatencySummary, SeriesRow, TickRow, Totals, Trace
from scaletui.sim.summation import plain_sum

RECENT_TICKS = 900
RECENT_TRACES = 60


def round_parts(total: float, parts: list[float]) -> tuple[int, list[int]]:
    """Round counts that sum to total so that the rounded ones still sum to round(total).

    Parts that do not add up to the total (a plane lost or double-counted requests)
    are rounded one by one, so the report shows the gap instead of hiding it.
    """
    whole = int(round(total))
    if abs(total - plain_sum(parts)) > 1e-6 * max(1.0, abs(total)):
        return whole, [int(round(p)) for p in parts]
    floors = [math.floor(p) for p in parts]
    short = whole - plain_sum(floors)
    by_remainder = sorted(range(len(parts)), key=lambda i: (floors[i] - parts[i], i))
    for i in by_remainder[:max(0, short)]:
        floors[i] += 1
    return whole, floors


def weighted_quantile(samples: list[tuple[float, float]], p: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    total = plain_sum([w for _, w in ordered])
    if total <= 0:
        return 0.0
    target = p * total
    acc = 0.0
    for x, w in ordered:
        acc += w
        if acc >= target:
            return x
    return ordered[-1][0]


class Metrics:
    def __init__(self, report_every: float, revenue_per_request: float = 0.0) -> None:
        self.report_every = report_every
        self.revenue_per_request = revenue_per_request
        self.arrived = 0.0
        self.served = 0.0
        self.failed = 0.0
        self.in_flight = 0.0  # requests between arrival and answer (or waiting to be retried)
        self.retried = 0.0  # attempts that failed and will be tried again
        self.retries = 0.0  # retries that came back (attempts after the first)
        self.wasted = 0.0  # requests answered after their client gave up: work for nothing
        self.retry_causes: dict[str, float] = {}
        self.hist = LatencyHistogram()
        self.cost = 0.0
        self.lost_writes = 0.0
        self.sessions_lost = 0.0
        self.jobs_enqueued = 0.0
        self.jobs_done = 0.0
        self.reads = 0.0  # reads answered, and how many of them were stale cache hits
        self.stale_reads = 0.0
        # Of them, reads a database answered without the key's last acknowledged write,
        # which a promotion lost (a failover across the replication lag).
        self.stale_after_failover = 0.0
        self.failures: dict[str, float] = {}
        self.series: list[SeriesRow] = []
        self.recent: deque[TickRow] = deque(maxlen=RECENT_TICKS)
        self.traces: deque[Trace] = deque(maxlen=RECENT_TRACES)
        self.failed_traces: deque[Trace] = deque(maxlen=RECENT_TRACES)
        self._new_tick()
        self._new_window(0.0)
        self.last_samples: list[tuple[float, float]] = []
        # The last tick's (first tries, retries, timed out, shed): the engine watches them.
        self.last_attempts = (0.0, 0.0, 0.0, 0.0)

    # --- recording ------------------------------------------------------------------
    def _new_tick(self) -> None:
        self.t_arrived = 0.0
        self.t_served = 0.0
        self.t_failed = 0.0
        self.t_retries = 0.0
        self.t_timeouts = 0.0  # attempts that timed out (retried or not)
        self.t_shed = 0.0  # attempts a load balancer refused (load shedding)
        self.t_samples: list[tuple[float, float]] = []
        self.t_hits = 0.0
        self.t_lookups = 0.0
        self.t_reads = 0.0
        self.t_stale = 0.0

    def _new_window(self, t: float) -> None:
        self.w_start = t
        self.w_hist = LatencyHistogram()
        self.w_arrived = 0.0
        self.w_served = 0.0
        self.w_failed = 0.0
        self.w_retries = 0.0
        self.w_cost = 0.0
        self.w_time = 0.0
        self.w_users = 0.0
        self.w_users_served = 0.0
        self.w_hits = 0.0
        self.w_lookups = 0.0
        self.w_db = 0.0
        self.w_lag = 0.0
        self.w_depth = 0.0
        self.w_reads = 0.0
        self.w_stale = 0.0

    def arrive(self, n: float) -> None:
        self.arrived += n
        self.t_arrived += n

    def retry_arrive(self, n: float) -> None:
        """n retries come back: attempts of requests already counted as arrived."""
        self.retries += n
        self.t_retries += n

    def retry_later(self, n: float, cause: str) -> None:
        """n attempts failed with this cause and their clients will try again: the requests
        stay in flight."""
        self.retry_later_all([n], cause, is_timeout(cause))

    def retry_later_all(self, counts: list[float], cause: str, timeout: bool) -> None:
        """retry_later() of each count in turn (`timeout`: is_timeout(cause), known to the
        caller): the same sums in the same order, with one call per failure."""
        shed = not timeout and is_shed(cause)
        causes = self.retry_causes
        for n in counts:
            if n <= 0:
                continue
            self.retried += n
            self.in_flight += n
            causes[cause] = causes.get(cause, 0.0) + n
            if timeout:
                self.t_timeouts += n
            elif shed:
                self.t_shed += n

    def _kind(self, n: float, cause: str) -> None:
        if is_timeout(cause):
            self.t_timeouts += n
        elif is_shed(cause):
            self.t_shed += n

    def serve(self, n: float, mean_latency: float) -> None:
        """n requests answered, with this mean latency (exact)."""
        self.served += n
        self.t_served += n
        self.hist.add_mean(mean_latency, n)
        self.w_hist.add_mean(mean_latency, n)

    def shape(self, latency: float, weight: float) -> None:
        """A latency sample standing for `weight` answered requests (quantiles only)."""
        i = bin_of(latency)  # one bin for both histograms (add_shape, written out: every sample)
        for h in (self.hist, self.w_hist):
            h.weights[i] += weight
            h.total += weight
        self.t_samples.append((latency, weight))

    def shape_all(self, latencies: list[float], weight: float) -> None:
        """shape() of each latency in turn, with one call per flow's samples."""
        hist, w_hist = self.hist, self.w_hist  # two histograms: the run's and the window's
        h_weights, w_weights = hist.weights, w_hist.weights
        h_total, w_total = hist.total, w_hist.total
        append = self.t_samples.append
        for x in latencies:
            i = bin_of(x)
            h_weights[i] += weight
            h_total += weight
            w_weights[i] += weight
            w_total += weight
            append((x, weight))
        hist.total, w_hist.total = h_total, w_total

    def fail(self, n: float, cause: str) -> None:
        if n <= 0:
            return
        self.failed += n
        self.t_failed += n
        self.failures[cause] = self.failures.get(cause, 0.0) + n
        self._kind(n, cause)

    def read_answered(self, n: float) -> None:
        self.reads += n
        self.t_reads += n
        self.w_reads += n

    def stale(self, n: float) -> None:
        """n of the reads answered got an old value from a cache."""
        self.stale_reads += n
        self.t_stale += n
        self.w_stale += n

    def read_lost_value(self, n: float) -> None:
        """n reads answered by a database without the key's last acknowledged write (a
        promotion lost it): stale reads too."""
        self.stale(n)
        self.stale_after_failover += n

    def stale_share(self) -> float:
        """Stale reads as a share of the reads answered so far."""
        return self.stale_reads / self.reads if self.reads > 0 else 0.0

    def lookups(self, hits: float, lookups: float) -> None:
        self.t_hits += hits
        self.t_lookups += lookups

    def trace(self, trace: Trace) -> None:
        self.traces.append(trace)
        if not trace.ok:
            self.failed_traces.append(trace)

    # --- ticks and windows ------------------------------------------------------------
    def end_tick(
        self,
        t: float,
        dt: float,
        users: float,
        cost_per_hour: float,
        db_utilization: float,
        lag_s: float,
        queue_depth: float,
    ) -> TickRow:
        self.cost += cost_per_hour * dt / 3600.0
        done = self.t_served + self.t_failed
        # Users whose requests are being answered, in proportion: the business view of errors.
        users_served = users * self.t_served / done if done > 0 else users
        hit = self.t_hits / self.t_lookups if self.t_lookups > 0 else None
        row = TickRow(
            t=t,
            users=users,
            users_served=users_served,
            offered_rps=(self.t_arrived + self.t_retries) / dt,
            served_rps=self.t_served / dt,
            failed_rps=self.t_failed / dt,
            error_rate=self.t_failed / done if done > 0 else 0.0,
            p95_ms=weighted_quantile(self.t_samples, 0.95) * 1000.0,
            cost_per_hour=cost_per_hour,
            hit_rate=hit,
            db_utilization=db_utilization,
            lag_s=lag_s,
            queue_depth=queue_depth,
            retry_rps=self.t_retries / dt,
            reads=self.t_reads,
            stale_reads=self.t_stale,
        )
        self.recent.append(row)
        self.last_samples = self.t_samples
        self.last_attempts = (self.t_arrived, self.t_retries, self.t_timeouts, self.t_shed)
        self.w_arrived += self.t_arrived
        self.w_served += self.t_served
        self.w_failed += self.t_failed
        self.w_retries += self.t_retries
        self.w_cost += cost_per_hour * dt
        self.w_time += dt
        self.w_users += users * dt
        self.w_users_served += users_served * dt
        self.w_hits += self.t_hits
        self.w_lookups += self.t_lookups
        self.w_db += db_utilization * dt
        self.w_lag = max(self.w_lag, lag_s)
        self.w_depth = max(self.w_depth, queue_depth)
        self._new_tick()
        if t + dt >= self.w_start + self.report_every - 1e-9:
            self.close_window()
        return row

    def close_window(self) -> None:
        if self.w_time <= 0:
            return
        span = self.w_time
        done = self.w_served + self.w_failed
        self.series.append(
            SeriesRow(
                t=self.w_start,
                rps=self.w_arrived / span,
                served_rps=self.w_served / span,
                p95_ms=self.w_hist.quantile(0.95) * 1000.0,
                p99_ms=self.w_hist.quantile(0.99) * 1000.0,
                mean_ms=self.w_hist.mean() * 1000.0 if self.w_hist.total else 0.0,
                error_rate=self.w_failed / done if done > 0 else 0.0,
                cost_per_hour=self.w_cost / span,
                users=self.w_users / span,
                users_served=self.w_users_served / span,
                hit_rate=self.w_hits / self.w_lookups if self.w_lookups > 0 else None,
                db_utilization=self.w_db / span,
                lag_s=self.w_lag,
                queue_depth=self.w_depth,
                requests=self.w_arrived,
                failed=self.w_failed,
                retry_rps=self.w_retries / span,
                stale_read_rate=self.w_stale / self.w_reads if self.w_reads > 0 else None,
            )
        )
        self._new_window(self.w_start + span)

    # --- reading ----------------------------------------------------------------------
    def revenue_lost(self) -> float:
        return self.failed * self.revenue_per_request

    def window_p95_ms(self) -> float:
        return self.w_hist.quantile(0.95) * 1000.0

    def latency_summary(self) -> LatencySummary:
        h = self.hist
        return LatencySummary(
            mean_ms=h.mean() * 1000.0 if h.total else 0.0,
            p50_ms=h.quantile(0.50) * 1000.0,
            p95_ms=h.quantile(0.95) * 1000.0,
            p99_ms=h.quantile(0.99) * 1000.0,
        )

    def totals(self) -> Totals:
        requests, (served, failed, pending) = round_parts(self.arrived, [self.served, self.failed, self.in_flight])
        finished = served + failed
        causes = sorted(self.failures.items(), key=lambda kv: (-kv[1], kv[0]))
        return Totals(
            requests=requests,
            served=served,
            failed=failed,
            in_flight=pending,
            availability=100.0 * served / finished if finished else 100.0,
            latency=self.latency_summary(),
            cost=self.cost,
            lost_writes=int(round(self.lost_writes)),
            revenue=served * self.revenue_per_request,
            revenue_lost=failed * self.revenue_per_request,
            sessions_lost=int(round(self.sessions_lost)),
            jobs_enqueued=int(round(self.jobs_enqueued)),
            jobs_done=int(round(self.jobs_done)),
            failures_by_cause=tuple((k, int(round(v))) for k, v in causes if round(v) > 0),
            retries=int(round(self.retries)),
            wasted=int(round(self.wasted)),
            retried_by_cause=tuple((k, int(round(v))) for k, v in
                                   sorted(self.retry_causes.items(), key=lambda kv: (-kv[1], kv[0])) if round(v) > 0),
            reads=int(round(self.reads)),
            stale_reads=int(round(self.stale_reads)),
            stale_after_failover=int(round(self.stale_after_failover)),
        )
