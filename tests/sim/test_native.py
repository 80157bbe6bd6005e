"""The compiled engine (mypyc, at install) and its Python source: the same results, and
the source whenever the compiled modules may not match it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaletui.sim import native

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
# The levels whose reference runs go through every mechanic the compiled modules hold:
# retries and timeouts, held threads, fan-out reads and resharding, stale reads, regions.
LEVELS = ("retry-storm", "cascading-failure", "the-feed", "resharding-day", "stale-prices", "global")


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "sim"
    (pkg / "components").mkdir(parents=True)
    (pkg / "flow.py").write_text("X = 1\n")
    (pkg / "components" / "web.py").write_text("Y = 2\n")
    (pkg / "catalog.yaml").write_text("a: 1\n")
    return pkg


def test_the_fingerprint_follows_every_python_file_of_the_engine_and_nothing_else(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    first = native.fingerprint(pkg)
    assert native.fingerprint(pkg) == first
    (pkg / "catalog.yaml").write_text("a: 2\n")  # data, not compiled
    assert native.fingerprint(pkg) == first
    (pkg / "components" / "web.py").write_text("Y = 3\n")  # a module in a subpackage
    changed = native.fingerprint(pkg)
    assert changed != first
    (pkg / "components" / "web.py").write_text("Y = 2\n")
    assert native.fingerprint(pkg) == first
    (pkg / "components" / "web.py").rename(pkg / "components" / "lb.py")  # same bytes, another module
    assert native.fingerprint(pkg) != first
    (pkg / "components" / "lb.py").rename(pkg / "components" / "web.py")
    (pkg / "new.py").write_text("")
    assert native.fingerprint(pkg) != first


def test_the_python_source_runs_unless_the_stamp_matches_the_source_and_nobody_asks_for_it(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    assert "not compiled" in (native.pure_reason(pkg, {}) or "")
    (pkg / native.STAMP).write_text(native.fingerprint(pkg) + "\n")
    assert native.pure_reason(pkg, {}) is None
    assert native.pure_reason(pkg, {native.PURE_ENV: "0"}) is None
    assert native.pure_reason(pkg, {native.PURE_ENV: ""}) is None
    assert native.PURE_ENV in (native.pure_reason(pkg, {native.PURE_ENV: "1"}) or "")
    (pkg / "flow.py").write_text("X = 2\n")  # a developer's edit after the install
    assert "source changed" in (native.pure_reason(pkg, {}) or "")


def test_the_source_finder_picks_the_python_file_over_a_compiled_one_beside_it(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    (pkg / f"flow{native.importlib.machinery.EXTENSION_SUFFIXES[0]}").write_bytes(b"not a library")
    finder = native.SourceFirst(pkg, ("flow",))
    spec = finder.find_spec(f"{native.PACKAGE}.flow", None)
    assert spec is not None and spec.origin == str(pkg / "flow.py")
    assert finder.find_spec(f"{native.PACKAGE}.engine", None) is None  # not compiled: the usual search
    assert finder.find_spec("flow", None) is None


def _run(level: str, pure: bool) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    script = (
        "import sys\n"
        "from scaletui.sim import native\n"
        "from scaletui.cli import main\n"
        "print(native.status(), file=sys.stderr)\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, "run", str(SCENARIOS / f"{level}.yaml"),
         "--plan", str(SCENARIOS / f"{level}.plan.yaml"), "--json"],
        capture_output=True, env=env, cwd=ROOT,
    )


def test_the_install_compiled_the_engine_where_a_c_compiler_is_found() -> None:
    if os.environ.get(native.PURE_ENV, "") not in ("", "0"):
        pytest.skip(f"{native.PURE_ENV} is set")
    if not any(shutil.which(cc) for cc in ("cc", "gcc", "clang")):
        pytest.skip("no C compiler here: the engine is installed as Python source")
    status = native.status()
    if "source changed" in status:
        pytest.skip(f"{status}: run `pip install -e .` to test the compiled engine")
    assert status.startswith("compiled with mypyc"), status
    from scaletui.sim import flow

    assert not flow.__file__.endswith(".py")


@pytest.mark.parametrize("level", LEVELS)
def test_the_compiled_engine_and_its_python_source_write_the_same_json(level: str) -> None:
    if not native.status().startswith("compiled"):
        pytest.skip(f"the engine runs as {native.status()}")
    compiled, source = _run(level, pure=False), _run(level, pure=True)
    assert compiled.stderr.decode().startswith("compiled with mypyc"), compiled.stderr.decode()[-2000:]
    assert source.stderr.decode().startswith(f"Python source: {native.PURE_ENV} is set"), source.stderr.decode()
    assert compiled.returncode == source.returncode == 0  # each reference plan wins
    assert compiled.stdout == source.stdout
