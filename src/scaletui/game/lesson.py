"""The lesson of a run: your concepts against the reference plan's, the stars you missed
and why, and on a loss the fix: the first component that gave way, the concept that
relieves it and the level's hint that covers it.

The reference is the plan shipped beside the scenario (`NAME.plan.yaml`, as for every
built-in level); a scenario without one gets the stars and the fix, not the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from scaletui.game.scoring import ScoreCard
from scaletui.scenario.load import Scenario, load_plan
from scaletui.sim.commands import Add, Command, Configure, Promote, Upgrade

# The concept (as the scenarios name them) that an added component brings in.
CONCEPT_OF_KIND = {
    "web": "horizontal scaling",
    "load_balancer": "horizontal scaling",
    "session_store": "stateless web tier",
    "replica": "read replicas",
    "cache": "caching",
    "cdn": "CDN",
    "queue": "message queue",
    "worker": "message queue",
    "datacenter": "data centres",
    "shard": "sharding",
}

# What a concept needs the level to allow (vertical scaling needs nothing: upgrades are always there).
NEEDS = {
    "horizontal scaling": ("web", "load_balancer"),
    "stateless web tier": ("session_store",),
    "read replicas": ("replica",),
    "database failover": ("replica",),
    "caching": ("cache",),
    "CDN": ("cdn",),
    "message queue": ("queue",),
    "data centres": ("datacenter",),
    "sharding": ("shard",),
    "joins and denormalization": ("shard",),
    "consistent hashing": ("shard",),
}

# The concepts that relieve a component of each kind, most direct first: (saturated, down).
FIXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "web": (("horizontal scaling", "vertical scaling", "CDN", "message queue"), ("horizontal scaling",)),
    "load_balancer": (("vertical scaling",), ("horizontal scaling",)),
    "session_store": (("vertical scaling",), ("stateless web tier",)),
    "database": (("read replicas", "caching", "sharding", "vertical scaling", "consistent hashing",
                  "load shedding", "timeouts and circuit breakers"), ("database failover",)),
    "replica": (("read replicas", "caching", "vertical scaling", "load shedding", "timeouts and circuit breakers"),
                ("read replicas",)),
    "shard": (("sharding", "vertical scaling", "joins and denormalization", "consistent hashing"),
              ("database failover",)),
    "cache": (("caching",), ("caching",)),
    "cdn": (("CDN",), ("horizontal scaling",)),
    "queue": (("message queue",), ("message queue",)),
    "worker": (("message queue",), ("message queue",)),
    "datacenter": (("data centres",), ("data centres",)),
}

# What more of a concept is, once it is there: the kind to count, its name, and how many
# make it there (one web server is where every level starts, not horizontal scaling).
MORE_OF = {
    "read replicas": ("replica", "read replicas", 1),
    "horizontal scaling": ("web", "web servers", 2),
    "sharding": ("shard", "shards", 1),
    "message queue": ("worker", "workers", 1),
}

# Concepts that act on a component's callers, not on it: when a scripted event slowed or
# broke the first domino (nothing the player does undoes it), the fix is on the callers.
CALLER_CONCEPTS = ("timeouts and circuit breakers", "load shedding", "message queue")

# Words a hint about a concept uses, most telling first.
KEYWORDS = {
    "vertical scaling": ("upgrade", "size"),
    "horizontal scaling": ("web server", "load balancer"),
    "stateless web tier": ("session",),
    "read replicas": ("replica",),
    "database failover": ("promot", "failover"),
    "caching": ("cache",),
    "CDN": ("cdn",),
    "message queue": ("queue", "worker"),
    "data centres": ("data centre", "region"),
    "sharding": ("shard",),
    "load shedding": ("max_in_flight", "in flight", "shed"),
    "timeouts and circuit breakers": ("db_timeout", "timeout", "breaker"),
    "joins and denormalization": ("denormaliz",),
    "cache consistency": ("on_write", "invalidat", "stale"),
    "consistent hashing": ("ring", "consistent"),
}


def concept_of(cmd: Command) -> str | None:
    """The playbook concept an action brings in (None: it tunes, removes or undoes)."""
    if isinstance(cmd, Add):
        return CONCEPT_OF_KIND.get(cmd.kind)
    if isinstance(cmd, Upgrade):
        return "vertical scaling"
    if isinstance(cmd, Promote):
        return "database failover"
    if isinstance(cmd, Configure):
        if cmd.failover == "auto":
            return "database failover"
        if cmd.sharding == "consistent":
            return "consistent hashing"
        if cmd.shards is not None:
            return "sharding"
        if cmd.max_in_flight:
            return "load shedding"
        if cmd.breaker is not None or (cmd.db_timeout is not None and math.isfinite(cmd.db_timeout)):
            return "timeouts and circuit breakers"
        if cmd.denormalize:
            return "joins and denormalization"
        if cmd.on_write in ("invalidate", "update"):
            return "cache consistency"
    return None


def first_uses(actions: Iterable[tuple[float, Command]]) -> dict[str, float]:
    """When each concept first came in, in order of arrival."""
    out: dict[str, float] = {}
    for t, cmd in sorted(actions, key=lambda a: a[0]):
        c = concept_of(cmd)
        if c is not None and c not in out:
            out[c] = t
    return out


def reference_actions(scenario: Scenario) -> list[tuple[float, Command]] | None:
    """The actions of the plan shipped beside the scenario file, if there is one."""
    path = Path(scenario.path)
    plan = path.with_name(path.name.removesuffix(".yaml") + ".plan.yaml")
    if not path.name.endswith(".yaml") or not plan.is_file():
        return None
    return [(a.at, a.command) for a in load_plan(plan).actions]


ON_TIME_S = 30.0  # within half a minute of the reference counts as on time


def clock(t: float) -> str:
    m, s = divmod(int(round(t)), 60)
    return f"{m}:{s:02d}"


@dataclass(frozen=True)
class ConceptTiming:
    concept: str
    yours: float | None
    par: float | None

    def verdict(self) -> str:
        if self.par is None:
            return "not in the reference"
        if self.yours is None:
            return "never"
        d = self.yours - self.par
        if abs(d) <= ON_TIME_S:
            return "on time"
        return f"{clock(abs(d))} {'later' if d > 0 else 'earlier'}"

    def row(self) -> tuple[str, str, str, str]:
        """(concept, yours, par, verdict), as both front ends print it."""
        return (self.concept, "—" if self.yours is None else clock(self.yours),
                "—" if self.par is None else clock(self.par), self.verdict())

    def to_json(self) -> dict[str, Any]:
        return {"concept": self.concept, "yours": self.yours, "par": self.par, "verdict": self.verdict()}


STALE = "served stale reads"


@dataclass(frozen=True)
class Fix:
    component: str
    kind: str
    gave_way: str  # "saturated", "failed", "slowed down" (a scripted event), "served stale reads"
    concept: str
    hint: str | None
    advice: str | None = None  # what to do, where "<concept> relieves it" would mislead

    def text(self) -> str:
        first = "" if self.gave_way == STALE else " first"  # stale reads are no domino
        out = f"{self.component} {self.gave_way}{first}: {self.advice or self.concept + ' relieves it'}"
        return out + (f" (hint: {self.hint})" if self.hint else "")

    def to_json(self) -> dict[str, Any]:
        return {"component": self.component, "kind": self.kind, "gave_way": self.gave_way,
                "concept": self.concept, "hint": self.hint, "text": self.text()}


@dataclass(frozen=True)
class CacheSetting:
    """A cache's write policy and TTL (seconds; inf: none), as the stale-reads fix names them."""

    id: str
    on_write: str
    ttl_s: float


