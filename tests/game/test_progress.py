"""Best stars survive restarts; a corrupt or unwritable file never stops the game."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaletui.game.progress import Progress


def test_best_is_kept_across_restarts(tmp_path: Path) -> None:
    p = Progress(tmp_path / "progress.sqlite3")
    assert p.best("one-server") is None
    assert p.record("one-server", 2, 700)
    assert not p.record("one-server", 1, 900)  # fewer stars is not better
    assert p.record("one-server", 2, 800)
    p.close()
    again = Progress(tmp_path / "progress.sqlite3")
    assert again.best("one-server") == (2, 800)


def test_corrupt_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    p = Progress(path)
    assert "unreadable" in p.problem
    assert p.record("one-server", 3, 1000)
    assert Progress(path).best("one-server") == (3, 1000)
    assert any(f.name.startswith("progress.corrupt-") for f in tmp_path.iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory_keeps_progress_in_memory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    p = Progress(locked / "sub" / "progress.sqlite3")
    assert p.problem
    assert p.record("x", 1, 10) and p.best("x") == (1, 10)


def test_path_that_is_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    path.mkdir()
    p = Progress(path)
    assert p.problem
    assert p.record("x", 1, 10) and p.best("x") == (1, 10)


def test_data_dir_from_environment(tmp_path: Path, monkeypatch) -> None:
    from scaletui.game.progress import data_dir

    monkeypatch.setenv("SCALETUI_DATA_DIR", str(tmp_path / "d"))
    assert data_dir() == tmp_path / "d"
