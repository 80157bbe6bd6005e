"""scaletui: learn how systems scale by keeping a simulated web service alive."""

__version__ = "0.1.0"
