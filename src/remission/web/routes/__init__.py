"""Page routers, one per job."""
