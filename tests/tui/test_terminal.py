"""The real `scaletui play` in a real terminal (tmux): start, play, read the screen, quit."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def _screen(session: str) -> str:
    return _tmux("capture-pane", "-p", "-t", session)


def _wait_for(session: str, text: str, timeout: float = 20.0) -> str:
    end = time.time() + timeout
    screen = ""
    while time.time() < end:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"'{text}' never appeared; the screen was:\n{screen}")


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_play_in_tmux(tmp_path: Path, size) -> None:
    session = f"scaletui-test-{size[0]}-{time.time_ns()}"
    cmd = f"SCALETUI_DATA_DIR={tmp_path} {sys.executable} -m scaletui play one-server"
    _tmux("new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), cmd)
    try:
        _tmux("set", "-s", "escape-time", "0")
        brief = _wait_for(session, "you start with") if size[1] >= 30 else _wait_for(session, "One server")
        assert "One server" in brief
        _tmux("send-keys", "-t", session, "Enter")
        game = _wait_for(session, "Topology")
        assert "web-1" in game and "Objectives" in game and "PAUSED" in game
        _tmux("send-keys", "-t", session, "Space")
        _wait_for(session, "▶ 10x")
        time.sleep(1.0)
        running = _screen(session)
        assert "0:00:00/" not in running  # the clock moved
        _tmux("send-keys", "-t", session, "a")
        dialog = _wait_for(session, "Add what?")
        assert "allows no new components" in dialog
        _tmux("send-keys", "-t", session, "Escape")
        _tmux("send-keys", "-t", session, "C-q")
        end = time.time() + 10
        while time.time() < end and session in _tmux("ls"):
            time.sleep(0.2)
        assert session not in _tmux("ls")
    finally:
        _tmux("kill-session", "-t", session)


def test_play_without_a_terminal_exits_2() -> None:
    out = subprocess.run([sys.executable, "-m", "scaletui", "play"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "needs a terminal" in out.stderr


def test_unknown_theme_is_refused_before_starting() -> None:
    from scaletui.tui.launch import launch
    from scaletui.tui.themes import theme_names

    assert "nord" in theme_names() and "textual-light" in theme_names()
    assert launch(None, theme="no-such-theme") == 2


def test_bad_scenario_file_is_refused_before_starting(tmp_path: Path, capsys) -> None:
    from scaletui.tui.launch import launch

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration: soon\n")
    assert launch(str(bad)) == 2
    assert capsys.readouterr().err.startswith(f"{bad}:2:11: duration:")