@dataclass(frozen=True)
class Lesson:
    concepts: list[ConceptTiming]
    missed: list[str]  # each star not earned, and why
    fix: Fix | None

    def to_json(self) -> dict[str, Any]:
        return {"concepts": [c.to_json() for c in self.concepts], "stars_missed": self.missed,
                "fix": self.fix.to_json() if self.fix else None}


def _timing(concept: str, yours: dict[str, float], par: dict[str, float] | None) -> str:
    p = par.get(concept) if par is not None else None
    y = yours.get(concept)
    if y is None:
        return f"you never brought in {concept}" + (f"; par brings it in at {clock(p)}" if p is not None else "")
    return f"you brought in {concept} at {clock(y)}" + (f"; par is {clock(p)}" if p is not None else "")


def _allowed(concept: str, allow: list[str]) -> bool:
    return all(k in allow for k in NEEDS.get(concept, ()))


def _hint(concept: str, hints: list[str]) -> str | None:
    """The level's hint on a concept: the one with its most telling word, else the next."""
    for w in KEYWORDS.get(concept, ()):
        hint = next((h for h in hints if w in h.lower()), None)
        if hint is not None:
            return hint
    return None


def _more(concept: str, counts: dict[str, int]) -> str | None:
    """"more read replicas relieve it" where some are there already (None: there are none)."""
    kind, noun, least = MORE_OF.get(concept, ("", "", 1))
    n = counts.get(kind, 0)
    if not kind or n < least:
        return None
    return f"more {noun} relieve it: {n} {'was' if n == 1 else 'were'} not enough"


def suggest_fix(kind: str, component: str, saturated: bool, level_concept: str, allow: list[str],
                hints: list[str], counts: dict[str, int] | None = None) -> Fix | None:
    """The concept that relieves the first component to give way, preferring the level's own.
    `counts`: live components of each kind, to tell "more read replicas" from "read replicas"."""
    options = FIXES.get(kind)
    if options is None:
        return None
    candidates = [c for c in options[0 if saturated else 1] if _allowed(c, allow)]
    if not candidates:
        return None
    concept = level_concept if level_concept in candidates else candidates[0]
    return Fix(component, kind, "saturated" if saturated else "failed", concept, _hint(concept, hints),
               _more(concept, counts or {}))


