"""The built-in campaign: scenario files shipped in the package (`scenarios/` in the repo)."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from scaletui.scenario.errors import Problem, ScenarioError

PLAN_SUFFIX = ".plan.yaml"


def campaign_dir() -> Path:
    """Where the campaign lives: inside the installed package, else the repo's scenarios/."""
    try:
        packaged = Path(str(resources.files("scaletui").joinpath("scenarios")))
        if packaged.is_dir():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    repo = Path(__file__).resolve().parents[3] / "scenarios"
    return repo


@lru_cache(maxsize=1)
def _order() -> list[str]:
    order_file = campaign_dir() / "campaign.txt"
    if order_file.is_file():
        return [ln.strip() for ln in order_file.read_text(encoding="utf-8").splitlines()
                if ln.strip() and not ln.startswith("#")]
    return []


def builtin_names() -> list[str]:
    """Campaign order (campaign.txt), then any other scenario file alphabetically."""
    d = campaign_dir()
    if not d.is_dir():
        return []
    found = sorted(p.name[: -len(".yaml")] for p in d.glob("*.yaml") if not p.name.endswith(PLAN_SUFFIX))
    ordered = [n for n in _order() if n in found]
    return ordered + [n for n in found if n not in ordered]


def builtin_path(name: str) -> Path | None:
    p = campaign_dir() / f"{name}.yaml"
    return p if p.is_file() else None


def run_argument(name: str, path: str | Path) -> str:
    """How `scaletui run` names a scenario: its built-in name, else its file."""
    builtin = builtin_path(name)
    return name if builtin is not None and builtin.resolve() == Path(path).resolve() else str(path)


def solution_path(name: str) -> Path | None:
    p = campaign_dir() / f"{name}{PLAN_SUFFIX}"
    return p if p.is_file() else None


def resolve(scenario: str) -> Path:
    """A built-in name or a path to a file."""
    p = Path(scenario)
    if p.is_file():
        return p
    builtin = builtin_path(scenario)
    if builtin is not None:
        return builtin
    if p.exists():  # a directory, device or FIFO: reading it says why it is refused
        return p
    names = builtin_names()
    close = difflib.get_close_matches(scenario, names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    hint += f" (built-in scenarios: {', '.join(names)})" if names else ""
    raise ScenarioError([Problem(1, 1, f"no such file or built-in scenario{hint}", scenario)])
