"""Helpers of ``benchmarks/stats_vs_peers.py``: synthetic cohorts, workers per implementation, the report."""