def caller_fix(component: str, kind: str, failed: bool, level_concept: str, hints: list[str],
               kinds: dict[str, str], held_threads: bool) -> Fix | None:
    """A scripted event slowed or broke `component`: no action undoes that, so the fix is on
    its callers, where the level's concept acts (None: the level teaches something else)."""
    if level_concept not in CALLER_CONCEPTS:
        return None
    lb = next((c for c, k in kinds.items() if k == "load_balancer"), "the load balancer")
    if level_concept == "timeouts and circuit breakers":
        waited = "held every thread" if held_threads else "waited on it"
        advice = f"web's calls to {component} {waited}: a db_timeout or a breaker on web lets go of them"
    elif level_concept == "load shedding":
        advice = (f"{lb} let in more than {component} could answer in time: a max_in_flight on {lb} "
                  "sheds the rest fast")
    else:
        advice = f"web waited on {component} for work that can wait: a queue and workers take it off the request path"
    return Fix(component, kind, "failed" if failed else "slowed down", level_concept, _hint(level_concept, hints),
               "no action undoes that, but " + advice)


def stale_fix(caches: list[CacheSetting], hints: list[str]) -> Fix | None:
    """The stale-reads objective was missed: the cache's write policy and TTL decide it."""
    if not caches:
        return None
    c = caches[0]
    ttl = "with no TTL" if math.isinf(c.ttl_s) else f"for its TTL of {c.ttl_s:g}s"
    if c.on_write in ("invalidate", "update"):
        advice = (f"it keeps an entry {ttl}, and on_write {c.on_write} still leaves the race window; "
                  "a shorter TTL narrows what stays stale")
    else:
        advice = (f"it keeps an entry {ttl}, and a write leaves it alone (on_write {c.on_write}); "
                  "on_write invalidate or update, or a shorter TTL, keeps it fresh")
    return Fix(c.id, "cache", STALE, "cache consistency", _hint("cache consistency", hints), advice)


def build_lesson(scenario: Scenario, applied: list[tuple[float, Command]], card: ScoreCard, reason: str,
                 cost: float, peak_cost_per_hour: float, incidents: list[dict[str, Any]],
                 kinds: dict[str, str], missed_objectives: tuple[str, ...] = (),
                 caches: list[CacheSetting] | None = None, held_threads: bool = False,
                 serving_since: dict[str, float] | None = None) -> Lesson:
    """`incidents`: the postmortem's (JSON form); `kinds`: component id -> kind, of the live
    components; `serving_since`: component id -> when it first served (absent: from the
    start; inf: never); `missed_objectives`: the names of the objectives not met; `caches`:
    the caches' settings; `held_threads`: whether the web tier holds a thread per request."""
    spec = scenario.spec
    ref = reference_actions(scenario)
    yours = first_uses(applied)
    par = first_uses(ref) if ref is not None else None
    concepts = [ConceptTiming(c, yours.get(c), t) for c, t in (par or {}).items()]
    concepts += [ConceptTiming(c, t, None) for c, t in yours.items() if par is None or c not in par]

    missed = []
    if not card.survived:
        line = f"first star (survive) missed: {reason}"
        if spec.concept in NEEDS or spec.concept == "vertical scaling":
            line += f"; {_timing(spec.concept, yours, par)}"
        missed.append(line)
    elif not card.within_budget and spec.budget_per_hour is not None:
        missed.append(f"second star (budget) missed: cost per hour peaked at {peak_cost_per_hour:.1f}/h; the cap is "
                      f"{spec.budget_per_hour:g}/h")
    if card.survived and card.within_budget and not card.at_par and spec.par_cost is not None:
        missed.append(f"third star (par) missed: you spent {cost:.1f}; par is {spec.par_cost:g}")

    fix = None
    hints = list(spec.hints)
    serving_since = serving_since or {}
    # Lost on stale reads alone: no component gave way; the cache's settings did it.
    stale_only = "stale_reads" in missed_objectives and not {"availability", "latency_p95"} & set(missed_objectives)
    if not card.survived and stale_only:
        fix = stale_fix(caches or [], hints)
    if not card.survived and fix is None:
        for inc in reversed(incidents):  # the last incident is the one the game was lost in
            # "More X" only counts what was serving when the incident began: servers added,
            # or still booting, once it was under way came too late, which is not too few.
            counts: dict[str, int] = {}
            for cid, k in kinds.items():
                if serving_since.get(cid, 0.0) <= inc.get("start", math.inf):
                    counts[k] = counts.get(k, 0) + 1
            # The first domino (the postmortem's first component, a tier holding the web
            # tier's threads included), else the first to saturate.
            comp = inc.get("first_component") or inc.get("first_saturated")
            if comp is None or comp not in kinds:
                continue
            event = inc.get("first_component_event") or ""
            # It failed (a crash, an outage) or it gave way under load (saturated, holding threads).
            saturated = not any(w in event for w in ("crash", "down", "outage", "died", "dies"))
            if inc.get("trigger_component") == comp:
                fix = caller_fix(comp, kinds[comp], not saturated, spec.concept, hints, kinds, held_threads)
            if fix is None:
                fix = suggest_fix(kinds[comp], comp, saturated, spec.concept, list(spec.allow), hints, counts)
            if fix is not None:
                break
    if not card.survived and fix is None and "stale_reads" in missed_objectives:
        fix = stale_fix(caches or [], hints)
    return Lesson(concepts, missed, fix)
