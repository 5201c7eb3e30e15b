"""Signed action links: single-use, expiring, per-approver approve / reject links in approval notices."""
