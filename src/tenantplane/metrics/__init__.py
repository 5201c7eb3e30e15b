"""Operational metrics: what the database says at scrape time (approvals, executions, jobs, workers, SLA clocks,
notification deliveries), exported on /metrics beside each process's own HTTP metrics (docs/metrics.md)."""
