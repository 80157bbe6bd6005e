"""Undo an addition while it still boots: what it added goes, and its cost is refunded."""

from __future__ import annotations

import json

import pytest

from scaletui.game.plans import play_plan, record_plan
from scaletui.game.session import Game
from scaletui.scenario.load import load_plan
from scaletui.sim.commands import Add


def test_undo_while_booting_refunds_and_replays(make_game, tmp_path) -> None:
    game = make_game()
    game.step(60)
    base = game.engine.cost_per_hour()  # 19.5/h: the test level's topology (see test_cost_preview)
    assert base == pytest.approx(19.5)
    assert game.act(Add("web", "large", count=2)).ok  # 2 x 4/h, boot 60 s (catalog.yaml)
    game.step(90)
    assert game.undoable() == ("web-3", "web-4")
    res = game.undo()
    assert res.ok, res.message
    assert [c.id for c in game.snapshot().components if c.kind == "web"] == ["web-1", "web-2"]
    assert game.engine.cost_per_hour() == pytest.approx(base)
    # Billed as if the addition had never been made: the base topology for 90 s.
    assert game.engine.metrics.cost == pytest.approx(base * 90 / 3600)
    assert not game.undo().ok  # nothing left to undo
    game.step(120)
    # The plan records the removals, which refund in a replay as well: the same report.
    path = tmp_path / "undo.plan.yaml"
    path.write_text(record_plan(game), encoding="utf-8")
    game.finish()
    replay = Game(game.scenario, seed=game.seed)
    play_plan(replay, load_plan(path))
    assert json.dumps(replay.report(), sort_keys=True) == json.dumps(game.report(), sort_keys=True)


def test_no_undo_once_it_serves(make_game) -> None:
    game = make_game()
    game.step(10)
    assert game.act(Add("web", "large")).ok
    game.step(10 + 61)  # booted: it has served
    assert game.undoable() == ()
    res = game.undo()
    assert not res.ok and "still booting" in res.message
    assert len([c for c in game.snapshot().components if c.kind == "web"]) == 3
