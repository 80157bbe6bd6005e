"""Queue worker: does async jobs taken from the message queues, scaled on its own."""

from scaletui.sim.components.base import Component


class Worker(Component):
    kind_name = "worker"

    @property
    def job_rate(self) -> float:
        return self.workers * self.mu
