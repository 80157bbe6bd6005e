"""The exact plane's sticky sessions: every user on their own.

The rule (README, "Modelling choices"): without a session store a user's session lives
in one web server's memory, so the load balancer pins the user there. A session ends
after `session_minutes` on average (exponentially distributed); the next one goes to a
live server in proportion to capacity. A server that goes away (crash, restart,
removal, its data centre out) takes its sessions with them, and so does a move to
another data centre: the user fails their next dynamic request and logs in again.
Until the load balancer notices a dead server, it still sends its users there.

The flow plane follows the same rule with fractions of users (sticky.py); this counts
each user, each lost session and each failed login itself, so that the two planes'
agreement proves something.
"""

from __future__ import annotations

import random

from scaletui.sim.components import Component, WebServer
from scaletui.sim.routing import Option, capacity_weight
from scaletui.sim.summation import plain_sum

User = tuple[str, int]  # (region, number among the region's users)


class Session:
    __slots__ = ("web", "ends", "lost")

    def __init__(self, web: Component, ends: float) -> None:
        self.web = web
        self.ends = ends
        self.lost = False  # logged out: the next dynamic request fails


class ExactSessions:
    def __init__(self, session_minutes: float) -> None:
        self.session_s = max(1.0, session_minutes * 60.0)
        self.of_user: dict[User, Session] = {}
        self.up: dict[WebServer, bool] = {}
        self.lost = 0  # sessions lost so far (users logged out)
        self.unnoticed = 0  # lost sessions whose user has not come back yet

    def watch(self, now: float, webs: list[WebServer]) -> None:
        """Once a tick (every change happens on the grid): a server that was up and is
        not any more has lost its sessions."""
        for web in webs:
            self.up.setdefault(web, False)
        for web in list(self.up):
            up = not web.removed and web.serving(now)
            if self.up[web] and not up:
                self._log_out(web, now)
            if web.removed:
                del self.up[web]
            else:
                self.up[web] = up

    def _log_out(self, web: Component, now: float) -> None:
        ended = []
        for user, s in self.of_user.items():
            if s.web is not web or s.lost:
                continue
            if s.ends <= now:
                ended.append(user)  # over anyway: nobody was logged out
            else:
                self._lose(s)
        for user in ended:
            del self.of_user[user]

    def _lose(self, s: Session) -> None:
        s.lost = True
        self.lost += 1
        self.unnoticed += 1

    def route(self, user: User, options: list[Option], dynamic: bool, stateful: bool, now: float,
              rng: random.Random) -> tuple[Option | None, bool]:
        """Where the user's request goes in the web tier: (option, or None for the
        balancer's own split; True if it fails because the user was logged out)."""
        s = self.of_user.get(user)
        pinned = next((o for o in options if o.comp is s.web), None) if s is not None else None
        if stateful and pinned is not None and not pinned.comp.reachable():
            return pinned, False  # the balancer has not noticed yet: it fails there
        if s is not None and not s.lost:
            if s.ends <= now:
                del self.of_user[user]  # ended: a fresh login below
                s = None
            elif not stateful:
                del self.of_user[user]  # a session store holds it now
                s = None
            elif pinned is None:
                self._lose(s)  # moved to another data centre: no session there
            else:
                return pinned, False
        if s is not None and s.lost:
            if not dynamic:
                return (self._pick(options, rng) if stateful else None), False  # static needs no login
            del self.of_user[user]
            self.unnoticed -= 1
            return None, True
        if not stateful:
            return None, False
        o = self._pick(options, rng)
        if o is not None:
            self.of_user[user] = Session(o.comp, now + rng.expovariate(1.0 / self.session_s))
        return o, False

    @staticmethod
    def _pick(options: list[Option], rng: random.Random) -> Option | None:
        """A new session goes to a server that answers, in proportion to capacity."""
        live = [(o, capacity_weight(o.comp)) for o in options if o.comp.reachable()]
        total = plain_sum(w for _, w in live)
        if total <= 0:
            return None  # nobody answers: the balancer's split, to fail there
        u = rng.random() * total
        for o, w in live:
            u -= w
            if u < 0:
                return o
        return live[-1][0]
