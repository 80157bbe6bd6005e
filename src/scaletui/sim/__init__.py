"""The simulation engine: SimPy environment, traffic, components, failures, metrics.

Python and SimPy; the flow plane's hot modules are compiled with mypyc at install where
a C compiler is found (`scaletui.sim.native`), from the same source. The public surface
is `Engine` (step, apply, snapshot), the configuration types of `scaletui.sim.config`,
and the commands of `scaletui.sim.commands`.
"""

from scaletui.sim import native

native.guard()  # before any module of the engine is imported: compiled, or all Python source

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
