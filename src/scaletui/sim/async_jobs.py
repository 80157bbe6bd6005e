"""What one async job costs, wherever it runs: the rule both data planes follow.

A job (an upload to resize, a mail to send) is `traffic.async_work_ms` of one thread's
CPU. It runs either inline on a web server, when there is no message queue, or on a
queue worker that takes it from a queue. Sizes of web servers and workers differ in
threads, not in speed (the catalog gives each size of a kind the same service time),
so only a slow-down changes how long a job takes there.
"""

from __future__ import annotations

from scaletui.sim.components import Component, Worker


def job_seconds(async_work_ms: float, node: Component) -> float:
    """Seconds one of the node's threads spends on one async job."""
    return async_work_ms / 1000.0 * node.slowdown


def jobs_per_second(async_work_ms: float, worker: Worker) -> float:
    """How many jobs a worker finishes per second when all its threads are busy."""
    return worker.workers / job_seconds(async_work_ms, worker)
