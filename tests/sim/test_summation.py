"""plain_sum: the same sums on every Python (3.12's sum() compensates float rounding)."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from scaletui.sim.summation import plain_sum

SRC = Path(__file__).resolve().parents[2] / "src" / "scaletui"


def test_plain_sum_rounds_after_every_addition_as_sum_did_before_python_3_12() -> None:
    # 1e16 + 1 rounds back to 1e16 (doubles are 2 apart there): a compensated sum keeps the 1.
    assert plain_sum([1e16, 1.0, -1e16]) == 0.0
    assert plain_sum([0.1] * 10) == 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1
    assert plain_sum([0.1] * 10) != 1.0


def test_plain_sum_keeps_integers_integers_and_takes_a_start() -> None:
    total = plain_sum(len(s) for s in ("ab", "cde"))
    assert total == 5 and type(total) is int
    assert plain_sum([]) == 0 and type(plain_sum([])) is int
    assert plain_sum([0.5, 0.25], 1.0) == 1.75


@given(st.lists(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False), max_size=30))
def test_plain_sum_is_a_left_fold_of_additions(values: list[float]) -> None:
    expected: float = 0
    for v in values:
        expected = expected + v
    assert plain_sum(values) == expected


def test_the_engine_scenario_game_and_runner_never_call_sum() -> None:
    found = []
    for layer in ("sim", "scenario", "game", "runner"):
        for path in sorted((SRC / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sum":
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
