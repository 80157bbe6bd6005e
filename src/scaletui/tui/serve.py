"""The game in a browser: textual-serve starts `scaletui play` for each page, on this machine only."""

from __future__ import annotations

import shlex
import sys

from textual_serve.server import Server

# Only this machine can connect: the page runs a process on the server for each visitor.
LOCAL_HOST = "127.0.0.1"
EXIT_BAD_INPUT = 2


def play_command() -> str:
    """The shell command textual-serve runs for each page: the same app `scaletui play` starts."""
    return f"{shlex.quote(sys.executable)} -m scaletui play"


def serve(port: int) -> int:
    server = Server(play_command(), host=LOCAL_HOST, port=port, title="scaletui")
    try:
        server.serve()
    except OSError as exc:  # the port is taken or not ours to use
        print(f"cannot serve on {LOCAL_HOST}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
