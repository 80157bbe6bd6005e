"""Sticky sessions: what a stateful web tier does to load and to users.

Without a shared session store a user's session lives in one web server's memory, so
the load balancer pins the user there. Sessions end after `session_minutes` on
average; new ones are spread evenly over the servers a data centre has now. So a
server added during a surge only takes new users while the old ones stay hot, and a
server that goes away (crash, restart, removal) logs its users out: each of them
fails their next dynamic request. With a session store none of this happens.
"""

from __future__ import annotations

import math

from scaletui.sim.components import WebServer
from scaletui.sim.routing import RoutePlan, capacity_weight
from scaletui.sim.topology import Topology

SESSION_LOST = "session lost: the user was logged out when a web server went down"


class StickySessions:
    def __init__(self, topology: Topology, session_minutes: float) -> None:
        self.topology = topology
        self.session_s = max(1.0, session_minutes * 60.0)
        self.debt: dict[str, float] = {}  # logged-out users per data centre
        self.users: dict[str, float] = {}  # users served by each data centre, last tick
        self.sessions_lost = 0.0

    def log_out(self, region: str, users: float) -> None:
        if users > 0:
            self.debt[region] = self.debt.get(region, 0.0) + users
            self.sessions_lost += users

    def update(self, plan: RoutePlan, users_by_region: dict[str, float], dt: float) -> None:
        """Advance pins by one tick and write the web tier shares into the plan."""
        users_at: dict[str, float] = {}
        for region, (route, _) in plan.dc_for.items():
            if route is not None:
                users_at[route.region] = users_at.get(route.region, 0.0) + users_by_region.get(region, 0.0)
        self.users = users_at
        keep = math.exp(-dt / self.session_s)
        for region, route in plan.routes.items():
            tier = route.web if route.has_lb else route.entry
            members = [o.comp for o in tier.options if isinstance(o.comp, WebServer)]
            member_set = set(members)
            stateful = route.stateful
            # Servers that left the tier take their sessions with them.
            for web in self.topology.in_region(region, "web"):
                if web not in member_set and web.pinned_users > 0:  # type: ignore[union-attr]
                    if stateful:
                        self.log_out(region, web.pinned_users)  # type: ignore[union-attr]
                    web.pinned_users = 0.0  # type: ignore[union-attr]
            if not members:
                continue
            if not stateful:
                for o in tier.options:  # the router already split by capacity
                    o.comp.share = o.weight  # type: ignore[union-attr]
                    o.comp.pinned_users = 0.0  # type: ignore[union-attr]
                continue
            # New users can only log in on a server that answers.
            cap = {web: capacity_weight(web) if web.reachable() else 0.0 for web in members}
            total_cap = sum(cap.values()) or 1.0
            want = users_at.get(region, 0.0)
            for web in members:
                web.pinned_users *= keep
            pinned = sum(w.pinned_users for w in members)
            fresh = want - pinned
            if fresh > 0:
                for web in members:  # new sessions go where there is capacity
                    web.pinned_users += fresh * cap[web] / total_cap
            elif pinned > 0:
                scale = want / pinned
                for web in members:
                    web.pinned_users *= scale
            total = sum(w.pinned_users for w in members)
            for o in tier.options:
                share = o.comp.pinned_users / total if total > 0 else 1.0 / len(members)  # type: ignore[union-attr]
                o.weight = share
                o.comp.share = share  # type: ignore[union-attr]

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
