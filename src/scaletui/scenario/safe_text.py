"""Text from files made safe to show on a terminal: control characters become escapes.

A title such as "T\x1b]0;PWNED\x07" would otherwise retitle the window or clear the
screen. Loading refuses such text; this is for what is echoed back in error messages
(unknown keys, file names) and for anything shown that did not pass through loading.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and C1 controls: the characters that drive terminals.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NAMES = {0: "NUL", 0x07: "BEL", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


def visible(text: str) -> str:
    """`text` with each control character written as an escape (\\x1b)."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def char_name(ch: str) -> str:
    """U+001B (ESC): how a message names one character."""
    code = ord(ch)
    name = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")
