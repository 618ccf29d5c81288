"""The synthetic demo study: a generated cohort (:mod:`.cohort`) and its loading (:mod:`.loading`).

Every rate of the cohort is an arbitrary demo parameter, not a clinical fact.
"""

from __future__ import annotations

from remission.demo.accounts import DEMO_PASSWORD, DemoAccount, create_demo_accounts, demo_accounts
from remission.demo.cohort import (
    DATA_CUT,
    DEMO_PARAMETERS,
    SYNTHETIC_PREFIX,
    SYNTHETIC_PROTOCOL,
    SYNTHETIC_SITES,
    SyntheticPatient,
    synthetic_cohort,
    synthetic_note,
)
from remission.demo.loading import load_examples, load_synthetic

__all__ = [
    "DATA_CUT",
    "DEMO_PARAMETERS",
    "DEMO_PASSWORD",
    "SYNTHETIC_PREFIX",
    "SYNTHETIC_PROTOCOL",
    "SYNTHETIC_SITES",
    "DemoAccount",
    "SyntheticPatient",
    "create_demo_accounts",
    "demo_accounts",
    "load_examples",
    "load_synthetic",
    "synthetic_cohort",
    "synthetic_note",
]
