"""Executions: every run of a runbook (and later of an automation workflow), its step runs and live logs."""
