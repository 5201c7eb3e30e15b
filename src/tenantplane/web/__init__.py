"""The web UI: serves the React app built from `web/` into `tenantplane/web_dist`."""
