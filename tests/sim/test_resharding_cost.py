"""What a reshard costs while it runs and after: copy load on the shards, cache misses.

Documented model (sim/migration.py): each moved key costs `ms_per_key` of worker time on
its source and on its target; no shard moves more than `keys_per_s` keys a second, so
the copy lasts max_i(out_i + in_i) / keys_per_s, and shard i is busier by
(out_i + in_i) x ms_per_key / duration / workers. When it ends the moved keys' cache
entries are dropped. Each plane computes the load and the misses its own way; the
expected figures here are counted over the key space in the test.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.sim.simtools import Window, make_config, spec

from scaletui.sim.catalog import Catalog
from scaletui.sim.commands import Configure
from scaletui.sim.config import Mix, ShardingConfig, SimConfig
from scaletui.sim.engine import Engine
from scaletui.sim.keyspace import key_hash
from scaletui.sim.sharding import Sharding

WRITES = Mix(0.0, 0.0, 1.0, 0.0)
READS = Mix(0.0, 1.0, 0.0, 0.0)
KEYS = 60_000
WORKERS = 8  # a medium database node
BOOT_S = 10.0


def mod_moves(n: int, keys: int) -> tuple[list[int], list[int]]:
    """Keys leaving and arriving on each shard when hash mod n becomes hash mod n+1."""
    out = [0] * (n + 1)
    into = [0] * (n + 1)
    for k in range(1, keys + 1):
        h = key_hash(k)
        a, b = h % n, h % (n + 1)
        if a != b:
            out[a] += 1
            into[b] += 1
    return out, into


def sharded(mix: Mix, users: float, key_count: int, keys_per_s: float, ms_per_key: float) -> SimConfig:
    cat = Catalog.default().with_overrides({"shard": {"boot_s": BOOT_S}})
    cfg = make_config(spec("web", "xlarge"), spec("database", "medium"), spec("shard", "medium"),
                      users=users, rps_per_user=0.1, mix=mix, duration=400, catalog=cat, key_count=key_count)
    return replace(cfg, sharding=ShardingConfig("mod", migrate_keys_per_s=keys_per_s, migrate_ms_per_key=ms_per_key))


@pytest.mark.parametrize("model", ["flow", "exact"])
def test_copy_load_is_moved_keys_times_cost_over_duration(model):
    keys_per_s, ms_per_key = 1000.0, 1.0
    e = Engine(sharded(WRITES, 100, KEYS, keys_per_s, ms_per_key), model=model)
    e.step(10)
    before = Window(e)
    e.step(30)
    base = {c: before.utilization(c) for c in ("database-1", "shard-1")}
    assert e.apply(Configure("database-1", shards=3)).ok
    out, into = mod_moves(2, KEYS)
    through = [o + i for o, i in zip(out, into)]
    duration = max(through) / keys_per_s
    extra = [t * ms_per_key / 1000.0 / duration / WORKERS for t in through]
    start = 30 + BOOT_S  # the copy starts when the new shard is up
    e.step(start + 5)
    w = Window(e)
    e.step(start + duration - 5)
    tol = 0.01 if model == "flow" else 0.02
    assert w.utilization("database-1") == pytest.approx(base["database-1"] + extra[0], abs=tol)
    assert w.utilization("shard-1") == pytest.approx(base["shard-1"] + extra[1], abs=tol)
    assert w.utilization("shard-2") == pytest.approx(extra[2], abs=tol)  # no traffic yet: the copy only
    assert extra[2] > 0.05  # a load the test can see
    assert e.topology.shard_count == 2
    e.step(start + duration + 2)
    assert e.topology.shard_count == 3
    e.step(start + duration + 5)
    after = Window(e)
    e.step(start + duration + 35)
    # The copy is over: the old shards carry their client load again (now a third each).
    assert after.utilization("database-1") == pytest.approx(base["database-1"] * 2 / 3, abs=tol)


def test_hash_mod_n_copy_takes_longer_and_loads_every_old_shard():
    """Growing 2 -> 3 shards: mod n moves keys out of both old shards and into all three,
    for about 2/3 of the keys; a ring moves a third, into the new shard only."""
    mod = Engine(sharded(WRITES, 100, KEYS, 1000.0, 1.0))
    ring_cfg = sharded(WRITES, 100, KEYS, 1000.0, 1.0)
    ring = Engine(replace(ring_cfg, sharding=replace(ring_cfg.sharding, scheme="consistent")))
    for e in (mod, ring):
        assert e.apply(Configure("database-1", shards=3)).ok
        e.step(BOOT_S + 2)
    m, r = mod.topology.migration, ring.topology.migration
    assert m is not None and r is not None
    out, into = mod_moves(2, KEYS)
    assert m.duration == pytest.approx(max(o + i for o, i in zip(out, into)) / 1000.0, rel=0.03)
    # The ring's new shard takes about a third of the keys, and the old shards only send.
    assert r.duration == pytest.approx(KEYS / 3 / 1000.0, rel=0.05)
    assert r.busy_workers(0) == pytest.approx(r.busy_workers(2) / 2, rel=0.1)
    assert m.busy_workers(0) > 1.5 * r.busy_workers(0)


def cached(model: str, scheme: str = "mod") -> Engine:
    """Reads through one cache node of 2,000 items over 20,000 Zipf(0.9) keys, two shards;
    a reshard copies its keys at once (the copy is not the point here)."""
    cat = Catalog.default().with_overrides({"shard": {"boot_s": BOOT_S},
                                            "cache": {"sizes": {"small": {"items": 2000}}}})
    cfg = make_config(spec("web", "xlarge"), spec("cache", "small"), spec("database", "large"),
                      spec("shard", "large"), users=5000, rps_per_user=0.1, mix=READS, duration=60,
                      catalog=cat, key_count=CACHE_KEYS, zipf=0.9)
    free_copy = ShardingConfig(scheme, migrate_keys_per_s=1e9, migrate_ms_per_key=0.0)
    return Engine(replace(cfg, sharding=free_copy), model=model)


CACHE_KEYS = 20_000
RESHARD_AT = 30.0
CUTOVER = RESHARD_AT + BOOT_S + 1  # the copy of microseconds ends on the grid time after the new shard is up


def moves_2_to_3(k: int) -> bool:
    return key_hash(k) % 2 != key_hash(k) % 3


def hit_rate_between(e: Engine, t0: float, t1: float) -> float:
    node = e.topology["cache-1"]
    e.step(t0)
    hits, lookups = node.hits, node.lookups
    e.step(t1)
    return (node.hits - hits) / (node.lookups - lookups)


def dip_after_reshard(model: str, scheme: str = "mod") -> float:
    """Hit rate over the 10 s after the cutover, less the hit rate before the reshard."""
    e = cached(model, scheme)
    warm = hit_rate_between(e, RESHARD_AT - 10, RESHARD_AT)
    assert e.apply(Configure("database-1", shards=3)).ok
    dip = hit_rate_between(e, CUTOVER, CUTOVER + 10)
    assert e.topology.shard_count == 3
    return dip - warm


def test_exact_cache_drops_exactly_the_moved_keys():
    e = cached("exact")
    e.step(RESHARD_AT)
    assert e.apply(Configure("database-1", shards=3)).ok
    e.step(CUTOVER)
    held = dict(e.plane.store(e.topology["cache-1"]).born)
    assert sum(map(moves_2_to_3, held)) > 0.5 * len(held)  # about 2/3 of what it holds will move
    e.step(CUTOVER + 1)
    assert e.topology.shard_count == 3
    kept = e.plane.store(e.topology["cache-1"]).born
    # Every moved key was dropped at the cutover (any held now was fetched again since) ...
    assert all(born >= CUTOVER for k, born in kept.items() if moves_2_to_3(k))
    # ... and the others kept their entries (LRU aside).
    stayed = [k for k in held if not moves_2_to_3(k)]
    assert sum(1 for k in stayed if kept.get(k) == held[k]) > 0.8 * len(stayed)


def test_both_planes_see_the_same_cache_dip_after_a_reshard():
    flow, exact = dip_after_reshard("flow"), dip_after_reshard("exact")
    assert flow < -0.05  # a dip the planes can be compared on
    assert flow == pytest.approx(exact, abs=0.02)


def test_the_cache_dip_follows_the_share_of_requests_for_moved_keys():
    """Only moved keys miss: the dip is proportional to m, the Zipf-weighted share of
    requests for them: about 2/3 under hash mod n, 1/3 on a ring (counted here)."""
    weights = [k ** -0.9 for k in range(1, CACHE_KEYS + 1)]
    m_mod = sum(w for k, w in enumerate(weights, 1) if moves_2_to_3(k)) / sum(weights)
    before, after = Sharding(2, "consistent"), Sharding(3, "consistent")
    m_ring = sum(w for k, w in enumerate(weights, 1) if before.of(k) != after.of(k)) / sum(weights)
    assert dip_after_reshard("flow", "consistent") / dip_after_reshard("flow") == pytest.approx(
        m_ring / m_mod, rel=0.05)


@pytest.mark.parametrize(("scheme", "name"), [("consistent", "consistent-hash ring"), ("mod", "hash mod n")])
def test_the_log_names_the_scheme_in_words(scheme, name):
    # The playtest read "resharding to 3 shards by consistent" (the screen's answer to the
    # action) as a broken sentence.
    e = Engine(sharded(READS, 10, 1000, 1000.0, 1.0))
    res = e.apply(Configure("database-1", shards=3, sharding=scheme))
    assert res.ok
    assert res.message == f"database-1: resharding to 3 shards by {name} (shard-2 provisioning)"
