"""Decision analytics (issue 17 item 3): read-only figures over approvals, requests, SLA clocks and executions."""
