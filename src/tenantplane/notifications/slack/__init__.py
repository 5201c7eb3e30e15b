"""Slack: a tenant's Slack app, approval notices as Block Kit DMs with Approve / Reject, and the signed interactivity
endpoint that decides them as the mapped user (docs/slack.md)."""
