"""Definitions in git: export and apply users, groups, runbooks, approval definitions, workflows and catalog items.

YAML documents name what they reference; `apply` resolves names to ids, diffs, and writes in one transaction.
"""
