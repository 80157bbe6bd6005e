"""`scaletui compare` as a user runs it: two reports, two plans, or a plan against the reference."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scaletui.cli import main

LATE = "actions:\n  - {at: 5m, add: load_balancer}\n  - {at: 5m, add: web, count: 2, size: large}\n"


def run(*args: str):
    result = CliRunner().invoke(main, ["compare", *args], catch_exceptions=False, terminal_width=100)
    return result.exit_code, result.stdout, result.stderr


def test_a_plan_against_the_reference(tmp_path: Path) -> None:
    plan = tmp_path / "late.plan.yaml"
    plan.write_text(LATE)
    code, out, err = run("scale-out", "--plan", str(plan))
    assert code == 0, err
    assert "late.plan.yaml" in out and "reference" in out
    assert "lost ☆☆☆" in out and "won ★★★" in out
    # The reference acts at 2:00, the late plan at 5:00, in one time-ordered table.
    assert out.index("0:02:00") < out.index("0:05:00")
    for name in ("requests/s", "errors", "p95", "cost/h", "target 250 ms", "max 3,"):
        assert name in out


def test_two_saved_reports(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path, args in ((a, []), (b, ["--plan", str(Path(__file__).parents[1] / "scenarios" / "one-server.plan.yaml")])):
        r = CliRunner().invoke(main, ["run", "one-server", "--json", *args], catch_exceptions=False)
        path.write_text(r.stdout)
    code, out, err = run(str(a), str(b))
    assert code == 0, err
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    assert f"{ra['totals']['failed']:,}" in out and f"{rb['totals']['failed']:,}" in out
    assert "different scenarios" not in out
    # Both lines start at minute 0; the run that ended sooner (lost early) stops sooner.
    assert ra["ended_at_s"] < rb["ended_at_s"]
    lines = out.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.strip().startswith("requests/s"))
    blocks = "▁▂▃▄▅▆▇█"
    first = [min(ln.index(ch) for ch in blocks if ch in ln) for ln in lines[i:i + 2]]
    last = [max(ln.rindex(ch) for ch in blocks if ch in ln) for ln in lines[i:i + 2]]
    assert first[0] == first[1] and last[0] < last[1]


def test_bad_input_names_file_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "scenario": }\n')
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    code, out, err = run(str(broken), str(other))
    assert code == 2 and out == ""
    assert f"{broken}:2:15: not JSON" in err
    code, _, err = run(str(other), str(other))
    assert code == 2 and f"{other}:1:1: not a scaletui run report" in err
    code, _, err = run(str(other))
    assert code == 2 and "give two JSON reports" in err
    code, _, err = run(str(tmp_path / "missing.json"), str(other))
    assert code == 2 and "missing.json:1:1: cannot read it" in err
    code, _, err = run("sandbox", "--plan", str(tmp_path / "nope.yaml"), "--plan", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err and "Traceback" not in err
