"""The ``remission`` command line: thin wrappers over the library layers."""
