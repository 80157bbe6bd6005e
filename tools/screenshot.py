"""docs/screenshot.png: the game screen as the README shows it.

Plays thundering-herd by its reference plan to 15:40 (cache-1 has just crashed, the
herd reaches the database), selects database-1 and takes Textual's own screenshot (SVG)
at 100x30, the size the README calls readable; rsvg-convert turns it into a PNG 1,400
pixels wide.

    python tools/screenshot.py [OUT.png]
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from scaletui.game.progress import Progress  # noqa: E402
from scaletui.scenario.campaign import solution_path  # noqa: E402
from scaletui.scenario.load import load_plan  # noqa: E402
from scaletui.tui.app import make_app  # noqa: E402

LEVEL, AT, SELECTED, SIZE, WIDTH_PX = "thundering-herd", 15 * 60 + 40, "database-1", (100, 30), 1400


async def svg(workdir: Path) -> str:
    app = make_app(LEVEL, progress=Progress(workdir / "progress.sqlite3"), plan_dir=workdir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the brief: start
        await pilot.pause()
        screen = app.screen
        game = screen.game
        for action in load_plan(solution_path(LEVEL)).actions:
            if action.at > AT:
                break
            game.step(action.at)
            if not game.act(action.command).ok:
                raise SystemExit(f"the reference plan of {LEVEL} was refused at {action.at:g}s")
        game.step(AT)
        screen.select_component(SELECTED)
        screen.redraw(force=True)
        await pilot.pause()
        await pilot.pause()
        return app.export_screenshot(title="scaletui")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        picture = work / "screen.svg"
        picture.write_text(asyncio.run(svg(work)), encoding="utf-8")
        subprocess.run(["rsvg-convert", "-w", str(WIDTH_PX), str(picture), "-o", str(out)], check=True)
    print(out)


if __name__ == "__main__":
    main()
