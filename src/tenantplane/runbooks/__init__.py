"""Runbooks: definitions, action executors and the sandbox that runs script actions."""
