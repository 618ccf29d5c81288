"""Request and response schemas of the API, one family per entity (Create, Update, Public)."""
