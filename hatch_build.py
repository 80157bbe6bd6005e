"""Build hook: compile the engine's hot modules with mypyc, where this machine can.

The engine's hot modules (`scaletui.sim.native.COMPILED`: the flow plane and the
components) are plain, type-checked Python; mypyc turns them into C extensions that run
a tick in about half the instructions, with the same arithmetic and random draws. When it cannot (no C
compiler, mypyc fails, or SCALETUI_PURE_PYTHON is set) the install goes on with the
Python source alone and says so; the game is the same, only slower.

A wheel (`pip install .`) gets the compiled modules and the stamp beside the source.
An editable install (`pip install -e .`) puts them in src/ (ignored by git), where the
package is imported from; `scaletui.sim.native.guard()` ignores them once any source
file of the engine changes, until the next `pip install -e .`.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

GROUP = "scaletui_engine"  # the shared library of the compiled modules: GROUP__mypyc.<suffix>

# mypy's settings for the compile: SimPy ships no type hints (as in pyproject.toml), and the
# modules not compiled were type-checked by the test command already.
MYPY_INI = """[mypy]
ignore_missing_imports = True
follow_imports = silent
"""

# Run in a copy of the package, so a failed build leaves nothing half-written in src/.
COMPILE = """
import sys
from mypyc.build import mypycify
from setuptools import setup
paths = sys.argv[1:]
setup(
    name="scaletui-engine",
    ext_modules=mypycify(paths, group_name={group!r}, opt_level="3", multi_file=True),
    script_args=["build_ext", "--inplace", "--parallel", str({jobs})],
)
"""


def _native(root: Path) -> Any:
    """scaletui.sim.native, loaded from its file (the package is not installed yet)."""
    spec = importlib.util.spec_from_file_location("_scaletui_native", root / "src/scaletui/sim/native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _built(native: Any, work: Path, names: tuple[str, ...]) -> dict[Path, str]:
    """The compiled files in the work copy, each with its path inside the package tree."""
    found: dict[Path, str] = {}
    for name in names:
        for path in native.compiled_paths(work / "scaletui" / "sim", name):
            if path.exists():
                found[path] = path.relative_to(work).as_posix()
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for path in work.glob(f"{GROUP}__mypyc{suffix}"):
            found[path] = path.name
    return found


def _remove_compiled(native: Any, src: Path, names: tuple[str, ...]) -> None:
    for name in names:
        for path in native.compiled_paths(src / "scaletui" / "sim", name):
            path.unlink(missing_ok=True)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        (src / f"{GROUP}__mypyc{suffix}").unlink(missing_ok=True)
    (src / "scaletui" / "sim" / native.STAMP).unlink(missing_ok=True)


class EngineBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        src = root / "src"
        native = _native(root)
        names: tuple[str, ...] = native.COMPILED
        if version == "editable":
            _remove_compiled(native, src, names)  # a stale build must not outlive this one
        if os.environ.get(native.PURE_ENV, "") not in ("", "0"):
            self.app.display_info(f"scaletui: {native.PURE_ENV} is set: the engine stays Python source")
            return
        self._work = Path(tempfile.mkdtemp(prefix="scaletui-build-"))
        try:
            built = self._compile(native, src, names)
        except (OSError, subprocess.CalledProcessError, ImportError) as exc:
            self.app.display_warning(
                f"scaletui: could not compile the engine with mypyc ({exc}); installing it as Python "
                f"source (the same results, at about half the speed). Set {native.PURE_ENV}=1 to skip this step."
            )
            return
        stamp = self._work / "scaletui" / "sim" / native.STAMP
        stamp.write_text(native.fingerprint(src / "scaletui" / "sim") + "\n")
        built[stamp] = f"scaletui/sim/{native.STAMP}"
        if version == "editable":
            for path, inside in built.items():
                shutil.copy2(path, src / inside)
        else:
            for path, inside in built.items():
                build_data["force_include"][str(path)] = inside
            build_data["pure_python"] = False
            build_data["infer_tag"] = True
        self.app.display_info(f"scaletui: compiled {len(names)} engine modules with mypyc")

    def _compile(self, native: Any, src: Path, names: tuple[str, ...]) -> dict[Path, str]:
        import mypyc.build  # noqa: F401  (ImportError: no mypyc here, build as Python source)

        work = self._work
        shutil.copytree(
            src / "scaletui", work / "scaletui", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd")
        )
        (work / "mypy.ini").write_text(MYPY_INI)
        paths = [native.source_path(Path("scaletui/sim"), name).as_posix() for name in names]
        jobs = max(1, min(4, os.cpu_count() or 1))
        run = subprocess.run(
            [sys.executable, "-c", COMPILE.format(group=GROUP, jobs=jobs), *paths],
            cwd=work, capture_output=True, text=True,
        )
        if run.returncode != 0:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-5:])
            raise OSError(f"mypyc exited {run.returncode}: {tail}")
        built = _built(native, work, names)
        if len(built) != len(names) + 1:
            raise OSError(f"mypyc built {len(built)} files for {len(names)} modules")
        return built

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
