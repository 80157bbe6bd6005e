"""Which engine runs: its hot modules compiled with mypyc, or their Python source.

The install compiles the modules in `COMPILED` with mypyc where it can (see
`hatch_build.py`); the same source runs uncompiled where it cannot, with the same
arithmetic and the same random draws, so both give the same JSON byte for byte. A
compiled module is only used while every source file of `scaletui.sim` is the one it
was compiled from: the install writes their fingerprint to `STAMP`, and `guard()`,
run before any module of the engine is imported, loads the Python source instead when
the fingerprint no longer matches (a developer edited a file since the last install),
when the stamp is missing, or when SCALETUI_PURE_PYTHON is set. Compiled modules call
each other directly, so it is all of them or none.

The engine sums with `summation.plain_sum`, never `sum()`: mypyc turns `sum(generator)`
into a loop of additions, while Python 3.12's `sum()` compensates the rounding of float
sums (tests/sim/test_summation.py finds any `sum()` left).

No imports from the rest of scaletui: the build hook loads this file on its own.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Mapping, Sequence

PACKAGE = "scaletui.sim"
# The modules a tick spends its time in (profiled on the benchmark's topologies), by
# their names inside PACKAGE.
COMPILED = (
    "flow",
    "mmck",
    "metrics",
    "histogram",
    "client",
    "staleness",
    "hit_rate",
    "fanout",
    "response_tail",
    "routing",
    "station_runs",
    "snapshot",
    "poisson",
    "traffic",
    "keyspace",
    "sharding",
    "hold_search",
    "db_calls",
    "summation",
    # The components, so that the modules above reach their figures as fields of native
    # classes, not through attribute dictionaries (which made a compiled tick over 1,000
    # components cost more than an interpreted one). All or none: a compiled class cannot
    # be subclassed by an interpreted one.
    "components.base",
    "components.cache",
    "components.cdn",
    "components.database",
    "components.datacenter",
    "components.load_balancer",
    "components.message_queue",
    "components.replica",
    "components.session_store",
    "components.shard",
    "components.web",
    "components.worker",
)
STAMP = "_native_stamp.txt"  # beside this file: the fingerprint the modules were compiled from
PURE_ENV = "SCALETUI_PURE_PYTHON"  # set (to anything but "" or "0"): run the Python source

HERE = Path(__file__).resolve().parent


def fingerprint(package_dir: Path) -> str:
    """A hash of every Python source file of the engine's package, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def pure_reason(package_dir: Path, environ: Mapping[str, str]) -> str | None:
    """Why the Python source must run instead of compiled modules; None when they may run."""
    if environ.get(PURE_ENV, "") not in ("", "0"):
        return f"{PURE_ENV} is set"
    stamp = package_dir / STAMP
    if not stamp.exists():
        return "not compiled at install (no C compiler, or mypyc failed)"
    if stamp.read_text().strip() != fingerprint(package_dir):
        return "the source changed since the install compiled it (pip install -e . compiles it again)"
    return None


class SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the named modules' .py files, ahead of any compiled module beside them."""

    def __init__(self, package_dir: Path, names: Sequence[str]) -> None:
        self.package_dir = package_dir
        self.fullnames = {f"{PACKAGE}.{name}": name for name in names}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        name = self.fullnames.get(fullname)
        if name is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source_path(self.package_dir, name))


_status = "Python source"


def guard() -> None:
    """Run the Python source of the compiled modules unless they match it; once, at import."""
    global _status
    compiled = [name for name in COMPILED if _has_compiled(name)]
    if not compiled:
        _status = "Python source (not compiled at install)"
        return
    reason = pure_reason(HERE, os.environ)
    if reason is None:
        _status = f"compiled with mypyc ({len(compiled)} modules)"
        return
    if not any(isinstance(f, SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceFirst(HERE, COMPILED))
    _status = f"Python source: {reason}"


def status() -> str:
    """Which engine this process runs, for the benchmark and the version line."""
    return _status


def source_path(package_dir: Path, name: str) -> Path:
    """The .py file of a module named inside the package ("flow", "components.web")."""
    return package_dir.joinpath(*name.split(".")).with_suffix(".py")


def compiled_paths(package_dir: Path, name: str) -> list[Path]:
    """Where a compiled build of the module may be, one path per extension suffix."""
    stem = source_path(package_dir, name).with_suffix("")
    return [stem.with_name(stem.name + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]


def _has_compiled(name: str) -> bool:
    return any(path.exists() for path in compiled_paths(HERE, name))
