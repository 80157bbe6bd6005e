"""Load balancer: the entry of a data centre; spreads requests over the web tier.

It has capacity and cost of its own, and one load balancer is itself a single point
of failure. It stops sending to a crashed web server once a health check notices.
"""

from scaletui.sim.components.base import Component

HEALTH_CHECK_S = 5.0  # time for a health check to notice a dead backend


class LoadBalancer(Component):
    kind_name = "load_balancer"
