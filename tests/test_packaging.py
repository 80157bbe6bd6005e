"""A plain `pip install .` (a wheel, not an editable install) ships the whole campaign."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to copy the tracked tree")
def test_wheel_contains_the_campaign_and_the_catalog(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(tmp_path),
         "-q"],
        capture_output=True, text=True,
        env={**os.environ, "SCALETUI_PURE_PYTHON": "1"},  # what the wheel holds, not a minute of compiling
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("scaletui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    campaign = [ln.strip() for ln in (ROOT / "scenarios" / "campaign.txt").read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]
    for name in campaign:
        assert f"scaletui/scenarios/{name}.yaml" in names
        assert f"scaletui/scenarios/{name}.plan.yaml" in names
    assert "scaletui/scenarios/campaign.txt" in names
    assert "scaletui/sim/catalog.yaml" in names
    assert "scaletui/tui/styles.tcss" in names
    assert not any(n.startswith("tests/") for n in names)
