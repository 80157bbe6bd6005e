"""The layers point downward only (tui -> runner -> game -> scenario -> sim), and nothing
below the tui imports textual. Checked two ways: import-linter's contracts in
pyproject.toml, and by importing every headless module in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import scaletui

HEADLESS = ("sim", "scenario", "game", "runner")


def _modules(package: str) -> list[str]:
    root = Path(scaletui.__file__).parent / package
    if not root.is_dir():
        return []
    names = [f"scaletui.{package}"]
    for info in pkgutil.walk_packages([str(root)], prefix=f"scaletui.{package}."):
        names.append(info.name)
    return names


def test_import_linter_contracts_hold() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_headless_modules_do_not_load_textual() -> None:
    modules = [m for pkg in HEADLESS for m in _modules(pkg)]
    assert len(modules) > 20, modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"textual imported by headless modules: {out.stdout}"


def test_lower_layers_do_not_import_upper_ones() -> None:
    order = ["sim", "scenario", "game", "runner", "tui"]
    root = Path(scaletui.__file__).parent
    offences = []
    for i, layer in enumerate(order):
        for path in (root / layer).rglob("*.py") if (root / layer).is_dir() else []:
            text = path.read_text(encoding="utf-8")
            for upper in order[i + 1:]:
                for form in (f"from scaletui.{upper}", f"import scaletui.{upper}"):
                    if form in text:
                        offences.append(f"{path.relative_to(root)} imports scaletui.{upper}")
    assert offences == []
