"""Two runs side by side: their objectives, totals, curves and actions, from their reports.

A run is its JSON report (`scaletui run ... --json`, or `Game.report()`), so a saved run and
one just played compare the same way, headless or on the end screen. The curves of both
runs share one scale, so the taller line is the larger figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from scaletui.game.objectives import silent_text
from scaletui.game.sparkline import buckets, sparkline

Report = dict[str, Any]
Better = Literal["a", "b"] | None

# The report's figures a comparison needs; anything else in it is optional.
REQUIRED = ("scenario", "outcome", "totals", "series", "slo")


def missing_fields(report: object) -> list[str]:
    """What a JSON value lacks to be a run's report (empty: it is one)."""
    if not isinstance(report, dict):
        return list(REQUIRED)
    return [k for k in REQUIRED if k not in report]


@dataclass(frozen=True)
class Row:
    """One figure of both runs, formatted, and which run did better (None: equal or not comparable)."""

    name: str
    a: str
    b: str
    better: Better = None


@dataclass(frozen=True)
class Curve:
    """One metric over time for both runs, on a shared scale from zero to `top`."""

    name: str
    unit: str
    a: list[float]
    b: list[float]
    top: float  # the larger run's peak, or the target if higher
    target: float | None = None  # the objective's or budget's line, where one exists

    def line(self, values: list[float], n: int, width: int) -> tuple[str, list[int]]:
        """One run's sparkline on a time axis of n points drawn in `width` cells (a run that
        ended sooner stops sooner), and the cells drawn from values over the target."""
        cells = min(width, n)  # one cell per point at most: never stretched, never right-aligned
        own = max(1, round(cells * len(values) / n)) if values else 0
        over = [i for i, o in enumerate(self.over_target(values, own)) if o]
        return sparkline(values, own, self.top).ljust(width), over

    def over_target(self, values: list[float], width: int) -> list[bool]:
        """Per sparkline cell (as `sparkline` buckets them): drawn from values over the target."""
        if self.target is None or not values:
            return [False] * min(len(values), width)
        return [max(values[lo:hi]) > self.target for lo, hi in buckets(len(values), width)]


@dataclass(frozen=True)
class Step:
    """An action of one run, at its time."""

    t: float
    run: Literal["a", "b"]
    text: str


@dataclass(frozen=True)
class Comparison:
    labels: tuple[str, str]
    same_scenario: bool
    heading: list[Row]
    objectives: list[Row]
    totals: list[Row]
    curves: list[Curve]
    steps: list[Step]


def _better(x: float, y: float, higher_is_better: bool) -> Better:
    if abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y)):
        return None
    return "a" if (x > y) == higher_is_better else "b"


def _figure(a: Report, b: Report, name: str, get, fmt, higher_is_better: bool) -> Row:
    x, y = get(a), get(b)
    better = _better(x, y, higher_is_better) if x is not None and y is not None else None
    return Row(name, "—" if x is None else fmt(x), "—" if y is None else fmt(y), better)


def _outcome(r: Report) -> str:
    ended, duration = r.get("ended_at_s"), r.get("duration_s")
    if r.get("outcome") != "lost" and isinstance(ended, (int, float)) and isinstance(duration, (int, float)) \
            and ended < duration:
        m, s = divmod(int(round(ended)), 60)
        return f"unfinished: played to {m}:{s:02d}"
    out = str(r.get("outcome", "?"))
    if "stars" in r:
        out += " " + "★" * int(r["stars"]) + "☆" * (3 - int(r["stars"]))
    if "score" in r:
        out += f"  score {r['score']}"
    return out


def _objective_text(o: dict[str, Any]) -> str:
    mark = "✔" if o.get("met") else "✘"
    achieved = o.get("achieved")
    if o.get("objective") == "availability" and isinstance(achieved, (int, float)):
        return f"{mark} {achieved:.3f}%"
    if o.get("objective") == "latency_p95" and isinstance(achieved, (int, float)):
        silent = o.get("silent_windows")
        # Windows that answered nothing are misses with no p95: said, or they hide in the share.
        return f"{mark} {achieved:.1f}% of windows" + (f"; {silent_text(silent)}" if isinstance(silent, int) and silent
                                                        else "")
    if o.get("objective") == "stale_reads" and isinstance(achieved, (int, float)):
        return f"{mark} {achieved:.3f}%"  # percent of reads, as the objectives panel says it
    if isinstance(achieved, (int, float)):
        return f"{mark} {achieved:g}"
    return mark


def _objective_label(name: str, target: object) -> str:
    """What an objective asks, with its unit: "availability >= 99.5%", "p95 <= 250 ms"."""
    if not isinstance(target, (int, float)):
        return name
    if name == "availability":
        return f"availability >= {target:g}%"
    if name == "latency_p95":
        return f"p95 <= {target:g} ms"
    if name == "stale_reads":
        return f"stale reads <= {target:g}%"
    return f"{name.replace('_', ' ')} (target {target:g})"


