"""Best stars per scenario, in an SQLite file in the user's data directory.

A missing, unreadable or corrupt file never stops the game: progress is then kept
in memory for the session (and a corrupt file is set aside, not deleted).
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


class Progress:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "progress.sqlite3"
        self.memory: dict[str, tuple[int, int]] = {}
        self.problem = ""
        self.db: sqlite3.Connection | None = None
        self._open()

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=2.0)
            self.db.execute(SCHEMA)
            self.db.commit()
            for name, stars, score in self.db.execute("SELECT scenario, stars, score FROM best"):
                self.memory[name] = (int(stars), int(score))
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
        except OSError as exc:
            self.problem = f"progress not saved ({exc})"
            self.db = None

    def _set_aside(self, exc: Exception) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        try:
            aside = self.path.with_suffix(f".corrupt-{int(time.time())}")
            self.path.rename(aside)
            self.problem = f"progress file was unreadable ({exc}); kept as {aside.name}, starting afresh"
            self.db = sqlite3.connect(self.path, timeout=2.0)
            self.db.execute(SCHEMA)
            self.db.commit()
        except (OSError, sqlite3.DatabaseError) as exc2:
            self.problem = f"progress not saved ({exc2})"
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
                self.problem = f"progress not saved ({exc})"
        return True

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
