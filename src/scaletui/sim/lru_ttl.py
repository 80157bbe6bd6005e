"""An exact LRU store with expire-after-insertion TTL: what the exact plane's caches hold.

Used by the exact model for cache nodes and for the CDN's edges. Capacity and TTL are
passed on each call because the player can change them while the store is in use. Each
entry also remembers the version of the key it holds (how many writes the key had had),
so that a hit can tell whether the value is still the database's.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable


class LruTtlStore:
    """At most `capacity` keys; the least recently used goes first, an entry expires `ttl`
    seconds after it was stored (a hit does not renew it)."""

    __slots__ = ("born", "versions")

    def __init__(self) -> None:
        self.born: OrderedDict[int, float] = OrderedDict()  # key -> when it was stored, in use order
        self.versions: dict[int, int] = {}  # key -> the version it holds

    def lookup(self, key: int, now: float, ttl: float) -> bool:
        """Whether `key` is held and fresh at `now`; a hit makes it the most recently used."""
        born = self.born.get(key)
        if born is None:
            return False
        if now - born >= ttl:
            self.drop(key)  # expired: it no longer takes a place
            return False
        self.born.move_to_end(key)
        return True

    def store(self, key: int, now: float, capacity: int, version: int = 0) -> None:
        """Keep `key` as fetched at `now`, evicting the least recently used beyond `capacity`."""
        self.born[key] = now
        self.born.move_to_end(key)
        self.versions[key] = version
        while len(self.born) > capacity:
            old, _ = self.born.popitem(last=False)
            del self.versions[old]

    def drop(self, key: int) -> None:
        """Forget `key` (invalidated, or expired)."""
        if self.born.pop(key, None) is not None:
            del self.versions[key]

    def replace(self, key: int, version: int) -> None:
        """A new value for `key` if it is held; its TTL still counts from when it was stored."""
        if key in self.versions:
            self.versions[key] = version

    def drop_where(self, gone: Callable[[int], bool]) -> None:
        """Forget every key for which `gone(key)` holds (their place is free again)."""
        for key in [k for k in self.born if gone(k)]:
            del self.born[key]

    def __len__(self) -> int:
        return len(self.born)
