"""The rules of a game: refusals change nothing, delays hold, the budget caps spending."""

from __future__ import annotations

from scaletui.sim.commands import Add, Configure, Promote, Remove, Upgrade, AutoscaleRule


def _state(game):
    snap = game.snapshot()
    return [(c.id, c.kind, c.size, c.health) for c in snap.components], game.engine.cost_per_hour()


def test_refused_actions_change_nothing(make_game) -> None:
    game = make_game()
    game.step(60)
    before = _state(game)
    refusals = [
        Add("cdn"),  # not allowed in this scenario
        Add("web", size="gigantic"),  # no such size
        Add("web", region="mars"),  # no data centre there
        Remove("database-1"),  # the primary holds the data
        Remove("web-99"),  # no such component
        Upgrade("web-1", "medium"),  # already that size
        Upgrade("web-1", "colossal"),  # past the largest size
        Promote("web-1"),  # not a replica
        Configure("web", shards=3),  # sharding not allowed here
        Configure("database-1", sharding="consistent"),  # nor a change of scheme
        Configure("cache", ttl=30),  # there is no cache
        Configure("database-1", denormalize=True),  # no sharding here, so nothing to denormalize
        Configure("web-1", denormalize=True),  # (and it is a setting of the database)
    ]
    for cmd in refusals:
        res = game.act(cmd)
        assert not res.ok, cmd
        assert res.message, cmd
        assert _state(game) == before, cmd
    assert game.applied == []
    refused = [e for e in game.engine.events.events if e.kind == "refused"]
    assert len(refused) == len(refusals)
    assert "does not allow building cdn" in refused[0].message


def test_a_dead_node_cannot_be_upgraded(make_game) -> None:
    # A crash "until replaced": a restart does not bring it back, so nothing is paid for.
    game = make_game("events:\n  - {at: 30s, fail: web-2}\n")
    game.step(60)
    before = _state(game)
    res = game.act(Upgrade("web-2", "large"))
    assert not res.ok and "web-2 is down (crashed)" in res.message and "remove it" in res.message
    assert _state(game) == before and game.applied == []
    game.step(600)
    assert game.snapshot().component("web-2").health == "down"
    assert not any("web-2 is back" in e.message for e in game.engine.events.events)


def test_upgrade_past_the_ceiling_names_the_largest(make_game) -> None:
    game = make_game()
    res = game.act(Upgrade("web-1", "colossal"))
    assert not res.ok and "the largest is xlarge" in res.message


def test_budget_refuses_what_would_go_over(make_game) -> None:
    game = make_game()
    # start: dc 10 + lb 1 + 2 web x 2 + sessions 0.5 + db 4 = 19.5/h; cap 30
    assert abs(game.engine.cost_per_hour() - 19.5) < 1e-9
    assert game.act(Add("web", size="medium", count=5)).ok  # 29.5
    res = game.act(Add("web", size="small"))  # 30.5 > 30
    assert not res.ok and "over budget" in res.message and "30.0/h" in res.message
    res = game.act(Upgrade("database-1", "large"))  # +4
    assert not res.ok and "over budget" in res.message


def test_penalty_mode_allows_spending_and_costs_score(make_game) -> None:
    game = make_game("budget_mode: penalty\n")
    assert game.act(Add("web", size="xlarge", count=3)).ok
    result = game.finish()
    assert game.peak_cost_per_hour > 30
    assert result.card.within_budget is False
    assert result.card.points.get("overspend", 0) < 0
    assert result.card.stars <= 1


def test_provisioning_delays_hold(make_game) -> None:
    game = make_game()
    game.step(100)
    res = game.act(Add("web", size="medium"))
    (cid,) = res.ids
    boot = game.engine.catalog["web"].boot_s
    game.step(100 + boot - 1)
    assert game.snapshot().component(cid).health == "booting"
    assert game.snapshot().component(cid).served_rps == 0
    game.step(100 + boot + 5)
    view = game.snapshot().component(cid)
    assert view.health == "up" and view.served_rps > 0
    up = [e for e in game.engine.events.events if e.kind == "ready" and e.component == cid]
    assert up and up[0].t == 100 + boot


def test_upgrade_restarts_the_node(make_game) -> None:
    base = __import__("tests.game.conftest", fromlist=["BASE"]).BASE.replace("availability: 99.0", "availability: 50")
    game = make_game(base=base)
    game.step(60)
    assert game.act(Upgrade("database-1", "large")).ok
    restart = game.engine.catalog["database"].restart_s
    game.step(60 + restart / 2)
    snap = game.snapshot()
    assert snap.component("database-1").health == "booting"
    assert snap.component("database-1").size == "large"
    assert any("restarting" in cause for cause, _ in snap.totals.failures_by_cause)
    game.step(60 + restart + 5)
    assert game.snapshot().component("database-1").health == "up"


def test_autoscaling_needs_web_allowed(make_game) -> None:
    game = make_game("allow: [cache]\n", base=__import__("tests.game.conftest", fromlist=["BASE"]).BASE.replace(
        "allow: [web, cache, replica]\n", ""))
    res = game.act(Configure("web", autoscale=AutoscaleRule(1, 4, 0.6, 60)))
    assert not res.ok and "autoscaling" in res.message


def test_resharding_is_priced_by_the_budget_rule_as_the_preview_shows(make_game, tmp_path) -> None:
    from tests.game.conftest import BASE

    game = make_game(base=BASE.replace("allow: [web, cache, replica]", "allow: [web, cache, replica, shard]"))
    # 19.5/h at the start; new shards take the primary's size (medium, 4/h each); cap 30.
    res = game.act(Configure("database-1", shards=4))  # 3 new shards: 19.5 + 12 = 31.5
    assert not res.ok and res.message == "over budget: that would cost 31.5/h and the budget is 30.0/h (now 19.5/h)"
    assert game.engine.topology.shard_count == 1 and game.engine.cost_per_hour() == 19.5
    assert game.act(Configure("database-1", shards=3)).ok  # 2 new shards: 27.5
    assert abs(game.engine.cost_per_hour() - 27.5) < 1e-9
