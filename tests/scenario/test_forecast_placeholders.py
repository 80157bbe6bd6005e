"""Forecasts as ranges: `say` placeholders, varied events in the JSON report, bad input.

Expected texts come from the documented formulas written here: range [T - size (T - P),
T + size (T - P)], rounded outward to two significant figures; requests/s are users x
rps_per_user; times are T / P.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaletui.cli import main
from scaletui.scenario import load_scenario

SCENARIO = """\
name: show
duration: 10m
seed: 4
traffic: {{users: {users}, rps_per_user: {rpu}, mix: {{static: 1}}}}
topology:
  - {{kind: web, size: xlarge, count: 2}}
events:
  - {{at: 1m, say: "{say}"}}
  - {{at: 4m, id: show, traffic: {{users: {target}}}, over: 1m{vary}}}
  - {{at: 7m30s, id: crash, fail: web-1}}
  - {{at: 8m, id: calm, traffic: {{users: x0.5}}}}
"""
P, T, RPU, SIZE = 2000, 7600, 0.5, 0.3


def write(tmp_path: Path, say: str, vary: str = ", vary: {size: 0.3, at: 2m}", name: str = "s.yaml",
          users: int = P) -> Path:
    p = tmp_path / name
    p.write_text(SCENARIO.format(users=users, rpu=RPU, say=say, target=T, vary=vary), encoding="utf-8")
    return p


def said(path: Path) -> str:
    say = load_scenario(path).config.events[0].say
    assert say is not None
    return say


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def down2(x: float) -> int:
    """Down to two significant figures (x >= 10)."""
    step = 10 ** (len(str(int(x))) - 2)
    return int(x // step * step)


def up2(x: float) -> int:
    step = 10 ** (len(str(int(x))) - 2)
    return int(math.ceil(x / step) * step)


def test_a_varied_surge_is_announced_as_ranges_that_cover_every_draw(tmp_path: Path) -> None:
    path = write(tmp_path, "Featured {show.at}, {show.users}: {show.rps} by {show.end}, {show.times}.")
    spread = SIZE * (T - P)
    lo, hi = T - spread, T + spread  # 5,920 and 9,280 users
    rps = f"between {down2(lo * RPU):,} and {up2(hi * RPU):,} requests/s"
    assert rps == "between 2,900 and 4,700 requests/s"
    # T / P spans 2.96 to 4.64: to tenths (two figures), outward.
    times = f"between {math.floor(lo / P * 10) / 10:g} and {math.ceil(hi / P * 10) / 10:g} times"
    assert times == "between 2.9 and 4.7 times"
    assert said(path) == (f"Featured between 2m and 6m, between {down2(lo):,} and {up2(hi):,} users: {rps} "
                          f"by between 3m and 7m, {times}.")


def test_an_event_that_does_not_vary_is_announced_as_about(tmp_path: Path) -> None:
    path = write(tmp_path, "{show.at}: {show.users}, {show.rps}, {show.times}; {crash.at}; {calm.times}.",
                 vary="")
    assert said(path) == (f"at 4m: about {T:,} users, about {T * RPU:,.0f} requests/s, about {T / P:.1f} times; "
                          f"at 7m30s; about 0.5 times.")


def test_double_braces_are_braces_and_the_text_is_the_same_on_every_seed(tmp_path: Path) -> None:
    path = write(tmp_path, "{{literal}} {show.at} }}")
    assert said(path) == "{literal} between 2m and 6m }"
    outs = [json.loads(run("run", str(path), "--json", "--seed", str(s))[1]) for s in (1, 2)]
    says = [[e["message"] for e in out["events"] if e["kind"] == "say"] for out in outs]
    assert says[0] == says[1] == ["{literal} between 2m and 6m }"]


def test_the_report_lists_the_draws_and_they_are_what_the_log_says(tmp_path: Path) -> None:
    path = write(tmp_path, "soon")
    spread = SIZE * (T - P)
    first = run("run", str(path), "--json", "--seed", "1")[1]
    assert run("run", str(path), "--json", "--seed", "1")[1] == first  # same seed, same bytes
    draws = []
    for out in (json.loads(first), json.loads(run("run", str(path), "--json", "--seed", "2")[1])):
        (d,) = out["drawn_events"]
        assert d["id"] == "show" and 120 <= d["at"] <= 360 and T - spread <= d["users"] <= T + spread
        surge = next(e for e in out["events"] if e["kind"] == "surge")
        assert surge["t"] == d["at"] and f"rises to {d['users']:,.0f} users" in surge["message"]
        draws.append((d["at"], d["users"]))
    assert draws[0][0] != draws[1][0] and draws[0][1] != draws[1][1]  # two seeds, two surges


def test_without_a_draw_the_report_is_the_same_bytes_as_without_vary(tmp_path: Path) -> None:
    plain = write(tmp_path, "soon", vary="", name="plain.yaml")
    zero = write(tmp_path, "soon", vary=", vary: {size: 0, at: 0s}", name="zero.yaml")
    a = run("run", str(plain), "--json")[1]
    b = run("run", str(zero), "--json")[1]
    assert a == b and "drawn_events" not in json.loads(a)
    # The unvaried surge is played as written: 7,600 users at 4m.
    surge = next(e for e in json.loads(a)["events"] if e["kind"] == "surge")
    assert surge["t"] == 240 and f"rises to {T:,} users" in surge["message"]


def _where(path: Path, needle: str, nth_line: int) -> str:
    line = path.read_text().splitlines()[nth_line - 1]
    return f"{path}:{nth_line}:{line.index(needle) + 1}: "


@pytest.mark.parametrize("say, message", [
    ("{shwo.at}", "unknown event id 'shwo'"),
    ("{show.rsp}", "unknown field 'rsp'"),
    ("{crash.rps}", "event 'crash' does not change the users"),
    ("{show}", "'{show}' is not a placeholder"),
    ("a { brace", "a lone '{'"),
])
def test_a_bad_placeholder_is_the_says_line_and_column_and_exit_2(tmp_path: Path, say: str, message: str) -> None:
    path = write(tmp_path, say)
    code, out, err = run("run", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(_where(path, '"', 8) + "say: ")
    assert message in err


def test_a_duplicate_id_and_a_size_on_a_fail_event_are_refused_where_they_are(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    text = SCENARIO.format(users=P, rpu=RPU, say="soon", target=T, vary="")
    text = text.replace("id: crash, fail: web-1", "id: show, fail: web-1, vary: {size: 0.2}")
    path.write_text(text, encoding="utf-8")
    code, out, err = run("run", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        _where(path, "show, fail", 10) + "event id 'show' is used twice",
        _where(path, "0.2", 10) + "vary: size varies a change of users: only on a traffic event that sets "
                                  "users (a number or xF)",
    ]


def test_an_id_starts_with_a_letter(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""\
        name: x
        duration: 10m
        events:
          - {at: 1m, id: 1st, say: hi}
        """), encoding="utf-8")
    code, _, err = run("run", str(path))
    assert code == 2 and err.startswith(_where(path, "1st", 4) + "id: '1st' is not a valid name")
    assert "starting with a letter\n" in err


