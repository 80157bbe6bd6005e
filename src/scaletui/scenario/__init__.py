"""Scenario and plan files: schema, loading, validation, and the built-in campaign."""

from scaletui.scenario.errors import Problem, ScenarioError
from scaletui.scenario.load import Plan, PlanAction, Scenario, load_plan, load_scenario

__all__ = ["Plan", "PlanAction", "Problem", "Scenario", "ScenarioError", "load_plan", "load_scenario"]
