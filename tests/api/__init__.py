"""API tests: routes, roles, sites, idempotency, concurrency and input checks."""