def _objectives(a: Report, b: Report) -> list[Row]:
    by_a = {o.get("objective"): o for o in a.get("slo", [])}
    by_b = {o.get("objective"): o for o in b.get("slo", [])}
    rows = []
    for name in list(by_a) + [n for n in by_b if n not in by_a]:
        oa, ob = by_a.get(name), by_b.get(name)
        target = (oa or ob or {}).get("target")
        label = _objective_label(str(name), target)
        better: Better = None
        if oa is not None and ob is not None and bool(oa.get("met")) != bool(ob.get("met")):
            better = "a" if oa.get("met") else "b"
        rows.append(Row(label, "—" if oa is None else _objective_text(oa), "—" if ob is None else _objective_text(ob), better))
    return rows


def _totals(a: Report, b: Report) -> list[Row]:
    def t(key: str):
        return lambda r: r["totals"].get(key)

    def lat(q: str):
        return lambda r: (r["totals"].get("latency_ms") or {}).get(q)

    def budget(key: str):
        return lambda r: (r.get("budget") or {}).get(key)

    count = "{:,.0f}".format
    rows = [
        _figure(a, b, "requests", t("requests"), count, True),
        _figure(a, b, "failed", t("failed"), count, False),
        _figure(a, b, "availability", t("availability"), "{:.3f}%".format, True),
        _figure(a, b, "latency p95", lat("p95"), "{:.0f} ms".format, False),
        _figure(a, b, "latency p99", lat("p99"), "{:.0f} ms".format, False),
        _figure(a, b, "cost", t("cost"), "{:,.2f}".format, False),
        _figure(a, b, "peak cost per hour", budget("peak_cost_per_hour"), "{:,.1f}".format, False),
        _figure(a, b, "lost writes", t("lost_writes"), count, False),
        _figure(a, b, "revenue lost", t("revenue_lost"), "{:,.2f}".format, False),
    ]
    return [r for r in rows if (r.a, r.b) != ("—", "—")]


# (series key, name, unit, scale to the unit shown)
CURVES = (
    ("rps", "requests/s", "", 1.0),
    ("error_rate", "errors", "%", 100.0),
    ("p95_ms", "p95", " ms", 1.0),
    ("cost_per_hour", "cost/h", "", 1.0),
)


def _values(r: Report, key: str, scale: float) -> list[float]:
    out = []
    for row in r.get("series", []):
        v = row.get(key)
        out.append(float(v) * scale if isinstance(v, (int, float)) else 0.0)
    return out


def _target(r: Report, key: str) -> float | None:
    if key == "p95_ms":
        for o in r.get("slo", []):
            if o.get("objective") == "latency_p95" and isinstance(o.get("target"), (int, float)):
                return float(o["target"])
    if key == "cost_per_hour":
        per_hour = (r.get("budget") or {}).get("per_hour")
        return float(per_hour) if isinstance(per_hour, (int, float)) else None
    if key == "error_rate":
        for o in r.get("slo", []):
            if o.get("objective") == "availability" and isinstance(o.get("target"), (int, float)):
                return 100.0 - float(o["target"])
    return None


def _curves(a: Report, b: Report) -> list[Curve]:
    curves = []
    for key, name, unit, scale in CURVES:
        va, vb = _values(a, key, scale), _values(b, key, scale)
        target = _target(a, key) if _target(a, key) is not None else _target(b, key)
        top = max(va + vb + [0.0] + ([target] if target is not None else []))  # the target fits on it
        curves.append(Curve(name, unit, va, vb, top, target))
    return curves


def _steps(a: Report, b: Report) -> list[Step]:
    steps = [Step(float(x.get("t", 0.0)), "a", str(x.get("action", ""))) for x in a.get("actions", [])]
    steps += [Step(float(x.get("t", 0.0)), "b", str(x.get("action", ""))) for x in b.get("actions", [])]
    return sorted(steps, key=lambda s: (s.t, s.run))


def compare(a: Report, b: Report, labels: tuple[str, str] = ("A", "B")) -> Comparison:
    def seed(r: Report) -> str:
        return f"{r.get('scenario', '?')} (seed {r.get('seed', '?')}, {r.get('model', 'flow')})"

    heading = [
        Row("scenario", seed(a), seed(b)),
        Row("outcome", _outcome(a), _outcome(b),
            _better(float(a.get("score", 0)), float(b.get("score", 0)), True)
            if "score" in a and "score" in b and "unfinished" not in _outcome(a) + _outcome(b) else None),
    ]
    if a.get("reason") or b.get("reason"):
        heading.append(Row("why", str(a.get("reason", "")), str(b.get("reason", ""))))
    objectives, totals = _objectives(a, b), _totals(a, b)
    if "unfinished" in _outcome(a) + _outcome(b):  # totals so far are not like for like: name no winner
        objectives = [Row(r.name, r.a, r.b) for r in objectives]
        totals = [Row(r.name, r.a, r.b) for r in totals]
    return Comparison(labels, a.get("scenario") == b.get("scenario"), heading, objectives, totals,
                      _curves(a, b), _steps(a, b))
