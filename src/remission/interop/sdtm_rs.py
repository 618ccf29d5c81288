"""RS (Disease Response and Clin Classification): risk group, prednisone response, disease status.

Each risk assignment gives a row ``RISKGRP`` (RSORRES the group, e.g. ``HR``, RSDTC the date it was
assigned, RSGRPID the protocol and version); the baseline's prednisone response a row ``PREDRESP``
(NOT DONE when it holds a missing-data code); each follow-up a row ``DISSTAT`` with the recorded
status verbatim; each relapse a row ``RELAPSE`` (site and timing). The test codes are
sponsor-defined (no CDISC CT value was verified for them) and the results verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator

from remission.interop.sdtm_common import (
    BASELINE,
    RISK_ASSIGNMENTS,
    Domain,
    Row,
    Variable,
    code,
    fields,
    forms,
    identifiers,
    keys,
    not_done,
    numbered,
    reference_start,
    study_day,
    text,
    value,
)
from remission.store import Casebook

RS = Domain(
    "RS",
    "Disease Response and Clin Classification",
    "One record per response assessment or clinical classification assessment per time point "
    "per visit per subject",
    (
        *identifiers(),
        Variable("RSSEQ", "Sequence Number", "integer", None, key_sequence=3),
        Variable("RSGRPID", "Group ID", length=130),
        Variable("RSTESTCD", "Assessment Short Name", length=8),
        Variable("RSTEST", "Assessment Name", length=40),
        Variable("RSCAT", "Category for Assessment", length=40),
        Variable("RSORRES", "Result or Finding in Original Units", length=200),
        Variable("RSSTRESC", "Character Result/Finding in Std Format", length=200),
        Variable("RSSTAT", "Completion Status", length=8),
        Variable("RSREASND", "Reason Not Done", length=200),
        Variable("RSDTC", "Date/Time of Assessment", length=40),
        Variable("RSDY", "Study Day of Assessment", "integer", None),
    ),
    "Risk groups of the protocol's stratification, prednisone response, follow-up status, relapses.",
)


def _assessments(casebook: Casebook) -> Iterator[Row]:
    for form in forms(casebook, RISK_ASSIGNMENTS):
        protocol, version = value(form, "protocol_id"), value(form, "protocol_version")
        yield {
            "RSGRPID": f"{protocol} {version}" if protocol else None,
            "RSTESTCD": "RISKGRP",
            "RSTEST": "Risk Group",
            "RSCAT": "RISK STRATIFICATION",
            "RSORRES": text(value(form, "risk_group")),
            "RSDTC": text(value(form, "assigned_at")),
        }
    (baseline,) = forms(casebook, BASELINE) or (None,)
    if baseline is not None and "prednisone_response" in fields(baseline):
        yield {
            "RSTESTCD": "PREDRESP",
            "RSTEST": "Prednisone Response",
            "RSCAT": "RESPONSE",
            "RSORRES": text(value(baseline, "prednisone_response")),
            **not_done("RS", code(baseline, "prednisone_response")),
        }
    for form in forms(casebook, "follow-ups"):
        yield {
            "RSTESTCD": "DISSTAT",
            "RSTEST": "Disease Status at Follow-up",
            "RSCAT": "RESPONSE",
            "RSORRES": text(value(form, "status")),
            "RSDTC": text(value(form, "date")),
        }
    for form in forms(casebook, "relapses"):
        yield {
            "RSTESTCD": "RELAPSE",
            "RSTEST": "Relapse",
            "RSCAT": "RESPONSE",
            "RSORRES": f"relapse: {text(value(form, 'site'))}, {text(value(form, 'timing'))}",
            "RSDTC": text(value(form, "date")),
        }


def rs_rows(casebook: Casebook) -> list[Row]:
    """The patient's RS rows: classifications and responses, each with its study day."""
    start = reference_start(casebook)
    rows = []
    for found in _assessments(casebook):
        result = found.get("RSORRES")
        rows.append(
            {
                **keys(casebook, "RS"),
                **found,
                "RSSTRESC": result,
                "RSDY": study_day(found.get("RSDTC"), start),
            }
        )
    return numbered(rows, "RS")
