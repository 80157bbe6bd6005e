"""The command palette: every game action by name (add, upgrade, remove, promote, ...).

It knows the screen only as a Game holder that handles a `CommandChosen` message and
named actions: a chosen command is posted to the screen, never called on it.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from scaletui.game.session import Game
from scaletui.sim.catalog import KINDS
from scaletui.sim.commands import Add, Command, Configure, Promote, Remove, Upgrade


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
            if c.kind in ("cache", "cdn"):
                out.append((f"Invalidate {c.id}", "empty it", partial(act, Configure(c.id, invalidate=True))))
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
