"""Shared test setup: never touch the user's real data directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SCALETUI_DATA_DIR", str(tmp_path_factory.mktemp("scaletui-data")))


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test marked `python_source` spies on the engine's own functions with monkeypatch,
    which cannot reach inside modules compiled with mypyc (they call each other directly):
    where the engine is compiled, it runs in a fresh interpreter on the Python source."""
    if pyfuncitem.get_closest_marker("python_source") is None:
        return None
    from scaletui.sim import native

    if not native.status().startswith("compiled"):
        return None
    import os
    import re
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "pytest", pyfuncitem.nodeid, "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        capture_output=True, text=True, cwd=pyfuncitem.config.rootpath,
        env={**os.environ, native.PURE_ENV: "1"},
    )
    assert run.returncode == 0 and re.search(r"\b1 passed\b", run.stdout), run.stdout[-4000:] + run.stderr[-2000:]
    return True
