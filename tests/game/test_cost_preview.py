"""The cost preview of an action: the figure the dialogs show before the player confirms."""

from __future__ import annotations

import pytest

from scaletui.game.cost_preview import preview_cost
from scaletui.sim.commands import Add, Configure, Remove, Upgrade
from tests.game.conftest import BASE


def test_preview_of_the_documented_prices(make_game) -> None:
    """Test level: data centre 10 + lb small 1 + 2 web medium 2 + session small 0.5 + database
    medium 4 = 19.5/h,
    par 6 over 20 minutes = 18/h (catalog prices pinned as written in catalog.yaml)."""
    game = make_game()
    p = preview_cost(game.engine, Add("web", "xlarge", count=2), par_cost=6)
    assert (p.now, p.after, p.par_pace) == pytest.approx((19.5, 19.5 + 2 * 9.0, 18.0))
    assert str(p) == "19.5/h → 37.5/h; par pace 18/h"
    assert preview_cost(game.engine, Upgrade("web-1", "large"), None).after == pytest.approx(19.5 - 2 + 4)
    assert preview_cost(game.engine, Remove("web-2"), None).after == pytest.approx(19.5 - 2)
    assert str(preview_cost(game.engine, Remove("web-2"), None)) == "19.5/h → 17.5/h"


@pytest.mark.parametrize("cmd", [
    Add("web", "large", count=3), Add("cache", "small"), Add("replica"), Upgrade("web-1", "xlarge"),
    Upgrade("database-1", "small"), Remove("web-1"), Add("shard", count=2), Configure("database", shards=3),
    Configure("database", sharding="consistent"), Configure("database", shards=2, sharding="consistent"),
])
def test_preview_matches_what_the_engine_then_bills(make_game, cmd) -> None:
    # A large primary: new shards take its size, not the catalog's default.
    base = BASE.replace("allow: [web, cache, replica]", "allow: [web, cache, replica, shard]")
    game = make_game(base=base.replace("{kind: database, size: medium}", "{kind: database, size: large}"))
    game.step(30)
    p = preview_cost(game.engine, cmd, None)
    assert game.engine.apply(cmd).ok
    assert game.engine.cost_per_hour() == pytest.approx(p.after)


CDN_LEVEL = BASE.replace("  - {kind: database, size: medium}\n",
                         "  - {kind: database, size: medium}\n  - {kind: cdn}\n").replace(
    "users: 2000", "users: 40000").replace("static: 0.3, read: 0.6", "static: 0.8, read: 0.1")


def test_the_budget_counts_the_cdn_transfer_the_panel_shows(make_game) -> None:
    """A CDN bills per gigabyte, so what runs costs more than its components: the preview
    starts from the figure the objectives panel shows, and the budget rule refuses an
    action that would take that figure over the cap (the playtest's cdn went to 38.9/h of 38)."""
    game = make_game(base=CDN_LEVEL)
    game.step(120)
    components = game.engine.cost_per_hour()
    shown = game.view().cost_per_hour
    assert shown > components + 0.5  # the transfer is worth counting
    cmd = Add("web", "medium")  # 2/h in the catalog
    p = preview_cost(game.engine, cmd, None, game.transfer_cost_per_hour())
    assert (p.now, p.after) == pytest.approx((shown, shown + 2.0))
    # A cap between the components' cost and what is shown: the add fits the first only.
    game.rules = type(game.rules)(game.rules.allow, components + 2.0 + (shown - components) / 2, "refuse")
    res = game.act(cmd)
    assert not res.ok and "over budget" in res.message
