"""Business metrics: active users, returning users, and the revenue a bad day costs tomorrow.

The churn rule (simple, on purpose): a user visits for `traffic.session_minutes` and sends
k = rps_per_user x session seconds requests. With the error rate e of the moment, a
visit meets at least one failure with probability 1 - (1 - e)^k. A user whose visit went
well comes back the next day with probability `traffic.return_rate` (0.8 by default);
one who met a failure with that times 1 - `traffic.churn_on_failure` (0.5: half as
likely). Over the run:

- active users: the visits, users x time / session length (the run stands for the day);
- returning users: the visits times their chance to come back;
- revenue tomorrow: returning users x k x the revenue of a request; what the failures
  cost tomorrow is the difference to a run without any.

So revenue follows availability over the whole run, not only while requests fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from scaletui.sim.config import Traffic
from scaletui.sim.snapshot import TickRow


@dataclass(frozen=True)
class BusinessFigures:
    active_users: float
    returning_users: float
    met_failures: float  # active users whose visit met at least one failed request
    revenue_tomorrow: float
    revenue_lost_tomorrow: float  # what the users who stay away because of failures would have earned

    @property
    def returning_share(self) -> float:
        return self.returning_users / self.active_users if self.active_users > 0 else 1.0

    def to_json(self) -> dict:
        return {
            "active_users": round(self.active_users, 1),
            "returning_users": round(self.returning_users, 1),
            "returning_share": round(self.returning_share, 6),
            "met_failures": round(self.met_failures, 1),
            "revenue_tomorrow": round(self.revenue_tomorrow, 2),
            "revenue_lost_tomorrow": round(self.revenue_lost_tomorrow, 2),
        }


class BusinessMetrics:
    """Active and returning users, fed one tick at a time."""

    def __init__(self, traffic: Traffic) -> None:
        self.session_s = traffic.session_minutes * 60.0
        self.requests_per_visit = traffic.rps_per_user * self.session_s
        self.return_rate = traffic.return_rate
        self.churn = traffic.churn_on_failure
        self.revenue_per_request = traffic.revenue_per_1k_requests / 1000.0
        self.visits = 0.0
        self.failed_visits = 0.0

    def observe(self, row: TickRow, dt: float) -> None:
        visits = row.users * dt / self.session_s
        self.visits += visits
        self.failed_visits += visits * (1.0 - (1.0 - row.error_rate) ** self.requests_per_visit)

    def figures(self) -> BusinessFigures:
        returning = self.return_rate * (self.visits - self.churn * self.failed_visits)
        per_user = self.requests_per_visit * self.revenue_per_request
        return BusinessFigures(
            active_users=self.visits,
            returning_users=returning,
            met_failures=self.failed_visits,
            revenue_tomorrow=returning * per_user,
            revenue_lost_tomorrow=self.return_rate * self.churn * self.failed_visits * per_user,
        )
