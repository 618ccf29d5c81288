"""Shared test data: one fully specified infant record that is eligible for NCT06516679.

Tests build variants with ``make_record(**overrides)``: a dict merges into the
record's dict of the same name, any other value replaces it, and ``DROP``
removes the key (the field is then not recorded)::

    make_record(diagnosis={"who_type": "T-ALL"}, consent=DROP)
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from remission.record import PatientRecord, parse_record

#: The date the records are checked against; nothing recorded may lie after it.
TODAY = date(2026, 11, 21)

#: Marks a key to remove in ``make_record`` overrides.
DROP = object()

_ELIGIBLE: dict[str, Any] = {
    "patient": {"study_id": "INF-001", "site": "SEV", "sex": "female", "date_of_birth": "2026-01-15"},
    "diagnosis": {"date": "2026-06-01", "who_type": "B-ALL"},
    "genetics": {"kmt2a": {"status": "germline", "method": "FISH"}},
    "wbc_at_diagnosis_1e9_per_l": 42.0,
    "cns_status": "CNS1",
    "prednisone_response": "good",
    "syndromes": [],
    "prior_steroids": [],
    "prior_hsct": False,
    "relapse_status": "never relapsed",
    "consent": {"given_by": "parents", "date": "2026-06-04", "form_version": "v1.2"},
    "other_studies": [],
    "study_entry_date": "2026-06-05",
    "mrd": [
        {
            "time_point": "after consolidation 1",
            "method": "flow cytometry",
            "sample_date": "2026-08-03",
            "value_fraction": 0.0,
            "sensitivity_fraction": 1e-5,
        }
    ],
    "attestations": [
        {
            "protocol_id": "NCT06516679",
            "criterion_id": "excl-contraindication",
            "outcome": "not met",
            "attested_by": "Dr. Min-Ji Park",
            "role": "treating physician",
            "date": "2026-06-04",
        }
    ],
}


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if value is DROP:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def make_record(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the eligible record as JSON-ready data, with ``overrides`` merged in deeply."""
    return _merge(copy.deepcopy(_ELIGIBLE), overrides)


def parse(data: dict[str, Any]) -> PatientRecord:
    """Validate record data as of ``TODAY``."""
    return parse_record(data, today=TODAY)
