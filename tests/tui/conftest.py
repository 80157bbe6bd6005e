from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.game.progress import Progress
from scaletui.tui.app import make_app


@pytest.fixture
def app_factory(tmp_path: Path):
    def make(scenario: str | None = None, **kw):
        return make_app(scenario, progress=Progress(tmp_path / "progress.sqlite3"), plan_dir=tmp_path, **kw)

    return make


async def wait_for(pilot, predicate, timeout: float = 30.0, step: float = 0.05) -> None:
    """Let the app run (its own timer steps the game) until predicate() holds."""
    waited = 0.0
    while not predicate():
        await pilot.pause(step)
        waited += step
        if waited > timeout:
            raise AssertionError("timed out waiting")
