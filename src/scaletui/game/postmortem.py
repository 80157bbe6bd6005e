"""The postmortem: a timeline of what went wrong, what the player did, and the recovery.

An incident starts when the service visibly degrades (errors above what the
availability objective allows, p95 above the latency target, or, where a level sets the
objective, more stale reads than it allows, for a few seconds)
and ends when it has been healthy for a while. For each incident the postmortem names
the trigger (the scenario event just before it), the first symptom, the component
that saturated or failed first, the player's actions during it, and the recovery.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from statistics import median

from scaletui.sim.eventlog import Event
from scaletui.sim.snapshot import TickRow
from scaletui.sim.summation import plain_sum

TRIGGERS = ("surge", "fail", "slow", "hot_key", "outage", "errors")
# What clients do in an overload (sim.overload_watch): named as causes, not as triggers.
CLIENT_CAUSES = ("timeouts", "retry_storm", "shedding")
ONSET_S = 3.0
RECOVERY_S = 30.0
LOOKBACK_S = 900.0  # a trigger this long before a symptom may have caused it
# A tick's p95 comes from a few dozen sampled requests: latency is judged on the median
# of the last ticks' p95, so that sampling noise alone does not open an incident.
LATENCY_WINDOW_S = 10.0


@dataclass
class Incident:
    start: float
    symptom: str
    end: float | None = None
    recovery: str = ""
    trigger: Event | None = None
    errors_from: float | None = None  # when errors began, in an incident that began slow
    first_component: Event | None = None
    first_saturated: Event | None = None
    # What users' clients did that fed it: timeouts, a retry storm, load shed.
    client_causes: list[Event] = field(default_factory=list)
    actions: list[Event] = field(default_factory=list)
    peak_error_rate: float = 0.0
    peak_p95_ms: float = 0.0

    def to_json(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "trigger": self.trigger.message if self.trigger else None,
            "trigger_at": self.trigger.t if self.trigger else None,
            # The component a scripted event slowed or broke, if it named one.
            "trigger_component": self.trigger.component if self.trigger else None,
            "first_symptom": self.symptom,
            "first_component": self.first_component.component if self.first_component else None,
            "first_component_event": self.first_component.message if self.first_component else None,
            "first_saturated": self.first_saturated.component if self.first_saturated else None,
            "client_causes": [e.message for e in self.client_causes],
            "actions": [a.message for a in self.actions],
            "recovery": self.recovery or None,
            "peak_error_rate": round(self.peak_error_rate, 6),
            "peak_p95_ms": round(self.peak_p95_ms, 3),
        }


class PostmortemRecorder:
    def __init__(self, allowed_error_rate: float, p95_target_ms: float | None,
                 stale_target_pct: float | None = None) -> None:
        self.error_threshold = max(allowed_error_rate, 1e-4)
        self.p95_target = p95_target_ms
        self.stale_target = stale_target_pct
        # (reads, stale reads) of the last ticks: stale reads are judged over the same
        # window as latency, so that a tick with few reads does not open an incident.
        self._recent_reads: deque[tuple[float, float]] = deque()
        self.incidents: list[Incident] = []
        self._bad_for = 0.0
        self._good_for = 0.0
        self._open: Incident | None = None
        self._pending_symptom = ""
        self._recent_p95: deque[float] = deque()
        self._errors_for = 0.0

    def observe(self, row: TickRow, dt: float) -> None:
        bad_errors = row.error_rate > self.error_threshold
        recent = self._recent_p95
        if row.served_rps > 0:
            recent.append(row.p95_ms)
            while len(recent) > max(1, round(LATENCY_WINDOW_S / dt)):
                recent.popleft()
        bad_latency = (self.p95_target is not None and row.served_rps > 0
                       and median(recent) > self.p95_target)
        stale_pct = self._stale_pct(row, dt)
        bad_stale = self.stale_target is not None and stale_pct > self.stale_target
        self._errors_for = self._errors_for + dt if bad_errors else 0.0
        bad = bad_errors or bad_latency or bad_stale
        inc = self._open
        if bad:
            self._good_for = 0.0
            if inc is None:
                if self._bad_for == 0.0:
                    if bad_errors:
                        self._pending_symptom = (f"error rate reached {row.error_rate:.2%} "
                                                 f"(the objective allows {self.error_threshold:.2%})")
                    elif bad_stale and not bad_latency:
                        self._pending_symptom = (f"stale reads reached {stale_pct:.2f}% of reads "
                                                 f"(the objective allows {self.stale_target:g}%)")
                    else:
                        # The figure that crossed: the median of the recent ticks' p95 (one
                        # tick's own p95 may be under the target while it is over).
                        self._pending_symptom = (f"p95 latency reached {_ms(median(recent), self.p95_target)} "
                                                 f"(target {self.p95_target:g} ms)")
                    self._onset = row.t
                    self._onset_err = 0.0
                    self._onset_p95 = 0.0
                self._onset_err = max(self._onset_err, row.error_rate)
                self._onset_p95 = max(self._onset_p95, row.p95_ms)
                self._bad_for += dt
                if self._bad_for >= ONSET_S:
                    self._open = inc = Incident(self._onset, self._pending_symptom)
                    inc.peak_error_rate = self._onset_err
                    inc.peak_p95_ms = self._onset_p95
                    self.incidents.append(inc)
            if inc is not None:
                if inc.errors_from is None and self._errors_for >= ONSET_S and not inc.symptom.startswith("error"):
                    # Errors inside an incident that began slow: what set them off is what
                    # the postmortem must name.
                    inc.errors_from = row.t - self._errors_for + dt
                inc.peak_error_rate = max(inc.peak_error_rate, row.error_rate)
                inc.peak_p95_ms = max(inc.peak_p95_ms, row.p95_ms)
        else:
            self._bad_for = 0.0
            if inc is not None:
                self._good_for += dt
                if self._good_for >= RECOVERY_S:
                    inc.end = row.t - self._good_for + dt
                    # With every request failing nothing was answered: no latency to tell.
                    p95 = f", peak p95 {inc.peak_p95_ms:,.0f} ms" if inc.peak_p95_ms > 0 else ""
                    inc.recovery = (f"healthy again after {_span(inc.end - inc.start)} "
                                    f"(peak error rate {inc.peak_error_rate:.2%}{p95})")
                    self._open = None
                    self._good_for = 0.0

    def _stale_pct(self, row: TickRow, dt: float) -> float:
        """Stale reads in percent of the reads of the last LATENCY_WINDOW_S."""
        recent = self._recent_reads
        recent.append((row.reads, row.stale_reads))
        while len(recent) > max(1, round(LATENCY_WINDOW_S / dt)):
            recent.popleft()
        reads = plain_sum(r for r, _ in recent)
        return 100.0 * plain_sum(s for _, s in recent) / reads if reads > 0 else 0.0

    def build(self, events: list[Event], end: float, outcome: str, reason: str,
              lost_writes: int = 0, stale_after_failover: int = 0) -> dict:
        triggers = [e for e in events if e.kind in TRIGGERS]
        # "held": a tier holding a thread-per-request web tier's threads, logged just
        # before the web tier saturates: the first domino of a cascade.
        culprits = [e for e in events if e.kind in ("held", "saturated", "fail", "outage")]
        actions = [e for e in events if e.kind in ("action", "autoscale", "promote", "failover")]
        client = [e for e in events if e.kind in CLIENT_CAUSES and e.severity != "info"]
        prev_end = 0.0
        for inc in self.incidents:
            anchor = inc.errors_from if inc.errors_from is not None else inc.start
            before = [e for e in triggers if prev_end - 1e-9 <= e.t <= anchor + 1e-9
                      and anchor - e.t <= LOOKBACK_S]
            inc.trigger = before[-1] if before else None
            lo = inc.trigger.t if inc.trigger else inc.start - 60.0
            hi = anchor + 120.0
            first = [e for e in culprits if lo - 1e-9 <= e.t <= hi]
            inc.first_component = first[0] if first else None
            sat = [e for e in culprits if e.kind == "saturated" and lo - 1e-9 <= e.t <= hi]
            inc.first_saturated = sat[0] if sat else None
            stop = inc.end if inc.end is not None else end
            inc.actions = [e for e in actions if (inc.trigger.t if inc.trigger else inc.start) <= e.t <= stop]
            inc.client_causes = [e for e in client if lo - 1e-9 <= e.t <= stop]
            prev_end = inc.end if inc.end is not None else end
        timeline: list[dict] = []

        def add(t: float, kind: str, text: str) -> None:
            timeline.append({"t": round(t, 3), "kind": kind, "message": text})

        for e in triggers:
            add(e.t, "trigger", e.message)
        for inc in self.incidents:
            add(inc.start, "symptom", inc.symptom)
            if inc.first_component is not None:
                fc = inc.first_component
                add(fc.t, "first failure", fc.message)
            fs = inc.first_saturated
            if fs is not None and fs is not inc.first_component:
                add(fs.t, "first saturated", fs.message)
            for c in inc.client_causes:
                add(c.t, "cause", c.message)
            if inc.end is not None:
                add(inc.end, "recovery", inc.recovery)
        for e in events:
            if e.kind in ("action", "refused", "autoscale", "promote", "failover"):
                add(e.t, "action" if e.kind != "refused" else "refused", e.message)
            elif e.kind == "alert":
                add(e.t, "alert", e.message)
            elif e.kind == "breaker":
                # The web tier's breaker opening or closing: why requests failed fast then.
                add(e.t, "breaker", e.message)
        if lost_writes or stale_after_failover:
            # What a failover across the replication lag cost the data, over the whole run.
            add(end, "data", f"{lost_writes:,} acknowledged writes lost by failover; "
                             f"{stale_after_failover:,} reads then got the older values of their keys")
        add(end, "outcome", f"{outcome}: {reason}" if reason else outcome)
        # At one instant: the player's action before what it caused, the cause before the symptom.
        order = {"action": 0, "refused": 0, "trigger": 1, "first failure": 2, "first saturated": 2, "cause": 2,
                 "symptom": 3, "breaker": 4, "alert": 4, "recovery": 5, "data": 6, "outcome": 7}
        timeline.sort(key=lambda x: (x["t"], order.get(x["kind"], 9)))
        return {"incidents": [i.to_json() for i in self.incidents], "timeline": timeline,
                "data": {"lost_writes": lost_writes, "stale_after_failover": stale_after_failover}}


def _ms(x: float, target: float | None) -> str:
    """Enough digits that a value just over the target does not read as equal to it."""
    digits = 0
    while target is not None and digits < 3 and round(x, digits) == round(target, digits):
        digits += 1  # 45.04 against 45 reads "45.04", not "45.0"
    return f"{x:,.{digits}f} ms"


def _span(seconds: float) -> str:
    s = int(round(seconds))
    if s < 90:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 90:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"
