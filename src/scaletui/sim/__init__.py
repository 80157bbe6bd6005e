"""The simulation engine: SimPy environment, traffic, components, failures, metrics.

Pure Python and SimPy. The public surface is `Engine` (step, apply, snapshot), the
configuration types of `scaletui.sim.config`, and the commands of
`scaletui.sim.commands`.
"""

from scaletui.sim.commands import Add, AutoscaleRule, Command, CommandResult, Configure, Promote, Remove, Upgrade
from scaletui.sim.config import SimConfig
from scaletui.sim.engine import Engine

__all__ = [
    "Add",
    "AutoscaleRule",
    "Command",
    "CommandResult",
    "Configure",
    "Engine",
    "Promote",
    "Remove",
    "SimConfig",
    "Upgrade",
]
