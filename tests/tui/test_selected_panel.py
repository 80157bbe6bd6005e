"""The Selected panel: the playtest could not see the Erlang C line at 80x24, nor the
levers it had set (denormalize, sharding, the web tier's database calls, the limit in flight)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scaletui.sim.commands import Configure
from scaletui.sim.config import ShardingConfig
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.engine import Engine
from scaletui.tui.widgets.component_panel import ComponentPanel
from tests.sim.simtools import make_config, spec


def _visible(panel: ComponentPanel) -> list[str]:
    """The panel's rows as the terminal shows them (borders and padding included)."""
    return ["".join(seg.text for seg in panel.render_line(y)) for y in range(panel.size.height)]


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_erlang_c_line_is_on_screen_at_the_smallest_size(app_factory, size) -> None:
    app = app_factory("one-server")
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        screen.game.step(120.0)
        screen.select_component("web-1")
        screen.redraw(force=True)
        await pilot.pause()
        rows = _visible(screen.query_one(ComponentPanel))
        theory = [r for r in rows if "Erlang C" in r]
        assert theory, "\n".join(rows)
        assert "%" in theory[0] and "ms" in theory[0], theory[0]  # one line, none of it wrapped away
        if size != (80, 24):
            return
        screen.game.step(40 * 60.0)  # far past full load
        screen.redraw(force=True)
        await pilot.pause()
        rows = _visible(screen.query_one(ComponentPanel))
        assert any("Erlang C" in r and "no steady state" in r for r in rows), "\n".join(rows)


async def test_the_levers_set_show_on_the_component_they_act_on(app_factory) -> None:
    app = app_factory("retry-storm")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        engine = screen.game.engine
        for cmd in (Configure("lb-1", max_in_flight=100),
                    Configure("web", db_timeout=0.2, db_retries=1, breaker=BreakerRule(0.5, 10.0))):
            res = engine.apply(cmd)
            assert res.ok, res.message
        screen.game.step(5.0)

        def text(cid: str) -> str:
            screen.select_component(cid)
            screen.redraw(force=True)
            return "\n".join(line.plain for line in screen.query_one(ComponentPanel).render().renderables)

        await pilot.pause()
        assert "max_in_flight 100" in text("lb-1")
        assert "db_timeout 200ms · db_retries 1 · breaker 50%/10s" in text("web-2")
        assert "max_in_flight" not in text("web-1") and "db_timeout" not in text("database-1")


def test_a_primary_shows_its_sharding_and_denormalization() -> None:
    cfg = make_config(spec("web", "xlarge"), spec("database", "medium"), spec("shard", "medium"),
                      users=10, rps_per_user=0.1, duration=60)
    e = Engine(replace(cfg, sharding=ShardingConfig("consistent")))
    e.step(1.0)
    views = {c.id: c for c in e.snapshot().components}
    assert views["database-1"].levers == ("2 shards by consistent-hash ring",)
    assert views["shard-1"].levers == ("2 shards by consistent-hash ring",)
    assert e.apply(Configure("database-1", denormalize=True)).ok
    views = {c.id: c for c in e.snapshot().components}
    assert views["database-1"].levers == ("2 shards by consistent-hash ring", "denormalize on")
    assert views["web-1"].levers == ()
    plain = Engine(make_config(spec("web", "xlarge"), spec("database", "medium"), users=10, rps_per_user=0.1,
                               duration=60))
    assert {c.id: c for c in plain.snapshot().components}["database-1"].levers == ()  # nothing set, nothing shown


async def test_the_keys_stay_in_view_and_a_load_balancer_offers_configure(app_factory) -> None:
    app = app_factory("the-feed")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert screen.game.engine.apply(Configure("database-1", denormalize=True)).ok
        screen.game.step(30.0)
        for cid in ("database-1", "lb-1"):
            screen.select_component(cid)
            screen.redraw(force=True)
            await pilot.pause()
            rows = [r.replace("\u00a0", " ") for r in _visible(screen.query_one(ComponentPanel))]
            # The long levers line (4 shards by hash mod n · denormalize on) wraps below the keys.
            assert any("c conf" in r for r in rows), "\n".join(rows)
        assert any("x remove" in r for r in rows), "\n".join(rows)  # lb-1's whole key line
