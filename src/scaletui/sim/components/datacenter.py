"""Data centre: a region's site. Everything in a region is down when its site is out.

Users are routed to the data centre of their own region when it is healthy and can
serve, else to another one, paying the cross-region time on every request.
"""

from scaletui.sim.components.base import Component


class Datacenter(Component):
    kind_name = "datacenter"
    queueing = False
