"""remission: risk-adapted pediatric acute leukemia trials.

Protocols are data; screening and risk stratification are pure functions of a
clinical record plus a protocol, and every decision carries a trace.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
