"""What an unexpected error becomes: one line on stderr, exit 3, and a crash report file.

Exit codes: 0 won, 1 lost, 2 bad input, 3 a bug in scaletui. A bare traceback would
exit 1, the code of a lost game, and scripts could not tell the two apart.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from scaletui import __version__
from scaletui.game.progress import data_dir
from scaletui.scenario.safe_text import visible

EXIT_CRASH = 3


def write_crash_report(exc: BaseException, argv: list[str]) -> Path | None:
    """The traceback and what was run, in the data directory (else the temp directory)."""
    text = (f"scaletui {__version__} crashed at {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
            f"command: {' '.join(argv)}\n"
            f"python {platform.python_version()} on {platform.platform()}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    for folder in (data_dir() / "crashes", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def report_crash(exc: BaseException) -> int:
    """Say it on one line with where the report is; the exit code to use."""
    path = write_crash_report(exc, sys.argv)
    what = " ".join(visible(str(exc)).split())[:200]
    where = f"crash report: {path}" if path is not None else "no crash report could be written"
    print(f"scaletui: internal error ({type(exc).__name__}: {what}); {where}", file=sys.stderr)
    return EXIT_CRASH
