"""A game: a scenario played on the engine under its rules, objectives and budget.

The UI and headless runs drive the same object: `step(until)` advances time, `act(cmd)`
applies a player action (refused with a reason when it breaks the rules), `view()`
gives an immutable picture of the game, and `result()` the outcome at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scaletui.game.burn_rate import BurnRateAlerts
from scaletui.game.business import BusinessMetrics
from scaletui.game.estimates import Estimates, Scored
from scaletui.game.lesson import CacheSetting, Lesson, build_lesson
from scaletui.game.objectives import ObjectiveResult, ReturningUsersObjective, StaleReadsObjective, make_objectives
from scaletui.game.postmortem import PostmortemRecorder
from scaletui.game.rules import Rules
from scaletui.game.scoring import ScoreCard, score_run
from scaletui.scenario.load import Scenario
from scaletui.sim.commands import Add, Command, CommandResult, Configure, Remove, describe, kind_name, refuse
from scaletui.sim.engine import Engine
from scaletui.sim.eventlog import CRITICAL, WARNING, Event
from scaletui.sim.snapshot import Snapshot, TickRow
from scaletui.sim.traffic import forecast_requests

PLAYING = "playing"
WON = "won"
LOST = "lost"


OK = "ok"  # meeting the objective now
AT_RISK = "at risk"  # below target now, but it can still be met
FAILED = "failed"  # can no longer be met
WAITING = "waiting"  # nothing measured yet
AT_RISK_BUDGET_LEFT = 0.25  # below this share of the error budget, availability is at risk
# Not undone by removal: new shards are moving keys, a new primary is restoring the data.
NOT_UNDOABLE = ("shard", "database")


@dataclass(frozen=True)
class ObjectiveView:
    name: str
    label: str
    current: str
    status: str  # ok, at risk, failed

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class GameView:
    """What the objectives panel shows."""

    t: float
    duration: float
    outcome: str
    budget_left: float  # share of the error budget not yet spent (0..1)
    failures_allowed: float
    failures: float
    availability: float
    p95_ms: float | None
    p95_target_ms: float | None
    latency_attainment: float | None
    cost_per_hour: float
    budget_per_hour: float | None
    cost: float
    lost_writes: int
    revenue_lost: float  # what the failed requests would have earned
    alerts: tuple[str, ...]
    objectives: tuple[ObjectiveView, ...]


@dataclass(frozen=True)
class GameResult:
    outcome: str
    reason: str
    card: ScoreCard
    objectives: tuple[ObjectiveResult, ...]
    postmortem: dict
    ended_at: float


class Game:
    def __init__(self, scenario: Scenario, seed: int | None = None, model: str = "flow") -> None:
        self.scenario = scenario
        spec = scenario.spec
        cfg = scenario.config
        self.engine = Engine(cfg, seed=seed, model=model)
        self.rules = Rules.of(spec)
        expected = forecast_requests(cfg.traffic, self.engine.script, cfg.duration)  # as drawn
        self.budget, self.latency, self.lost_writes = make_objectives(spec.slo, expected)
        self.stale_reads = StaleReadsObjective(spec.slo.stale_reads) if spec.slo.stale_reads is not None else None
        self.business = BusinessMetrics(cfg.traffic)
        self.returning = (ReturningUsersObjective(spec.slo.returning_users)
                          if spec.slo.returning_users is not None else None)
        self.alerts = BurnRateAlerts(spec.slo.availability)
        self.postmortem = PostmortemRecorder(1.0 - spec.slo.availability / 100.0, spec.slo.latency_p95_ms,
                                             spec.slo.stale_reads)
        self.applied: list[tuple[float, Command]] = []
        self.estimates = Estimates(list(spec.estimates), self.engine.catalog)
        self._added: list[tuple[str, ...]] = []  # the ids each addition made, for undo
        self.undos: set[int] = set()  # indexes in `applied` of removals that undid an addition
        self.peak_cost_per_hour = 0.0
        self.overspend = 0.0
        self.lost_reason = ""
        self._latency_warned = False
        self._components_cost_at_last_tick = 0.0
        self._result: GameResult | None = None
        # The autoscaler spends under the same budget rule as the player's actions.
        self.engine.autoscaler.may_spend = lambda extra: self.rules.over_budget(
            self.engine.topology, extra, self.transfer_cost_per_hour())
        self.engine.tick_hooks.append(self._on_tick)
        self._total_windows = (
            max(1, int(math.ceil(cfg.duration / spec.slo.latency_window))) if self.latency else 0
        )

    # --- time and actions -----------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.engine.seed

    @property
    def now(self) -> float:
        return self.engine.now

    @property
    def finished(self) -> bool:
        return self.engine.finished

    @property
    def outcome(self) -> str:
        if self.lost_reason:
            return LOST
        if not self.engine.finished:
            return PLAYING
        return self.result().outcome

    def step(self, until: float) -> list[Event]:
        return self.engine.step(until)

    def finish(self) -> GameResult:
        self.engine.run()
        return self.result()

    def act(self, cmd: Command) -> CommandResult:
        e = self.engine
        if e.finished:
            return refuse("the game is over")
        reason = self.rules.check(e.topology, e.catalog, cmd, self.transfer_cost_per_hour())
        mark = len(e.events)
        # A removal before the component served cancels its order, refunded (the sim's rule):
        # it is an undo, whether z or x asked for it, and the log and a recorded plan say so.
        target = e.topology.get(cmd.target) if isinstance(cmd, Remove) else None
        undoing = target is not None and not target.in_service
        if reason is not None:
            res = refuse(reason)
        else:
            res = e.apply(cmd)
        if res.ok:
            if undoing:
                self.undos.add(len(self.applied))
            self.applied.append((e.now, cmd))
            if isinstance(cmd, Add) and cmd.kind not in NOT_UNDOABLE:
                self._added.append(res.ids)
            said = f"undo {kind_name(target.kind)} {target.id}" if undoing and target else describe(cmd)
            text = said if isinstance(cmd, Configure) else f"{said}: {res.message}"
            # The action first, then whatever it set off (a promotion, a reshard...).
            e.events.insert(mark, e.now, "action", text)
        else:
            e.log("refused", f"{describe(cmd)} refused: {res.message}", severity=WARNING)
        return res

    def answer_estimate(self, value: float | None) -> Scored:
        """Answer (None: skip) the estimate that is due now; logged with its explanation."""
        scored = self.estimates.answer(value)
        e = self.engine
        said = "skipped" if value is None else f"you said {value:g}"
        e.log("estimate", f"estimate: {scored.ask} {said}; expected {scored.expected.value:g} "
                          f"{scored.expected.unit}: {scored.verdict()}. {scored.expected.explanation}")
        return scored

    def undoable(self) -> tuple[str, ...]:
        """The components of the last addition, if every one is still provisioning."""
        e = self.engine
        while self._added:
            ids = self._added[-1]
            comps = [e.topology.get(cid) for cid in ids]
            if all(c is not None and not c.in_service for c in comps):
                return ids
            self._added.pop()  # served (or removed) since: no longer undoable
        return ()

    def undo(self) -> CommandResult:
        """Undo the last addition while it still boots: remove what it added, refunded."""
        ids = self.undoable()
        if not ids:
            return refuse("nothing to undo: only an addition that is still booting can be undone")
        self._added.pop()
        refunds = [self.act(Remove(cid)) for cid in ids]
        failed = [r.message for r in refunds if not r.ok]
        if failed:
            return refuse("; ".join(failed))
        return CommandResult(True, f"undone: {', '.join(ids)} removed before serving, cost refunded", ids)

    # --- every tick --------------------------------------------------------------------------
    def _on_tick(self, e: Engine, row: TickRow) -> None:
        m = e.metrics
        dt = e.dt
        self.budget.update(m.arrived - m.in_flight, m.failed)
        self._components_cost_at_last_tick = e.cost_per_hour()
        cap = self.scenario.spec.budget_per_hour
        self.peak_cost_per_hour = max(self.peak_cost_per_hour, row.cost_per_hour)
        if cap is not None and row.cost_per_hour > cap:
            self.overspend += (row.cost_per_hour - cap) * dt / 3600.0
        if self.lost_writes is not None:
            self.lost_writes.lost = int(round(m.lost_writes))
        if self.stale_reads is not None:
            self.stale_reads.update(m.reads, m.stale_reads)
        if self.latency is not None:
            self.latency.add(row.t, dt, m.last_samples, row.failed_rps * dt)
            if not self._latency_warned and not self.latency.still_possible(self._total_windows):
                self._latency_warned = True
                e.log("alert", f"the latency objective can no longer be met: p95 was over "
                               f"{self.latency.p95_ms:g} ms in too many windows", severity=CRITICAL)
        done = row.served_rps * dt + row.failed_rps * dt
        for rule, started, burn in self.alerts.update(row.t, dt, done, row.failed_rps * dt):
            if started:
                left = self.budget.allowed - self.budget.failed
                rate = self.alerts.failure_rate(rule)  # failures/s over the alert's short window
                eta = left / rate if rate > 0 else math.inf
                when = f"; at this rate it is gone in {_fmt_s(eta)}" if math.isfinite(eta) and eta > 0 else ""
                e.log("alert", f"{rule.name}: errors spend the error budget {burn:.0f}x as fast as would last the run "
                               f"({self.budget.remaining:.0%} left{when})",
                      severity=CRITICAL if rule.severity == "critical" else WARNING)
            else:
                e.log("alert", f"{rule.name} resolved ({self.budget.remaining:.0%} of the error budget left)")
        self.postmortem.observe(row, dt)
        self.business.observe(row, dt)
        if self.returning is not None:
            biz = self.business.figures()
            self.returning.update(biz.active_users, biz.returning_share)
        if self.budget.exhausted and not self.lost_reason:
            self.lost_reason = (f"the error budget is spent: {self.budget.failed:,.0f} requests failed, "
                                f"{self.budget.allowed:,.0f} were allowed")
            e.log("outcome", f"game over: {self.lost_reason}", severity=CRITICAL)
            e.halt(self.lost_reason)

    # --- reading ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return self.engine.snapshot()

    def former_primaries(self) -> frozenset[str]:
        """Dead primaries replaced by a promotion: they rejoin as replicas once back."""
        return frozenset(c.id for c in self.engine.topology.db_nodes() if getattr(c, "demoted", False))

    def transfer_cost_per_hour(self) -> float:
        """What the CDN's transfer cost an hour over the last tick: it grows with traffic, so
        the budget rule and the cost preview add it to what the components cost."""
        recent = self.engine.metrics.recent
        return max(0.0, recent[-1].cost_per_hour - self._components_cost_at_last_tick) if recent else 0.0

    def view(self) -> GameView:
        e = self.engine
        spec = self.scenario.spec
        recent = e.metrics.recent
        last = recent[-1] if recent else None
        b = self.budget
        if b.exhausted:
            status = FAILED
        elif b.remaining < AT_RISK_BUDGET_LEFT or any(self.alerts.firing.values()):
            # The objective is the budget: early failures make the ratio look dire while
            # most of the budget is left; it is at risk when the budget burns or runs low.
            status = AT_RISK
        else:
            status = OK
        objectives = [
            ObjectiveView("availability", f"availability >= {b.availability:g}%",
                          f"{b.achieved():.3f}%", status)
        ]
        p95 = None
        attain = None
        if self.latency is not None:
            lat = self.latency
            attain = lat.attainment()
            p95 = lat.current_p95_ms() if lat.hist.total > 0 or lat.last_p95_ms is not None else None
            if not lat.still_possible(self._total_windows):
                status = FAILED
            elif p95 is None:
                status = WAITING
            elif lat.serving_now() and p95 is not None and p95 <= lat.p95_ms:
                status = OK
            else:
                status = AT_RISK
            # The figure is of the SLO's window so far, and says so (the metrics show 1 s).
            this = "this min" if lat.window == 60 else f"this {lat.window:g}s"
            if p95 is None:
                now = "no data yet"
            elif not lat.serving_now():
                now = "nothing served now"
            else:
                now = f"{this} {p95 / 1000:.1f} s" if p95 >= 1000 else f"{this} {p95:.0f} ms"
            objectives.append(ObjectiveView(
                "latency_p95", f"p95 <= {lat.p95_ms:g} ms",
                f"{now}, {lat.good}/{lat.windows} ok" + (f", {lat.silent} unanswered" if lat.silent else ""),
                status,
            ))
        if self.lost_writes is not None:
            lw = self.lost_writes
            objectives.append(ObjectiveView(
                "lost_writes", f"lost writes <= {lw.allowed:,}", f"{lw.lost:,} lost",
                OK if lw.lost <= lw.allowed else FAILED,
            ))
        if self.stale_reads is not None:
            sr = self.stale_reads
            # A share of all the run's reads: above the target now, it can still come down.
            objectives.append(ObjectiveView(
                "stale_reads", f"stale reads <= {sr.allowed_pct:g}%",
                f"{sr.achieved():.2f}% of {sr.reads:,.0f} reads",
                WAITING if sr.reads <= 0 else (OK if sr.met else AT_RISK),
            ))
        if self.returning is not None:
            ru = self.returning
            # Judged on the whole run: below the target now, it can still come back up.
            objectives.append(ObjectiveView(
                "returning_users", f"returning users >= {ru.least_pct:g}%",
                f"{ru.share_pct:.1f}% of {ru.active:,.0f} active",
                WAITING if ru.active <= 0 else (OK if ru.met else AT_RISK),
            ))
        firing = tuple(name for name, on in self.alerts.firing.items() if on)
        return GameView(
            t=e.now,
            duration=e.duration,
            outcome=self.outcome,
            budget_left=self.budget.remaining,
            failures_allowed=self.budget.allowed,
            failures=self.budget.failed,
            availability=self.budget.achieved(),
            p95_ms=p95,
            p95_target_ms=self.latency.p95_ms if self.latency else None,
            latency_attainment=attain,
            # What is running now (an action shows at once, even paused), plus CDN transfer.
            cost_per_hour=e.cost_per_hour() + self.transfer_cost_per_hour(),
            budget_per_hour=spec.budget_per_hour,
            cost=e.metrics.cost,
            lost_writes=int(round(e.metrics.lost_writes)),
            revenue_lost=e.metrics.revenue_lost(),
            alerts=firing,
            objectives=tuple(objectives),
        )

    def result(self) -> GameResult:
        """The outcome; final once the engine has finished."""
        if self._result is not None:
            return self._result
        e = self.engine
        if self.latency is not None and e.finished:
            self.latency.close()
        objectives = [self.budget.result()]
        if self.latency is not None:
            objectives.append(self.latency.result())
        if self.lost_writes is not None:
            self.lost_writes.lost = int(round(e.metrics.lost_writes))
            objectives.append(self.lost_writes.result())
        if self.stale_reads is not None:
            self.stale_reads.update(e.metrics.reads, e.metrics.stale_reads)
            objectives.append(self.stale_reads.result())
        if self.returning is not None:
            biz = self.business.figures()
            self.returning.update(biz.active_users, biz.returning_share)
            objectives.append(self.returning.result())
        failed = [o for o in objectives if not o.met]
        if self.lost_reason:
            outcome, reason = LOST, self.lost_reason
        elif failed:
            outcome = LOST
            # An achieved text may hold its own brackets: not wrapped in another pair.
            reason = "objective missed: " + " and ".join(f"{o.name} {o.achieved}" for o in failed)
        else:
            outcome, reason = WON, "every objective met"
        spec = self.scenario.spec
        card = score_run(
            won=outcome == WON,
            budget_left=self.budget.remaining,
            latency_share=self.latency.attainment() / 100.0 if self.latency else None,
            cost=e.metrics.cost,
            par_cost=spec.par_cost,
            budget_per_hour=spec.budget_per_hour,
            hours=e.duration / 3600.0,
            peak_cost_per_hour=self.peak_cost_per_hour,
            overspend=self.overspend,
            penalise=spec.budget_mode == "penalty",
            lasted=e.now / e.duration if e.duration else 1.0,
        )
        if outcome == WON and e.finished and not any(ev.kind == "outcome" for ev in e.events.events):
            e.events.add(e.now, "outcome", f"you won: {card.stars} star{'s' if card.stars != 1 else ''}, "
                                           f"score {card.score}")
        elif outcome == LOST and e.finished and not self.lost_reason:
            e.events.add(e.now, "outcome", f"game over: {reason}", severity=CRITICAL)
        totals = e.metrics.totals()
        pm = self.postmortem.build(e.events.events, e.now, outcome, reason,
                                   totals.lost_writes, totals.stale_after_failover)
        result = GameResult(outcome, reason, card, tuple(objectives), pm, e.now)
        if e.finished:
            self._result = result
        return result

    def lesson(self) -> Lesson:
        """Your concepts against the reference plan's, the stars missed and why, the fix on a loss."""
        res = self.result()
        views = self.snapshot().components
        kinds = {c.id: c.kind for c in views}
        caches = [CacheSetting(c.id, c.on_write or "none", c.ttl_s if c.ttl_s is not None else math.inf)
                  for c in views if c.kind == "cache"]
        held = any(c.held is not None for c in views)  # thread-per-request web servers
        return build_lesson(self.scenario, self.applied, res.card, res.reason, self.engine.metrics.cost,
                            self.peak_cost_per_hour, res.postmortem.get("incidents", []), kinds,
                            tuple(o.name for o in res.objectives if not o.met), caches, held,
                            {c.id: math.inf if c.first_up_at is None else c.first_up_at
                             for c in self.engine.topology})

    def report(self) -> dict[str, Any]:
        """The JSON report: the engine's, plus outcome, stars, score, slo and postmortem."""
        from scaletui.game.report import game_report

        return game_report(self)


def _fmt_s(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
