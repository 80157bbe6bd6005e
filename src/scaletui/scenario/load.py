"""Loading scenario and plan files: YAML -> validated models -> engine configuration.

Every problem is reported as `file:line:col: message`, all of them at once, sorted.
"""

from __future__ import annotations

import difflib
import math
import re
import stat
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from scaletui.scenario.errors import Problem, ScenarioError
from scaletui.scenario.durations import format_duration
from scaletui.scenario.forecast_text import expand_says
from scaletui.scenario.schema import (
    MAX_COMPONENTS,
    MAX_USERS,
    ActionSpec,
    EventSpec,
    PlanSpec,
    ScenarioSpec,
)
from scaletui.scenario.yaml_source import YAML11_BOOLEANS, Located, load_yaml
from scaletui.sim.catalog import KIND_FIELDS, Catalog
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.commands import Add, AutoscaleRule, Command, Configure, Promote, Remove, Upgrade
from scaletui.sim.config import (
    ClientPolicy,
    ComponentSpec,
    DailyCycle,
    Mix,
    Network,
    ScenarioEvent,
    ShardingConfig,
    SimConfig,
    Traffic,
    TrafficChange,
    Vary,
)
from scaletui.sim.topology import Topology
from scaletui.sim.summation import plain_sum


@dataclass
class Scenario:
    """A loaded scenario file: its validated model, where it came from, and its config."""

    spec: ScenarioSpec
    path: str
    located: Located
    config: SimConfig

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title or self.spec.name.replace("-", " ").capitalize()

    def warnings(self) -> list[Problem]:
        """What is allowed but likely not meant: users in a region with no data centre."""
        topo = Topology(self.config.catalog)
        topo.build(self.config.topology, self.config.home_region)
        built = set(topo.regions())
        out = []
        total = plain_sum(share for _, share in self.config.traffic.regions)
        for region, share in self.config.traffic.regions:
            if region not in built:
                out.append(self.located.problem(
                    ("traffic", "regions", region),
                    f"warning: no data centre in {region} at the start: its users ({share / total:.0%} of "
                    "all) are served from another region, with cross-region latency, until a plan adds "
                    "one there", key=True))
        return out

    def initial_ids(self) -> list[str]:
        topo = Topology(self.config.catalog)
        topo.build(self.config.topology, self.config.home_region)
        return topo.ids()


@dataclass(frozen=True)
class PlanAction:
    at: float
    command: Command
    line: int
    col: int
    file: str

    def problem(self, message: str) -> Problem:
        return Problem(self.line, self.col, message, self.file)


@dataclass(frozen=True)
class PlanAnswer:
    """A plan's answer to the scenario's estimate asked at `at`."""

    at: float
    answer: float
    line: int
    col: int
    file: str

    def problem(self, message: str) -> Problem:
        return Problem(self.line, self.col, message, self.file)


@dataclass
class Plan:
    path: str
    actions: list[PlanAction] = field(default_factory=list)
    answers: list[PlanAnswer] = field(default_factory=list)
    scenario: str | None = None
    seed: int | None = None


# --- reading -----------------------------------------------------------------------------


MAX_FILE_BYTES = 1_000_000  # the largest shipped file is about 3 kB


