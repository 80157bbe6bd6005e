"""Seeded fuzzing of the command line over the shipped scenarios and plans and the
README's examples (issue 9's done-when).

Each mutated file is run as `scaletui run FILE --json` (a plan: `run SCENARIO --plan
FILE --json`), and some through `validate`, in-process. Whatever the mutation, the
answer is exit 0 or 1 with one valid JSON object (no NaN, no Infinity), or exit 2 with
every stderr line a `file:line:col: message` and no control character; never exit 3
(an internal error), never a traceback, each case within a time bound, and the
process within a memory bound. The scenarios are shortened to 20 s first (later events
and actions dropped), so that a few hundred cases run in seconds.
"""

from __future__ import annotations

import json
import random
import re
import resource
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaletui.cli import main
from scaletui.scenario.campaign import campaign_dir
from scaletui.scenario.durations import parse_duration

SEED = 20261130
CASES = 320
CASE_SECONDS = 5.0  # one case, load to JSON
PEAK_RSS_MB = 1500  # the whole test process
SHORT_S = 20.0
ROOT = Path(__file__).resolve().parents[2]
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: \S.*$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# What a hostile hand puts where a value was.
VALUES = [".inf", "-.inf", ".nan", "1e308", "-1", "0", "1e300", "true", "''", "9" * 40, "abc",
          "!!int 3", "!!python/name:os.system", "[/oops]", '"\\e[2J"', '"\\x00"', "x1e9", "xinf",
          "1e9d", "-5m", "0.25", "10000.25", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
          "{}", "[]", "~", "yes", "1:30", "010", "&a 1", "*a", "\"[bold]t[/x]\"", "1e-320", "-0"]
AT = re.compile(r"\{at: ([^,}]+)")


def _shorten(text: str) -> str:
    """The same file lasting SHORT_S: later events and actions (one per line) dropped."""
    text = re.sub(r"(?m)^duration: .*$", f"duration: {SHORT_S:g}s", text)
    text = re.sub(r"(?m)^report_every: .*$", "", text)
    kept = []
    for line in text.splitlines():
        m = AT.search(line)
        if m:
            try:
                if parse_duration(m.group(1).strip().strip('"')) >= SHORT_S:
                    continue
            except ValueError:
                pass
        kept.append(line)
    for j, line in enumerate(kept):  # a list left with no items
        if line in ("events:", "actions:") and not (j + 1 < len(kept) and kept[j + 1].lstrip().startswith("- ")):
            kept[j] = line + " []"
    return "\n".join(kept) + "\n"


def _seeds() -> list[tuple[str, str, str | None]]:
    """(kind, text, scenario file for plans) for every shipped file and README example."""
    out: list[tuple[str, str, str | None]] = []
    for path in sorted(campaign_dir().glob("*.yaml")):
        if path.name.endswith(".plan.yaml"):
            scenario = path.with_name(path.name.replace(".plan.yaml", ".yaml"))
            out.append(("plan", _shorten(path.read_text()), _shorten(scenario.read_text())))
        else:
            out.append(("scenario", _shorten(path.read_text()), None))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml\n")[1:]]
    if len(blocks) >= 2:
        out.append(("scenario", _shorten(blocks[0]), None))
        out.append(("plan", _shorten(blocks[1]), _shorten(blocks[0])))
    return out


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        op = rng.randrange(8)
        if op <= 2:  # a value replaced
            spots = list(re.finditer(r"(?<=: )[^,{}\[\]\n]+|(?<=\[)[^,\]\n]+|(?<=, )[^,}\]\n]+", lines[i]))
            if spots:
                m = rng.choice(spots)
                lines[i] = lines[i][: m.start()] + rng.choice(VALUES) + lines[i][m.end():]
        elif op == 3:  # a line dropped or repeated
            if rng.random() < 0.5:
                del lines[i]
            else:
                lines.insert(i, lines[i])
        elif op == 4:  # a character inserted
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(["\x00", "\x7f", "\x1b", "[", "]", "{", ":", "&", "*", "!",
                                                    "#", "'", '"', "\t", "é", " "]) + lines[i][pos:]
        elif op == 5:  # a key renamed
            lines[i] = re.sub(r"\b([a-z_]+)(?=:)", lambda m: m.group(1)[::-1] if rng.random() < 0.5 else m.group(1) + "x",
                              lines[i], count=1)
        elif op == 6:  # indentation broken
            lines[i] = (" " * rng.randint(0, 5)) + lines[i].lstrip()
        else:  # cut off
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: rng.randint(0, len(lines[-1]))]
    return "\n".join(lines) + "\n"


def _check(result, label: str) -> str:
    out, err = result.stdout, result.stderr
    assert result.exit_code in (0, 1, 2), f"{label}: exit {result.exit_code}: {err[-500:]}"
    assert "Traceback" not in out + err, label
    if result.exit_code == 2:
        lines = err.strip().splitlines()
        assert lines, label
        for line in lines:
            assert PROBLEM_LINE.match(line), f"{label}: {line!r}"
            assert not CONTROL.search(line), f"{label}: {line!r}"
        return "bad"

    def no_constant(name: str) -> None:
        raise AssertionError(f"{label}: {name} in the JSON")

    report = json.loads(out, parse_constant=no_constant)
    assert report["outcome"] in ("won", "lost"), label
    return "ran"


def test_mutated_files_end_in_a_report_or_file_line_col(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    seeds = _seeds()
    assert len(seeds) >= 26  # 13 scenarios, their 12 plans, the README's two examples
    runner = CliRunner()
    tally = {"ran": 0, "bad": 0}
    slowest = 0.0
    for n in range(CASES):
        kind, text, scenario = seeds[n % len(seeds)]
        mutated = _mutate(text, rng)
        path = tmp_path / (f"case{n}.plan.yaml" if kind == "plan" else f"case{n}.yaml")
        path.write_text(mutated, encoding="utf-8", errors="surrogatepass")
        if kind == "plan":
            level = tmp_path / f"level{n}.yaml"
            level.write_text(scenario or "", encoding="utf-8")
            args = ["run", str(level), "--plan", str(path), "--json"]
        else:
            args = ["run", str(path), "--json"]
        if n % 10 == 9:
            args = ["validate", *args[1:-1]] if kind == "scenario" else ["validate", str(level), str(path)]
        start = time.perf_counter()
        result = runner.invoke(main, args)
        took = time.perf_counter() - start
        slowest = max(slowest, took)
        label = f"case {n} ({' '.join(args[:1])} of a mutated {kind}):\n{mutated[:2000]}"
        assert took < CASE_SECONDS, f"{label}: {took:.1f}s"
        if args[0] == "validate":
            assert result.exit_code in (0, 2) and "Traceback" not in result.stderr, label
            tally["bad" if result.exit_code else "ran"] += 1
            continue
        tally[_check(result, label)] += 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < PEAK_RSS_MB
    # Both outcomes must be exercised, or the mutator is not testing anything.
    assert tally["ran"] >= CASES // 10 and tally["bad"] >= CASES // 3, tally


@pytest.mark.parametrize("name", ["one-server", "millions"])
def test_shortened_seeds_run(tmp_path: Path, name: str) -> None:
    level = tmp_path / f"{name}.yaml"
    level.write_text(_shorten((campaign_dir() / f"{name}.yaml").read_text()))
    result = CliRunner().invoke(main, ["run", str(level), "--json"])
    assert _check(result, name) == "ran"
