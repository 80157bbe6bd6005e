"""Shared test setup: never touch the user's real data directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SCALETUI_DATA_DIR", str(tmp_path_factory.mktemp("scaletui-data")))
