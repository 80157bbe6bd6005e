"""A bug inside the running app ends `scaletui play` like one in `run`: one line, a crash report, exit 3."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

# The real command line in a real pseudo-terminal, with the brief's "start" action broken on purpose.
BROKEN_PLAY = """
import sys
from scaletui.tui.screens.brief import BriefScreen

def broken_start(self):
    raise RuntimeError("deliberate failure in the start action")

BriefScreen.action_start = broken_start
from scaletui.cli import main
sys.argv = ["scaletui", "play", "one-server"]
main()
"""


def _read_until(fd: int, proc: subprocess.Popen, seen: bytearray, want: bytes | None, timeout: float) -> None:
    """Collect the terminal's output until `want` shows (None: until the process ends)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if want is not None and want in seen:
            return
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal closed: the process has gone
                chunk = b""
            seen.extend(chunk)
            if not chunk and proc.poll() is not None:
                return
        elif want is None and proc.poll() is not None:
            return
    raise AssertionError(f"timed out waiting for {want!r}; the terminal showed:\n{bytes(seen[-2000:])!r}")


def test_a_crash_inside_the_app_exits_3_with_a_report(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = dict(os.environ, SCALETUI_DATA_DIR=str(tmp_path), TERM="xterm-256color", COLUMNS="100", LINES="30")
    env.pop("TEXTUAL_DRIVER", None)
    proc = subprocess.Popen([sys.executable, "-c", BROKEN_PLAY], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, proc, seen, b"One", timeout=30)  # the brief is on screen
        os.write(master, b"\r")  # Enter: start, which is broken
        _read_until(master, proc, seen, None, timeout=30)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = bytes(seen).decode("utf-8", "replace")
    assert code == 3, text[-2000:]
    lines = [ln for ln in text.splitlines() if "scaletui: internal error" in ln]
    assert len(lines) == 1, text[-2000:]
    assert "RuntimeError: deliberate failure in the start action" in lines[0]
    assert "Traceback" not in text  # neither Python's nor Textual's
    reports = list((tmp_path / "crashes").glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in lines[0]
    report = reports[0].read_text(encoding="utf-8")
    assert "Traceback" in report and "deliberate failure in the start action" in report
