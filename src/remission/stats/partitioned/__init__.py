"""Estimators over partitioned data: per-partition sufficient statistics, merged, then finished.

Kaplan–Meier, log-rank, Aalen–Johansen (with cmprsk's variance), Gray's test and Cox regression
only need counts (or, for Cox, weighted sums) per distinct time. Each partition tabulates its own
(:mod:`.sufficient`), the tables add up (:mod:`.merge`), and the merged tables give the same
result objects as the in-memory estimators (:mod:`.finish`). :mod:`.dask_engine` runs the
partition step on a Dask cluster over a partitioned Parquet dataset; ``dask`` is imported there
only, so importing this package stays cheap.
"""
