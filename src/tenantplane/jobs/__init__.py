"""The durable job queue: jobs live in PostgreSQL, enqueued in the caller's transaction."""
