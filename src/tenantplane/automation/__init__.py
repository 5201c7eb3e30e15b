"""Automation workflows: schema and validation, the graph engine, executions and triggers."""
