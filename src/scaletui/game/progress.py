"""Best stars per scenario, in an SQLite file in the user's data directory.

A missing, unreadable, locked or corrupt file never stops the game, and never costs a
healthy file: progress is then kept in memory for the session and the trouble is told
once (`problems`). Only a file SQLite cannot read as a database is set aside (renamed,
not deleted). A file locked by another scaletui is read without writing; rows that do
not hold a star count of 0 to 3 and a whole score are skipped.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("SCALETUI_DATA_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "scaletui"


SCHEMA = """
CREATE TABLE IF NOT EXISTS best (
    scenario TEXT PRIMARY KEY,
    stars INTEGER NOT NULL,
    score INTEGER NOT NULL,
    updated REAL NOT NULL
)
"""


LOCK_WAIT_S = 10.0  # another scaletui writing holds the lock for milliseconds
MAX_STARS = 3
MAX_SCORE = 10**9


class Progress:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "progress.sqlite3"
        self.memory: dict[str, tuple[int, int]] = {}
        self.problems: list[str] = []
        self.db: sqlite3.Connection | None = None
        self._open()

    @property
    def problem(self) -> str:
        return "; ".join(self.problems)

    def _say(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # SQLite opens a file it cannot write read-only without a word, and needs the
            # directory for its journal: tell it now rather than lose the next best result.
            if self.path.exists() and not (os.access(self.path, os.W_OK)
                                           and os.access(self.path.parent, os.W_OK | os.X_OK)):
                self._read_only(PermissionError("read-only"))
                return
            self.db = sqlite3.connect(self.path, timeout=LOCK_WAIT_S)
            self.db.execute(SCHEMA)
            self.db.commit()
            # Take the write lock once now, so that a read-only or busy file is told at the
            # start, not by a best result that silently fails to save.
            self.db.execute("BEGIN IMMEDIATE")
            self.db.rollback()
            self._read()
        except sqlite3.OperationalError as exc:
            # Locked, read-only, or no room: the file may be healthy; never set it aside.
            self._close()
            self._read_only(exc)
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
        except OSError as exc:
            self._close()
            self._say(f"progress not saved ({exc})")

    def _read(self) -> None:
        assert self.db is not None
        skipped = 0
        for name, stars, score in self.db.execute("SELECT scenario, stars, score FROM best"):
            if (isinstance(name, str) and isinstance(stars, int) and isinstance(score, int)
                    and 0 <= stars <= MAX_STARS and abs(score) <= MAX_SCORE):
                self.memory[name] = (stars, score)
            else:
                skipped += 1
        if skipped:
            self._say(f"progress file {self.path}: skipped {skipped} unreadable row(s)")

    def _read_only(self, why: Exception) -> None:
        """Read what can be read without writing; new bests stay in memory."""
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT_S)
            self._read()
        except (sqlite3.DatabaseError, OSError, ValueError):
            pass
        finally:
            self._close()
        self._say(f"progress file {self.path} cannot be written ({why}); new best results are kept "
                  "for this session only")

    def _set_aside(self, exc: Exception) -> None:
        self._close()
        try:
            aside = self.path.with_suffix(f".corrupt-{int(time.time())}")
            self.path.rename(aside)
            self._say(f"progress file was unreadable ({exc}); kept as {aside.name}, starting afresh")
            self.db = sqlite3.connect(self.path, timeout=LOCK_WAIT_S)
            self.db.execute(SCHEMA)
            self.db.commit()
        except (OSError, sqlite3.DatabaseError) as exc2:
            self._close()
            self._say(f"progress not saved ({exc2})")

    def _close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def best(self, scenario: str) -> tuple[int, int] | None:
        return self.memory.get(scenario)

    def record(self, scenario: str, stars: int, score: int) -> bool:
        """Keep the better result; True if it is a new best."""
        old = self.memory.get(scenario)
        if old is not None and (old[0], old[1]) >= (stars, score):
            return False
        self.memory[scenario] = (stars, score)
        if self.db is not None:
            try:
                self.db.execute(
                    "INSERT INTO best (scenario, stars, score, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(scenario) DO UPDATE SET stars=excluded.stars, score=excluded.score, "
                    "updated=excluded.updated",
                    (scenario, stars, score, time.time()),
                )
                self.db.commit()
            except sqlite3.DatabaseError as exc:
                self._say(f"progress not saved to {self.path} ({exc}); the new best is kept for this session only")
        return True

    def close(self) -> None:
        self._close()
