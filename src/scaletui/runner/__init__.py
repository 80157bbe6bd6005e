"""Headless runs: a scenario (and a plan) run to the end, with text and JSON reports."""
