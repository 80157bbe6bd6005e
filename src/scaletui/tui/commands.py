"""The command palette: every game action by name (add, upgrade, remove, promote, ...).

It knows the screen only as a Game holder that handles a `CommandChosen` message and
named actions: a chosen command is posted to the screen, never called on it.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from scaletui.game.session import Game
from scaletui.sim.catalog import KINDS
from scaletui.sim.commands import Add, Command, Configure, Promote, Remove, Upgrade
from scaletui.sim.db_calls import BreakerRule
from scaletui.sim.staleness import WRITE_POLICY_HELP


def db_call_commands(act: Callable[[Command], None]) -> list[tuple[str, str, Callable[[], object]]]:
    """The web tier's levers on its database calls, each with what it costs."""
    return [
        ("Web tier: circuit breaker on (50% errors, open 10s)",
         "database calls fail fast while the database fails: threads freed, those requests fail; no cost/h",
         partial(act, Configure("web", breaker=BreakerRule(0.5, 10.0)))),
        ("Web tier: circuit breaker off", "every call waits for the database again",
         partial(act, Configure("web", breaker_off=True))),
        ("Web tier: database timeout 200ms",
         "a worker waits at most 200ms: slower calls fail as timeouts (the database still does the work)",
         partial(act, Configure("web", db_timeout=0.2))),
        ("Web tier: no database timeout", "workers wait as long as the database takes",
         partial(act, Configure("web", db_timeout=math.inf))),
        ("Web tier: retry failed database calls once",
         "hides brief errors; each retry is one more call: more database load and latency",
         partial(act, Configure("web", db_retries=1))),
        ("Web tier: no database retries", "a failed call fails its request",
         partial(act, Configure("web", db_retries=0))),
    ]


class GameCommands(Provider):
    """Commands for the game on screen, built from its current state."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        game = getattr(screen, "game", None)
        chosen = getattr(screen, "CommandChosen", None)
        if not isinstance(game, Game) or chosen is None:
            return []
        cat = game.engine.catalog

        def run(action: str) -> Callable[[], object]:
            return partial(screen.run_action, action)

        def act(cmd: Command) -> None:
            screen.post_message(chosen(cmd))

        out: list[tuple[str, str, Callable[[], object]]] = [
            ("Pause / resume", "toggle the clock", run("toggle_pause")),
            ("Faster", "speed up the clock", run("faster")),
            ("Slower", "slow down the clock", run("slower")),
            ("Hint", "reveal one more hint", run("hint")),
            ("Why did requests fail?", "recent failed requests, hop by hop", run("why")),
            ("Help", "keys and concepts", run("help")),
            ("Undo the last addition", "while it still boots; its cost is refunded", run("undo")),
            ("Rewind", "go back to an earlier minute and play on from there", run("rewind")),
            ("Fold / unfold the data centre", "of the selected component", run("fold")),
        ]
        for kind in KINDS:
            if kind not in game.rules.allow or kind not in cat:
                continue
            spec = cat[kind]
            for size in spec.sizes:
                out.append((f"Add {spec.title.lower()} {size.name}",
                            f"{size.workers} workers, {size.cost_per_hour:g}/h, boots in {spec.boot_s:g}s",
                            partial(act, Add(kind, size.name))))
        snap = game.snapshot()
        for c in snap.components:
            spec = cat[c.kind]
            names = spec.size_names
            for size in spec.sizes:
                if size.name != c.size and c.size in names:
                    verb = "Upgrade" if names.index(size.name) > names.index(c.size) else "Downsize"
                    out.append((f"{verb} {c.id} to {size.name}", f"{size.cost_per_hour:g}/h; restarts",
                                partial(act, Upgrade(c.id, size.name))))
            if not (c.kind in ("database", "shard") and c.role == "primary"):
                out.append((f"Remove {c.id}", f"{c.kind} {c.size}", partial(act, Remove(c.id))))
            if c.kind == "replica":
                out.append((f"Promote {c.id}", "make it the primary", partial(act, Promote(c.id))))
            if c.kind in ("database", "shard"):
                out.append((f"Automatic failover on for {c.id}", "promote a replica when it dies",
                            partial(act, Configure(c.id, failover="auto"))))
            if c.kind == "database" and c.role == "primary" and "shard" in game.rules.allow:
                denorm = game.engine.topology.denormalized
                out.append(("Normalize the database" if denorm else "Denormalize the database",
                            "fan-out reads read every shard again" if denorm
                            else "fan-out reads read one shard; every write costs k writes",
                            partial(act, Configure(c.id, denormalize=not denorm))))
                topo = game.engine.topology
                n = topo.shard_count
                out.append((f"Reshard to {n + 1} shards on a consistent-hash ring",
                            "a new shard takes about 1/(n+1) of the keys once on a ring",
                            partial(act, Configure(c.id, shards=n + 1, sharding="consistent"))))
                out.append((f"Reshard to {n + 1} shards by hash mod n", "about n/(n+1) of the keys move",
                            partial(act, Configure(c.id, shards=n + 1, sharding="mod"))))
                other = "mod" if topo.shard_scheme == "consistent" else "consistent"
                out.append((f"Switch sharding to {'hash mod n' if other == 'mod' else 'a consistent-hash ring'}",
                            "same shards; most keys move", partial(act, Configure(c.id, sharding=other))))
            if c.kind in ("cache", "cdn"):
                out.append((f"Invalidate {c.id}", "empty it", partial(act, Configure(c.id, invalidate=True))))
            if c.kind == "load_balancer":
                for limit in (100, 500, 2000):
                    out.append((f"Shed load at {c.id}: max {limit} in flight",
                                "refuse at once what exceeds it: fast errors instead of slow timeouts",
                                partial(act, Configure(c.id, max_in_flight=limit))))
                out.append((f"Stop shedding load at {c.id}", "no limit in flight",
                            partial(act, Configure(c.id, max_in_flight=0))))
            if c.kind == "cache":
                for policy, what in WRITE_POLICY_HELP:
                    out.append((f"On write {policy} for {c.id}", what,
                                partial(act, Configure(c.id, on_write=policy))))
        if any(c.kind == "web" for c in snap.components):
            out.extend(db_call_commands(act))
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
