"""Queue worker: does async jobs taken from the message queues, scaled on its own.

How long a job takes is the traffic's (sim/async_jobs.py), not the catalog's: the
catalog's service time of a worker is only the job it quotes a capacity for.
"""

from scaletui.sim.components.base import Component


class Worker(Component):
    kind_name = "worker"
