"""Every `# type: ignore` in src/ names its error code and says why beside it.

The test command type-checks src/ with mypy; an ignore without a reason hides a real
error from the next reader as well as from the checker.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "scaletui"
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[a-z-, ]+\])?(?P<rest>.*)$")


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    bare = []
    for path in sorted(SRC.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = IGNORE.search(line)
            if m and (not m.group("code") or not re.match(r"\s*#\s*\S", m.group("rest"))):
                bare.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert bare == []
