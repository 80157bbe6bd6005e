"""Data centre: a region's site. Everything in a region is down when its site is out.

Users are routed to the data centre of their own region when it is healthy and can
serve, else to another one, paying the cross-region time on every request. Moving a
region's users is not instant: geo-DNS keeps sending them to a site that cannot serve
until data-centre-level health checks notice and resolvers drop the old answer.
"""

from scaletui.sim.components.base import Component

SITE_CHECK_S = 30.0  # data-centre-level health checks notice a site that cannot serve
GEO_DNS_TTL_S = 60.0  # resolvers keep the old answer this long after DNS changes it
REGION_FAILOVER_S = SITE_CHECK_S + GEO_DNS_TTL_S  # a region's users fail this long before they move


class Datacenter(Component):
    kind_name = "datacenter"
    queueing = False
