"""Rules on top of the engine: actions, SLOs and error budget, cost, scoring, postmortem."""
