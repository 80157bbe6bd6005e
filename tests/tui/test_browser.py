"""`scaletui serve` in a real headless Chromium: start level 1 with keys and watch the clock run.

Chromium is driven over the Chrome DevTools protocol with aiohttp's WebSocket client (aiohttp
comes with textual-serve), so no browser download or extra package is needed.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium; .ci/run does it)")

# xterm.js draws on a canvas, so the page has no text to read. This runs before the page's
# own script and keeps the terminal object textual-serve assigns to `this.terminal`, so the
# test can read the screen from the terminal's buffer through xterm's public API.
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active) window.__terminal = value;
  },
});
"""
SCREEN_TEXT = """(() => {
  const t = window.__terminal;
  if (!t) return "";
  const b = t.buffer.active, rows = [];
  for (let y = 0; y < t.rows; y++) { const line = b.getLine(y); rows.push(line ? line.translateToString(true) : ""); }
  return rows.join("\\n");
})()"""
KEYS = {  # key, code, Windows key code, text
    "Enter": ("Enter", "Enter", 13, "\r"),
    "Space": (" ", "Space", 32, " "),
}
CLOCK = re.compile(r"(\d+):(\d\d):(\d\d)/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevTools:
    """The few DevTools calls the test needs, over one page's WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.last_id = 0

    async def call(self, method: str, **params: object) -> dict:
        self.last_id += 1
        await self.ws.send_json({"id": self.last_id, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json()
            if msg.get("id") == self.last_id:
                assert "error" not in msg, msg
                return msg["result"]

    async def screen(self) -> str:
        result = await self.call("Runtime.evaluate", expression=SCREEN_TEXT, returnByValue=True)
        return result["result"].get("value", "")

    async def press(self, name: str) -> None:
        key, code, vk, text = KEYS[name]
        common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=text, **common)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **common)

    async def wait_for(self, text: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = await self.screen()
            if text in screen:
                return screen
            await asyncio.sleep(0.2)
        raise AssertionError(f"'{text}' never appeared in the browser; it showed:\n{screen}")


def _clock_seconds(screen: str) -> int:
    match = CLOCK.search(screen)
    assert match, f"no clock on the screen:\n{screen}"
    h, m, s = map(int, match.groups())
    return h * 3600 + m * 60 + s


async def _play_level_one(url: str, profile: Path, screenshot: Path | None) -> tuple[str, int, int]:
    chromium = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1100,700", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert chromium.stderr is not None
        devtools_port = None
        for line in chromium.stderr:  # it says where DevTools listens before anything else happens
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                devtools_port = int(found.group(1))
                break
        assert devtools_port, "Chromium did not start DevTools"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{devtools_port}/json/list") as resp:
                page = next(t for t in await resp.json() if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tab = DevTools(ws)
                await tab.call("Page.enable")
                await tab.call("Page.addScriptToEvaluateOnNewDocument", source=KEEP_TERMINAL)
                await tab.call("Page.navigate", url=url)
                campaign = await tab.wait_for("One server", timeout=20)
                assert "vertical scaling" in campaign
                await tab.call("Runtime.evaluate", expression="window.__terminal.focus()")  # keys go to it
                await tab.press("Enter")  # level 1: its brief
                await tab.wait_for("you start with", timeout=10)
                await tab.press("Enter")  # start it
                game = await tab.wait_for("Topology", timeout=10)
                assert "PAUSED" in game
                await tab.press("Space")  # run
                first = await tab.wait_for("▶", timeout=10)
                await asyncio.sleep(1.5)
                later = await tab.screen()
                if screenshot is not None:
                    shot = await tab.call("Page.captureScreenshot", format="png")
                    screenshot.write_bytes(base64.b64decode(shot["data"]))
                return later, _clock_seconds(first), _clock_seconds(later)
    finally:
        chromium.kill()
        chromium.wait(timeout=10)


def test_serve_plays_level_one_in_chromium(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, SCALETUI_DATA_DIR=str(tmp_path / "data"))
    # A session of its own, so the game processes textual-serve starts are stopped with it.
    server = subprocess.Popen([sys.executable, "-m", "scaletui", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        end = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < end, "scaletui serve did not listen within 15 s"
                time.sleep(0.1)
        # SCALETUI_BROWSER_PNG=docs/browser.png keeps what the browser showed (the README's picture).
        screenshot = Path(os.environ["SCALETUI_BROWSER_PNG"]) if os.environ.get("SCALETUI_BROWSER_PNG") else None
        screen, first, later = asyncio.run(
            asyncio.wait_for(_play_level_one(f"http://127.0.0.1:{port}/", tmp_path / "chromium", screenshot), 45))
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    assert "web-1" in screen and "Objectives" in screen  # the topology and the level's goals
    assert later > first, f"the clock did not move: {first} s then {later} s\n{screen}"


def _outward_address() -> str | None:
    """This machine's address on its network, if it has one besides loopback (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the route
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def _refused(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=1).close()
    except OSError:
        return True
    return False


def test_serve_is_reachable_from_this_machine_only_and_says_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "scaletui", "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=30)
    assert out.returncode == 2, out.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr

    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback to check against")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "scaletui", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        end = time.monotonic() + 15
        while _refused("127.0.0.1", port):
            assert server.poll() is None and time.monotonic() < end, "scaletui serve did not listen"
            time.sleep(0.1)
        assert _refused(address, port), f"scaletui serve answered on {address}, not only on 127.0.0.1"
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