def read_text(path: str | Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES, else a ScenarioError saying why.

    Devices and FIFOs are refused before opening (/dev/zero never ends, a FIFO blocks).
    """
    p = Path(path)
    file = str(path)
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError([Problem(1, 1, "is a directory, not a file", file)])
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError([Problem(1, 1, "is not a regular file (a device, FIFO or socket); "
                                               "give a scenario or plan file", file)])
        if st.st_size > MAX_FILE_BYTES:
            raise ScenarioError([Problem(1, 1, f"is {st.st_size:,} bytes; scenario and plan files are "
                                               f"at most {MAX_FILE_BYTES:,}", file)])
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
        if len(data) > MAX_FILE_BYTES:
            raise ScenarioError([Problem(1, 1, f"scenario and plan files are at most {MAX_FILE_BYTES:,} bytes",
                                         file)])
        return data.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(1, 1, "no such file", file)]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(1, 1, f"not UTF-8 text ({exc.reason})", file)]) from None
    except OSError as exc:
        raise ScenarioError([Problem(1, 1, f"cannot read: {exc.strerror}", file)]) from None


def load_scenario(path: str | Path, text: str | None = None) -> Scenario:
    file = str(path)
    located = load_yaml(read_text(path) if text is None else text, file)
    d = located.data
    if (isinstance(d, list) and d and all(isinstance(x, dict) and "at" in x for x in d)) or \
            (isinstance(d, dict) and "actions" in d and "duration" not in d):
        raise ScenarioError([located.problem((), "this is a plan, not a scenario; run it with: "
                                                 "scaletui run SCENARIO --plan FILE")])
    if not isinstance(located.data, dict):
        raise ScenarioError([located.problem((), "a scenario is a mapping of keys (name, duration, traffic, ...)")])
    spec = _validate(ScenarioSpec, located.data, located)
    problems = _check_scenario(spec, located)
    if problems:
        raise ScenarioError(problems)
    config = to_sim_config(spec)
    # Placeholders need the nominal script, so a config whose other checks passed.
    events, bad = expand_says(config)
    if bad:
        raise ScenarioError([located.problem(("events", i, "say"), msg) for i, msg in bad])
    config = replace(config, events=events)
    return Scenario(spec, file, located, config)


def load_plan(path: str | Path, text: str | None = None) -> Plan:
    file = str(path)
    located = load_yaml(read_text(path) if text is None else text, file)
    data = located.data
    if data is None:
        return Plan(file)
    if isinstance(data, list):
        data = {"actions": data}
        # Positions were recorded against the list itself: shift them under "actions".
        located.values = {("actions",) + k: v for k, v in located.values.items()}
        located.keys = {("actions",) + k: v for k, v in located.keys.items()}
        located.data = data
    elif not isinstance(data, dict):
        raise ScenarioError([located.problem((), "a plan is a list of actions (or a mapping with actions:)")])
    spec = _validate(PlanSpec, data, located)
    plan = Plan(file, scenario=spec.scenario, seed=spec.seed)
    for i, action in enumerate(spec.actions):
        line, col = located.where(("actions", i))
        plan.actions.append(PlanAction(action.at, to_command(action), line, col, file))
    plan.actions.sort(key=lambda a: a.at)  # stable: same-time actions keep file order
    for i, ans in enumerate(spec.estimates):
        line, col = located.where(("estimates", i))
        plan.answers.append(PlanAnswer(ans.at, ans.answer, line, col, file))
    plan.answers.sort(key=lambda a: a.at)
    return plan


def is_plan(path: str | Path) -> bool:
    """Tell plan files from scenario files by their shape (a list, or `actions:`)."""
    try:
        located = load_yaml(read_text(path), str(path))
    except ScenarioError:
        return str(path).endswith(".plan.yaml") or str(path).endswith(".plan.yml")
    return _looks_like_plan(located.data)


def _looks_like_plan(d: Any) -> bool:
    return isinstance(d, list) or (isinstance(d, dict) and ("actions" in d or "estimates" in d) and "duration" not in d)


# --- validation errors -> positions ----------------------------------------------------


def _validate(model: type[BaseModel], data: Any, located: Located):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(model, err, located) for err in exc.errors()]
        raise ScenarioError(_dedupe(problems)) from None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        if (p.line, p.col, p.message) not in seen:
            seen.add((p.line, p.col, p.message))
            out.append(p)
    return out


def _data_path(loc: tuple, data: Any) -> tuple[tuple, list]:
    """Keep the loc elements that exist in the data (drop union member tags)."""
    path: list = []
    rest: list = []
    cur = data
    for el in loc:
        if isinstance(cur, dict) and el in cur:
            path.append(el)
            cur = cur[el]
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            path.append(el)
            cur = cur[el]
        else:
            rest.append(el)
    return tuple(path), rest


def _fields_at(model: type[BaseModel], path: tuple) -> list[str] | None:
    """Names of the keys a mapping at `path` may have (for suggestions)."""
    cur: Any = model
    for el in path:
        cur = _unwrap(cur)
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            f = None
            for name, info in cur.model_fields.items():
                if el in (name, info.alias):
                    f = info
            if f is None:
                extra = cur.__annotations__.get("__pydantic_extra__")
                if extra is None:
                    return None
                cur = typing.get_args(_resolve(cur, extra))[-1]
                continue
            cur = f.annotation
        elif typing.get_origin(cur) in (list, dict):
            cur = typing.get_args(cur)[-1]
        else:
            return None
    cur = _unwrap(cur)
    if isinstance(cur, type) and issubclass(cur, BaseModel):
        return [info.alias or name for name, info in cur.model_fields.items()]
    return None


def _resolve(model: type, annotation: Any) -> Any:
    if isinstance(annotation, str):
        return typing.get_type_hints(model)["__pydantic_extra__"]
    return annotation


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[0]
        else:
            return tp


def _problem(model: type[BaseModel], err: ErrorDetails, located: Located) -> Problem:
    loc = tuple(err.get("loc", ()))
    path, rest = _data_path(loc, located.data)
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, "):]
    name = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        allowed = _fields_at(model, path[:-1]) or []
        hint = difflib.get_close_matches(name, allowed, n=1)
        text = f"unknown key '{name}'"
        if hint:
            text += f"; did you mean '{hint[0]}'?"
        elif allowed:
            text += f" (expected one of: {', '.join(allowed)})"
        return located.problem(path, text, key=True)
    if kind == "missing":
        return located.problem(path, f"missing required key '{rest[-1] if rest else name}'")
    value = err.get("input")
    where = name if isinstance(loc[-1] if loc else None, str) else ""
    if kind in ("bool_type", "bool_parsing") and isinstance(value, str) and value in YAML11_BOOLEANS:
        msg = f"'{value}' is a boolean only in YAML 1.1; write true or false"
    elif kind == "string_type" and isinstance(value, dict):
        msg = ("expected text, but YAML read a mapping here (a ': ' inside unquoted text starts one); "
               "put the text in quotes")
    elif kind == "literal_error":
        msg = msg.replace("Input should be", "should be")
        expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(value), expected, n=1) if isinstance(value, str) else []
        if close:
            msg = f"'{value}' is not valid; did you mean '{close[0]}'? (it {msg})"

    elif kind in ("dict_type", "model_type"):
        msg = "expected a mapping of keys"
        if isinstance(value, str) and value in YAML11_BOOLEANS:
            msg += f" ('{value}' is read as text here, not as a boolean)"
    elif kind in _BOUNDS:
        limit = (err.get("ctx") or {}).get(_BOUNDS[kind][1])
        msg = f"should be {_BOUNDS[kind][0]} {_number(limit)}"
    elif kind == "finite_number":
        msg = "should be a finite number (.inf and .nan are not accepted)"
    elif kind in ("float_type", "int_type", "float_parsing", "int_parsing", "int_from_float") and isinstance(value, bool):
        msg = f"should be a number, not {str(value).lower()}"
    elif kind in ("float_type", "int_type") and isinstance(value, str):
        msg = f"should be a number, not the text '{value}' (write it without quotes)"
    elif kind == "string_pattern_mismatch":
        first = "a letter" if str((err.get("ctx") or {}).get("pattern", "")).startswith("^[a-z][") else \
            "a letter or digit"
        msg = (f"'{value}' is not a valid name: use lowercase letters, digits, '-' and '_', "
               f"starting with {first}")
    elif kind == "string_too_short":
        msg = "should not be empty"
    else:
        msg = msg.replace("Input should be", "should be")
    if where and where not in ("actions", "events", "topology") and not msg.startswith(where):
        msg = f"{where}: {msg}"
    return located.problem(path, msg)


_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("greater than or equal to", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("less than or equal to", "le"),
}


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


# --- checks that need more than one key ------------------------------------------------


def _expand(spec: ScenarioSpec) -> list[tuple[int, ComponentSpec]]:
    home = next(iter(spec.traffic.regions))
    out = []
    for i, entry in enumerate(spec.topology):
        for _ in range(entry.count):
            out.append(
                (i, ComponentSpec(entry.kind, entry.size or "", entry.region or home, entry.id, entry.of))
            )
    return out


def _check_scenario(spec: ScenarioSpec, loc: Located) -> list[Problem]:
    problems: list[Problem] = []
    try:
        catalog = build_catalog(spec)
    except (KeyError, ValueError) as exc:
        return [loc.problem(("catalog",), f"catalog: {exc}")]
    for kind, kind_entry in spec.catalog.items():
        if kind_entry.concurrency is not None and kind != "web":
            problems.append(loc.problem(("catalog", kind, "concurrency"),
                                        f"catalog: concurrency is a setting of web servers, not of {kind}"))
    regions = list(spec.traffic.regions)
    for i, est in enumerate(spec.estimates):
        if est.servers is not None:
            kspec = catalog[est.servers.kind]
            if est.servers.size not in kspec.size_names:
                problems.append(loc.problem(("estimates", i, "servers", "size"),
                                            f"{est.servers.kind} comes in {', '.join(kspec.size_names)}, "
                                            f"not '{est.servers.size}'"))
            elif not math.isfinite(kspec.size(est.servers.size).capacity_rps):
                problems.append(loc.problem(("estimates", i, "servers", "kind"),
                                            f"a {est.servers.kind} has no capacity limit to estimate against"))
        if est.at >= spec.duration:
            problems.append(loc.problem(("estimates", i, "at"), "the estimate comes after the end of the scenario"))
    ids: dict[str, int] = {}
    for i, entry in enumerate(spec.topology):
        kspec = catalog[entry.kind]
        if entry.size is not None and entry.size not in kspec.size_names:
            problems.append(loc.problem(("topology", i, "size"),
                                        f"{entry.kind} comes in {', '.join(kspec.size_names)}, not '{entry.size}'"))
        if entry.region is not None and entry.region not in regions:
            problems.append(loc.problem(("topology", i, "region"),
                                        f"no users are in region '{entry.region}'; traffic.regions lists "
                                        f"{', '.join(regions)}"))
        if entry.id is not None:
            if entry.id in ids:
                problems.append(loc.problem(("topology", i, "id"), f"id '{entry.id}' is used twice"))
            ids[entry.id] = i
        if entry.of is not None:
            if entry.kind != "replica":
                problems.append(loc.problem(("topology", i, "of"), "only replicas follow another node (of)"))
    if any(p.message.endswith("is used twice") for p in problems):
        return problems
    # The ids the engine will give, to check what events and replicas name. A bad size
    # or region does not change the ids: stand in the defaults and go on, so that one
    # run reports every problem.
    expanded = [
        (i, ComponentSpec(c.kind,
                          c.size if c.size in catalog[c.kind].size_names else catalog[c.kind].default_size,
                          c.region if c.region in (None, *regions) else regions[0], c.id, c.of))
        for i, c in _expand(spec)
    ]
    topo = Topology(catalog)
    try:
        topo.build(tuple(c for _, c in expanded), regions[0])
    except ValueError as exc:
        return problems + [loc.problem(("topology",), str(exc))]
    known = topo.ids()
    for i, entry in enumerate(spec.topology):
        if entry.of is not None:
            node = topo.get(entry.of)
            if node is None or node.kind not in ("database", "shard"):
                problems.append(loc.problem(("topology", i, "of"),
                                            f"'{entry.of}' is not a database or shard of this topology"))
    problems += _check_growth(spec, loc)
    kinds = [k.kind for k in catalog.kinds]
    event_ids: set[str] = set()
    for i, ev in enumerate(spec.events):
        if ev.id is not None:
            if ev.id in event_ids:
                problems.append(loc.problem(("events", i, "id"), f"event id '{ev.id}' is used twice"))
            event_ids.add(ev.id)
        if ev.vary is not None and ev.vary.size and not _sets_users(ev):
            problems.append(loc.problem(("events", i, "vary", "size"),
                                        "vary: size varies a change of users: only on a traffic event that "
                                        "sets users (a number or xF)"))
        if ev.at >= spec.duration:
            problems.append(loc.problem(("events", i, "at"),
                                        f"at {ev.at:g}s is not before the end of the scenario ({spec.duration:g}s)"))
        for key in ("fail", "slow", "errors"):
            target = getattr(ev, key)
            if target is not None and target not in known and target not in kinds:
                close = difflib.get_close_matches(target, known + kinds, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                problems.append(loc.problem(("events", i, key),
                                            f"unknown component '{target}'{hint} (the topology has "
                                            f"{', '.join(known) or 'nothing'}; or name a kind such as web)"))
        if ev.outage is not None and ev.outage not in regions:
            problems.append(loc.problem(("events", i, "outage"),
                                        f"no region '{ev.outage}'; traffic.regions lists {', '.join(regions)}"))
    for i, kind in enumerate(spec.allow):
        if kind not in kinds:
            problems.append(loc.problem(("allow", i), f"unknown kind '{kind}'"))
    return problems


MAX_EXACT_KEYS = 2_000_000  # the exact model holds per-key state: ~80 bytes a key (100M keys took 7.9 GB)


def exact_model_problems(scenario: Scenario) -> list[Problem]:
    """What the exact model (one simulated request at a time) cannot afford to run."""
    count = scenario.spec.traffic.keys.count
    if count <= MAX_EXACT_KEYS:
        return []
    return [scenario.located.problem(("traffic", "keys", "count"),
                                     f"count: --model exact holds state for every key and takes at most "
                                     f"{MAX_EXACT_KEYS:,} keys, not {count:,}; use --model flow")]


MAX_REPORT_ROWS = 10_080  # a week at the default report_every of 60s: about 3 MB of JSON


def _check_growth(spec: ScenarioSpec, loc: Located) -> list[Problem]:
    """Limits on what valid-looking input could make grow without bound."""
    problems = []
    rows = spec.duration / spec.report_every
    if rows > MAX_REPORT_ROWS:
        least = math.ceil(spec.duration / MAX_REPORT_ROWS)
        problems.append(loc.problem(("report_every",), f"report_every: {spec.report_every:g}s over "
                                    f"{format_duration(spec.duration)} gives {rows:,.0f} report rows; at most "
                                    f"{MAX_REPORT_ROWS:,} (report_every of {least}s or more here)"))
    total = plain_sum(e.count for e in spec.topology)
    if total > MAX_COMPONENTS:
        problems.append(loc.problem(("topology",), f"the topology has {total} components; at most "
                                    f"{MAX_COMPONENTS} (the work of every tick grows with them)"))
    # Events multiply the users in file order of time; an upper bound (a change that
    # ends is counted as lasting), so that no run can reach an absurd level.
    level = spec.traffic.users
    for i, ev in sorted(enumerate(spec.events), key=lambda p: p[1].at):
        users = ev.traffic.users if ev.traffic is not None else None
        if users is None:
            continue
        before = level
        level = users.users if users.users is not None else level * (users.factor or 0.0)
        # A varied size may draw beyond the nominal level, by its share of the step.
        top = level + (ev.vary.size * abs(level - before) if ev.vary is not None else 0.0)
        if top > MAX_USERS:
            problems.append(loc.problem(("events", i, "traffic", "users"),
                                        f"users: events raise the users to {top:.3g}; at most "
                                        f"{MAX_USERS:,.0f}"))
            break
    return problems


def _sets_users(ev: EventSpec) -> bool:
    return ev.traffic is not None and ev.traffic.users is not None


# --- conversion ------------------------------------------------------------------------


def build_catalog(spec: ScenarioSpec) -> Catalog:
    overrides: dict[str, dict] = {}
    for kind, entry in spec.catalog.items():
        over: dict[str, Any] = {}
        for f in KIND_FIELDS:
            v = getattr(entry, f)
            if v is not None:
                over[f] = v
        sizes = {}
        for size, s in (entry.model_extra or {}).items():
            sizes[size] = {k: v for k, v in s.model_dump().items() if v is not None}
        if sizes:
            over["sizes"] = sizes
        overrides[kind] = over
    return Catalog.default().with_overrides(overrides)


def _mix(m) -> Mix:
    return Mix(m.static, m.read, m.write, m.async_, m.fanout)


def to_sim_config(spec: ScenarioSpec) -> SimConfig:
    catalog = build_catalog(spec)
    t = spec.traffic
    traffic = Traffic(
        users=t.users,
        rps_per_user=t.rps_per_user,
        mix=_mix(t.mix),
        key_count=t.keys.count,
        zipf=t.keys.zipf,
        regions=tuple((r, s) for r, s in t.regions.items()),
        daily_cycle=DailyCycle(t.daily_cycle.amplitude, t.daily_cycle.peak_at, t.daily_cycle.start_at)
        if t.daily_cycle
        else None,
        static_kb=t.static_kb,
        static_keys=t.static_keys,
        async_work_ms=t.async_work_ms,
        session_minutes=t.session_minutes,
        revenue_per_1k_requests=t.revenue_per_1k_requests,
        client=ClientPolicy(t.client.timeout, t.client.retries, t.client.backoff, t.client.jitter),
        fanout_shards=t.fanout_shards,
        return_rate=t.return_rate,
        churn_on_failure=t.churn_on_failure,
    )
    comps = tuple(
        c if c.size else ComponentSpec(c.kind, catalog[c.kind].default_size, c.region, c.id, c.of)
        for _, c in _expand(spec)
    )
    events = []
    for ev in spec.events:
        kind = ev.action
        target = None
        change = None
        if kind == "traffic":
            tc = ev.traffic
            assert tc is not None
            change = TrafficChange(
                users=tc.users.users if tc.users is not None else None,
                users_factor=tc.users.factor if tc.users is not None else None,
                rps_per_user=tc.rps_per_user,
                mix=_mix(tc.mix) if tc.mix is not None else None,
            )
        elif kind in ("fail", "slow", "outage", "errors"):
            target = getattr(ev, kind)
        events.append(
            ScenarioEvent(
                at=ev.at,
                kind=kind,
                target=target,
                duration=ev.for_,
                over=ev.over,
                factor=ev.factor,
                share=ev.hot_key.share if ev.hot_key is not None else ev.share if ev.errors is not None else 0.0,
                traffic=change,
                say=ev.say,
                id=ev.id,
                vary=Vary(ev.vary.at, ev.vary.size) if ev.vary is not None else None,
            )
        )
    return SimConfig(
        name=spec.name,
        duration=spec.duration,
        seed=spec.seed,
        tick=float(spec.tick),
        report_every=spec.report_every,
        traffic=traffic,
        network=Network(spec.network.hop_ms, spec.network.cross_region_ms, spec.network.replication_ms),
        sharding=ShardingConfig(spec.sharding.scheme, spec.sharding.vnodes, spec.sharding.migrate_keys_per_s,
                                spec.sharding.migrate_ms_per_key),
        catalog=catalog,
        topology=comps,
        events=tuple(events),
    )


def to_command(a: ActionSpec) -> Command:
    verb = a.verb
    if verb == "add":
        return Add(a.add or "", a.size, a.count, a.region, a.of)
    if verb == "remove":
        return Remove(a.remove or "")
    if verb == "upgrade":
        return Upgrade(a.upgrade or "", a.size or "")
    if verb == "promote":
        return Promote(a.promote or "")
    rule = None
    off = False
    if a.autoscale == "off":
        off = True
    elif a.autoscale is not None:
        s = a.autoscale
        rule = AutoscaleRule(s.min, s.max, s.target, s.warmup)
    return Configure(
        target=a.configure or "",
        ttl=a.ttl,
        failover=a.failover,
        autoscale=rule,
        autoscale_off=off,
        shards=a.shards,
        sharding=a.sharding,
        invalidate=a.invalidate,
        max_in_flight=a.max_in_flight,
        breaker=(BreakerRule(a.breaker.error_rate, a.breaker.open_for)
                 if a.breaker is not None and a.breaker != "off" else None),
        breaker_off=a.breaker == "off",
        db_timeout=a.db_timeout,
        db_retries=a.db_retries,
        denormalize=a.denormalize,
        on_write=a.on_write,
    )


def command_to_action(at: float, cmd: Command) -> dict:
    """The plan-file form of a command (used to record plans)."""
    out: dict[str, Any] = {"at": format_duration(at)}
    if isinstance(cmd, Add):
        out["add"] = cmd.kind
        if cmd.size:
            out["size"] = cmd.size
        if cmd.count != 1:
            out["count"] = cmd.count
        if cmd.region:
            out["region"] = cmd.region
        if cmd.of:
            out["of"] = cmd.of
    elif isinstance(cmd, Remove):
        out["remove"] = cmd.target
    elif isinstance(cmd, Upgrade):
        out["upgrade"] = cmd.target
        out["size"] = cmd.size
    elif isinstance(cmd, Promote):
        out["promote"] = cmd.target
    elif isinstance(cmd, Configure):
        out["configure"] = cmd.target
        if cmd.ttl is not None:
            out["ttl"] = "none" if cmd.ttl == math.inf else format_duration(cmd.ttl)
        if cmd.failover:
            out["failover"] = cmd.failover
        if cmd.autoscale is not None:
            r = cmd.autoscale
            out["autoscale"] = {"min": r.min, "max": r.max, "target": r.target,
                                "warmup": format_duration(r.warmup)}
        if cmd.autoscale_off:
            out["autoscale"] = "off"
        if cmd.shards is not None:
            out["shards"] = cmd.shards
        if cmd.sharding is not None:
            out["sharding"] = cmd.sharding
        if cmd.invalidate:
            out["invalidate"] = True
        if cmd.max_in_flight is not None:
            out["max_in_flight"] = cmd.max_in_flight or "off"
        if cmd.breaker is not None:
            out["breaker"] = {"error_rate": cmd.breaker.error_rate, "open_for": format_duration(cmd.breaker.open_for)}
        if cmd.breaker_off:
            out["breaker"] = "off"
        if cmd.db_timeout is not None:
            out["db_timeout"] = "none" if cmd.db_timeout == math.inf else format_duration(cmd.db_timeout)
        if cmd.db_retries is not None:
            out["db_retries"] = cmd.db_retries
        if cmd.denormalize is not None:
            out["denormalize"] = cmd.denormalize
        if cmd.on_write is not None:
            out["on_write"] = cmd.on_write
    return out

