"""Sticky sessions: what a stateful web tier does to load and to users.

Without a shared session store a user's session lives in one web server's memory, so
the load balancer pins the user there. Sessions end after `session_minutes` on
average; new ones are spread evenly over the servers a data centre has now. So a
server added during a surge only takes new users while the old ones stay hot, and a
server that goes away (crash, restart, removal, its region out) logs its users out:
each of them fails their next dynamic request. Users whom routing moves to another
data centre have no session there either: they log in again there. With a session
store none of this happens.
"""

from __future__ import annotations

import math

from scaletui.sim.components import WebServer
from scaletui.sim.routing import RoutePlan, capacity_weight
from scaletui.sim.topology import Topology
from scaletui.sim.summation import plain_sum

SESSION_LOST = "session lost: the user was logged out when a web server went down"


class StickySessions:
    def __init__(self, topology: Topology, session_minutes: float) -> None:
        self.topology = topology
        self.session_s = max(1.0, session_minutes * 60.0)
        self.debt: dict[str, float] = {}  # logged-out users per data centre
        self.users: dict[str, float] = {}  # users served by each data centre, last tick
        self.sessions_lost = 0.0
        self.site_of: dict[str, str] = {}  # user region -> data centre that last served it
        self.last_users: dict[str, float] = {}  # data centre -> users when it last served any
        # The plan whose stateless tier shares each data centre's servers already carry: the
        # router's plan is the same object until anything changes, and a stateless tier's
        # shares are the plan's own weights.
        self._stateless_plan: dict[str, RoutePlan] = {}

    def log_out(self, region: str, users: float) -> None:
        if users > 0:
            self.debt[region] = self.debt.get(region, 0.0) + users
            self.sessions_lost += users

    def update(self, plan: RoutePlan, users_by_region: dict[str, float], dt: float) -> None:
        """Advance pins by one tick and write the web tier shares into the plan."""
        users_at: dict[str, float] = {}
        moves: list[tuple[str, str, float]] = []
        for region, (route, _) in plan.dc_for.items():
            if route is None:
                continue  # not served anywhere: its users keep the site they had
            users = users_by_region.get(region, 0.0)
            users_at[route.region] = users_at.get(route.region, 0.0) + users
            prev = self.site_of.get(region)
            if prev is not None and prev != route.region:
                moves.append((prev, route.region, users))
            self.site_of[region] = route.region
        self.users = users_at
        stateful_anywhere = not any(c.in_service for c in self.topology.of_kind("session_store"))
        for prev, site, users in moves:
            self._move(prev, site, users, stateful_anywhere)
        for site, users in users_at.items():
            if users > 0:
                self.last_users[site] = users
        keep = math.exp(-dt / self.session_s)
        for region in self.topology.regions():
            route = plan.routes.get(region)
            if route is not None and not route.stateful and self._stateless_plan.get(region) is plan:
                continue  # nothing pinned, shares already written for this very plan
            members: list[WebServer] = []
            tier = None
            if route is not None:
                tier = route.web if route.has_lb else route.entry
                members = [o.comp for o in tier.options if isinstance(o.comp, WebServer)]
            member_set = set(members)
            stateful = route.stateful if route is not None else stateful_anywhere
            # Servers that left the tier (crashed, restarting, removed, region out) take
            # their sessions with them.
            for web in self.topology.in_region(region, "web"):
                if isinstance(web, WebServer) and web not in member_set and web.pinned_users > 0:
                    if stateful:
                        self.log_out(region, web.pinned_users)
                    web.pinned_users = 0.0
            if tier is None or not members:
                continue
            if not stateful:
                for o in tier.options:  # the router already split by capacity
                    if isinstance(o.comp, WebServer):
                        o.comp.share = o.weight
                        o.comp.pinned_users = 0.0
                self._stateless_plan[region] = plan
                continue
            # New users can only log in on a server that answers.
            cap = {web: capacity_weight(web) if web.reachable() else 0.0 for web in members}
            total_cap = plain_sum(cap.values()) or 1.0
            want = users_at.get(region, 0.0)
            for web in members:
                web.pinned_users *= keep
            pinned = plain_sum(w.pinned_users for w in members)
            fresh = want - pinned
            if fresh > 0:
                for web in members:  # new sessions go where there is capacity
                    web.pinned_users += fresh * cap[web] / total_cap
            elif pinned > 0:
                scale = want / pinned
                for web in members:
                    web.pinned_users *= scale
            total = plain_sum(w.pinned_users for w in members)
            for o in tier.options:
                if isinstance(o.comp, WebServer):
                    share = o.comp.pinned_users / total if total > 0 else 1.0 / len(members)
                    o.weight = share
                    o.comp.share = share

    def _move(self, prev: str, site: str, users: float, stateful: bool) -> None:
        """Users routed from data centre `prev` to `site` have no session at `site`.

        Those already logged out at `prev` (their server died) carry that debt along: it
        is one login, wherever they next arrive. The others' sessions were alive at
        `prev` and are lost now, in a stateful tier.
        """
        before = self.last_users.get(prev, 0.0)
        share = min(1.0, users / before) if before > 0 else 1.0
        carried = self.debt.get(prev, 0.0) * share
        if carried > 0:
            self.debt[prev] -= carried
            self.debt[site] = self.debt.get(site, 0.0) + carried
        if stateful:
            self.log_out(site, max(0.0, users - carried))

    def relogin_fraction(self, region: str) -> float:
        """Share of a data centre's dynamic requests that come from logged-out users."""
        debt = self.debt.get(region, 0.0)
        if debt <= 0:
            return 0.0
        users = self.users.get(region, 0.0)
        return 1.0 if users <= 0 else min(1.0, debt / users)

    def relogged(self, region: str, requests: float) -> None:
        """Each failed request is one user who now logs in again."""
        left = self.debt.get(region, 0.0) - requests
        self.debt[region] = left if left > 1e-6 else 0.0
