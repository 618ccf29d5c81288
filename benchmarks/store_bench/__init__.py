"""The parts of the study store benchmark (`benchmarks/store_load.py`)."""
