from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scaletui.game.session import Game
from scaletui.scenario.load import load_scenario

BASE = """\
name: test-level
duration: 20m
seed: 5
slo: {availability: 99.0}
budget_per_hour: 30
par_cost: 6
traffic:
  users: 2000
  rps_per_user: 0.05
  mix: {static: 0.3, read: 0.6, write: 0.1}
topology:
  - {kind: load_balancer, size: small}
  - {kind: web, size: medium}
  - {kind: web, size: medium}
  - {kind: session_store, size: small}
  - {kind: database, size: medium}
allow: [web, cache, replica]
"""


# A shop whose cache serves stale prices: writes change 5% of requests' keys, no TTL.
SHOP = """\
name: shop
duration: 3m
seed: 3
slo: {availability: 99, stale_reads: 2}
traffic:
  users: 2000
  rps_per_user: 0.1
  mix: {read: 0.95, write: 0.05}
  keys: {count: 5000, zipf: 0.9}
topology:
  - {kind: web, size: xlarge}
  - {kind: cache, size: small}
  - {kind: database, size: large}
allow: [web, cache]
"""


@pytest.fixture
def make_game(tmp_path: Path):
    def make(extra: str = "", base: str = BASE, seed: int | None = None) -> Game:
        p = tmp_path / "level.yaml"
        p.write_text(base + textwrap.dedent(extra), encoding="utf-8")
        return Game(load_scenario(p), seed=seed)

    return make
