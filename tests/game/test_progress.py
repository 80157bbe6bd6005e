"""Best stars survive restarts; a corrupt or unwritable file never stops the game."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
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


def as_unprivileged_user(code: str, folder: Path) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python as a user who is not root (CI runs the suite as root,
    for whom every file is writable): as nobody through setpriv when root."""
    src = str(Path(__file__).resolve().parents[2] / "src")
    cmd = [sys.executable, "-c", f"import sys; sys.path.insert(0, {src!r})\n" + textwrap.dedent(code)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to test as a non-root user"
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = {"PATH": os.environ.get("PATH", ""), "SCALETUI_DATA_DIR": str(folder)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, cwd=folder)


@pytest.fixture
def shared_dir():
    """A directory outside root's private pytest tree, readable by every user."""
    folder = Path(tempfile.mkdtemp(prefix="scaletui-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_read_only_file_and_unwritable_directory_as_a_non_root_user(shared_dir: Path) -> None:
    path = shared_dir / "progress.sqlite3"
    p = Progress(path)
    p.record("one-server", 2, 700)
    p.close()
    path.chmod(0o444)  # owned by root, the directory too: nobody can write either
    before = path.read_bytes()
    out = as_unprivileged_user(f"""
        from pathlib import Path
        from scaletui.game.progress import Progress
        p = Progress(Path({str(path)!r}))
        print(p.best("one-server"), len(p.problems), "cannot be written" in p.problem)
        print(p.record("one-server", 3, 900), p.best("one-server"))
        q = Progress(Path({str(shared_dir)!r}) / "sub" / "progress.sqlite3")
        print(bool(q.problem), q.record("x", 1, 10), q.best("x"))
        """, shared_dir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["(2, 700) 1 True", "True (3, 900)", "True True (1, 10)"]
    assert path.read_bytes() == before
    assert sorted(f.name for f in shared_dir.iterdir()) == ["progress.sqlite3"]


@pytest.mark.parametrize("lock", ["IMMEDIATE", "EXCLUSIVE"])
def test_a_locked_file_is_not_corrupt(tmp_path: Path, monkeypatch, lock: str) -> None:
    path = tmp_path / "progress.sqlite3"
    p = Progress(path)
    p.record("one-server", 2, 700)
    p.close()
    monkeypatch.setattr("scaletui.game.progress.LOCK_WAIT_S", 0.1)
    other = sqlite3.connect(path)
    other.execute(f"BEGIN {lock}")  # another scaletui writing
    locked = Progress(path)
    assert len(locked.problems) == 1 and "cannot be written" in locked.problem
    if lock == "IMMEDIATE":  # readers may still read: the stars are shown
        assert locked.best("one-server") == (2, 700)
    assert locked.record("one-server", 3, 900)  # kept in memory
    other.rollback()
    other.close()
    assert [f.name for f in tmp_path.iterdir()] == ["progress.sqlite3"]  # nothing set aside
    assert Progress(path).best("one-server") == (2, 700)


def make_rows(path: Path, rows: list[tuple]) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE best (scenario TEXT PRIMARY KEY, stars, score, updated REAL)")
    db.executemany("INSERT INTO best VALUES (?, ?, ?, 0)", rows)
    db.commit()
    db.close()


def test_bad_rows_are_skipped_with_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    make_rows(path, [("a", "abc", 1), ("b", None, 1), ("c", 2_000_000_000, 5), ("d", 2, "x"), ("e", 3, 950)])
    p = Progress(path)
    assert p.memory == {"e": (3, 950)}
    assert p.problems == [f"progress file {path}: skipped 4 unreadable row(s)"]
    assert p.record("a", 1, 10) and Progress(path).best("a") == (1, 10)  # a bad row is replaced


def test_a_failed_write_is_said(tmp_path: Path) -> None:
    p = Progress(tmp_path / "progress.sqlite3")
    assert p.db is not None
    p.db.execute("PRAGMA query_only = ON")  # every write now fails, as on a damaged file
    assert p.record("x", 1, 10) and p.best("x") == (1, 10)
    assert p.record("x", 2, 10)
    assert len(p.problems) == 1 and p.problems[0].startswith("progress not saved to ")


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
