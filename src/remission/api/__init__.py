"""The REST API (FastAPI, ``/api/v1``) over the study store."""
