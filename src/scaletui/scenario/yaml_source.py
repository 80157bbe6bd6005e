"""YAML reading that remembers where every value came from, and closes YAML 1.1's traps.

PyYAML implements YAML 1.1, in which `yes`, `no`, `on` and `off` are booleans (so a
key `on:` or a region called `no` silently change meaning), `1:30` is the number 90
and `010` is 8, and a key given twice silently keeps the last value. Here only the
YAML 1.2 core forms are resolved (true/false, decimal and 0x/0o integers, decimals,
.inf/.nan, null), the 1.1-only words stay strings and are reported where a boolean is
expected, and duplicate keys are errors. Every value keeps its line and column, so
that a validation error can point at it.

Hostile files are refused with a position rather than trusted: explicit tags (`!!int`,
`!!python/...`), nesting deeper than MAX_DEPTH, documents that expand (through aliases)
to more than MAX_VALUES values, integers longer than MAX_INT_DIGITS digits, and control
characters in text (terminal escapes would reach the screen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from scaletui.scenario.errors import Problem, ScenarioError
from scaletui.scenario.safe_text import CONTROL, char_name, visible

Path = tuple  # of str (mapping keys) and int (list indexes)

MAX_DEPTH = 32  # nested lists and mappings; the shipped files use 4
MAX_VALUES = 100_000  # values after alias expansion; the largest shipped file has about 400
MAX_INT_DIGITS = 30  # longer integers are a mistake, and Python refuses to parse 4,300 digits

YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF", "Y", "N"}


class _CoreResolver(yaml.resolver.BaseResolver):
    pass


_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Refused(Exception):
    """A hostile construct, at a position."""

    def __init__(self, mark: yaml.Mark | None, message: str) -> None:
        super().__init__(message)
        self.line: int = mark.line + 1 if mark else 1
        self.col: int = mark.column + 1 if mark else 1
        self.message = message


class _Loader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _CoreResolver):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _CoreResolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _Refused(event.start_mark, f"YAML tags ({visible(shown)}) are not accepted; write the value "
                                             "plainly (in quotes if it is text)")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


@dataclass
class Located:
    """A document as plain Python data, with the position of every value and key."""

    data: Any
    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, key: bool = False) -> tuple[int, int]:
        """Position of the value at path (or its key), else of the nearest enclosing value."""
        table = self.keys if key else self.values
        p = tuple(path)
        if p in table:
            return table[p]
        while p:
            p = p[:-1]
            if p in self.values:
                return self.values[p]
        return (1, 1)

    def problem(self, path: Path, message: str, key: bool = False) -> Problem:
        line, col = self.where(path, key)
        return Problem(line, col, message, self.file)


def _scalar(node: yaml.ScalarNode) -> Any:
    """The value of a scalar; ValueError says why it is refused."""
    tag = node.tag
    v = node.value
    bad = CONTROL.search(v)
    if bad:
        raise ValueError(f"control character {char_name(bad.group())} in text; write plain text "
                         "(terminal escapes are not accepted)")
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return v.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        s = v.replace("_", "")
        if len(s.lstrip("+-")) > MAX_INT_DIGITS:
            raise ValueError(f"a number of {len(s)} digits is too long (at most {MAX_INT_DIGITS})")
        if s.startswith("0o"):
            return int(s[2:], 8)
        if s.startswith("0x"):
            return int(s[2:], 16)
        return int(s)
    if tag == "tag:yaml.org,2002:float":
        low = v.lower()
        if low.endswith(".inf"):
            return float("-inf") if low.startswith("-") else float("inf")
        if low == ".nan":
            return float("nan")
        return float(v)
    return v


def load_yaml(text: str, file: str) -> Located:
    """Parse one YAML document; raise ScenarioError (file:line:col) on any problem."""
    try:
        node = yaml.compose(text, Loader=_Loader)  # type: ignore[arg-type]  # stubs list only yaml's own loaders
    except _Refused as exc:
        raise ScenarioError([Problem(exc.line, exc.col, exc.message, file)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        what = char_name(chr(exc.character)) if isinstance(exc.character, int) else repr(exc.character)
        raise ScenarioError([Problem(line, col, f"character {what} is not allowed in a YAML file", file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}: {what}"
        raise ScenarioError([Problem(line, col, f"YAML syntax error: {what}", file)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(1, 1, f"YAML error: {exc}", file)]) from None
    located = Located(None, file)
    problems: list[Problem] = []
    if node is None:
        located.data = None
        return located
    budget = [MAX_VALUES]
    located.data = _convert(node, (), located, problems, budget)
    if budget[0] < 0:
        problems = [Problem(1, 1, f"the document expands to more than {MAX_VALUES:,} values "
                                  "(through YAML aliases?); write it out plainly", file)]
    if problems:
        raise ScenarioError(problems)
    return located


def _convert(node: yaml.Node, path: Path, loc: Located, problems: list[Problem], budget: list[int]) -> Any:
    # budget[0] counts down the values still allowed: an alias bomb stops here, early.
    budget[0] -= 1
    if budget[0] < 0:
        return None
    loc.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        try:
            return _scalar(node)
        except ValueError as exc:
            problems.append(Problem(node.start_mark.line + 1, node.start_mark.column + 1, str(exc), loc.file))
            return None
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), loc, problems, budget) for i, child in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            line, col = knode.start_mark.line + 1, knode.start_mark.column + 1
            if not isinstance(knode, yaml.ScalarNode):
                problems.append(Problem(line, col, "a key must be a plain word, not a list or mapping", loc.file))
                continue
            if knode.tag == "tag:yaml.org,2002:merge" or knode.value == "<<":
                problems.append(Problem(line, col, "merge keys (<<) are not supported; write the keys out", loc.file))
                continue
            try:
                value = _scalar(knode)
            except ValueError as exc:
                problems.append(Problem(line, col, str(exc), loc.file))
                continue
            key = knode.value if knode.tag == "tag:yaml.org,2002:str" or isinstance(value, str) else value
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = loc.keys.get(path + (key,), (0, 0))
                problems.append(Problem(line, col, f"duplicate key '{key}' (first given at line {first[0]}); "
                                                   "YAML would silently keep only the last one", loc.file))
                continue
            loc.keys[path + (key,)] = (line, col)
            out[key] = _convert(vnode, path + (key,), loc, problems, budget)
        return out
    return None