def test_the_json_schema_documents_id_vary_and_placeholders() -> None:
    code, out, _ = run("schema")
    assert code == 0
    event = json.loads(out)["scenario"]["$defs"]["EventSpec"]["properties"]
    vary = json.loads(out)["scenario"]["$defs"]["VarySpec"]["properties"]
    assert event["id"]["anyOf"][0]["pattern"] == "^[a-z][a-z0-9_-]*$"
    assert "{ID.rps}" in event["id"]["description"] and "{{" in event["say"]["description"]
    assert vary["size"]["exclusiveMaximum"] == 1 and "at" in vary


def test_the_error_budget_is_a_share_of_the_requests_the_drawn_script_offers(tmp_path: Path) -> None:
    from scaletui.game.session import Game

    scenario = load_scenario(write(tmp_path, "soon"))
    for seed in (1, 2):
        game = Game(scenario, seed=seed)
        (d,) = game.engine.drawn
        a, u = d.at, d.users
        assert u is not None
        # P users until the surge, a 1m ramp to U, U until 8m, then half of U to the end (10m).
        users_seconds = P * a + (P + u) / 2 * 60 + u * (480 - a - 60) + u / 2 * 120
        allowed = (1 - 0.999) * users_seconds * RPU
        assert abs(game.view().failures_allowed - allowed) <= 0.01 * allowed
