"""Protocols as versioned data, and the screening and stratification engines."""

from __future__ import annotations

from remission.protocols.loader import (
    ProtocolError,
    load_protocol,
    load_protocol_file,
    load_protocol_text,
    parse_protocol,
    protocol_json_schema,
    shipped_protocol_ids,
    with_parameters,
)
from remission.protocols.model import Criterion, DecidedBy, Protocol
from remission.protocols.results import (
    CriterionResult,
    ScreeningResult,
    StratificationResult,
    Verdict,
)
from remission.protocols.screening import screen_patient, screen_patients
from remission.protocols.stratification import (
    PENDING,
    UNCLASSIFIED,
    stratify_patient,
    stratify_patients,
)

__all__ = [
    "PENDING",
    "UNCLASSIFIED",
    "Criterion",
    "CriterionResult",
    "DecidedBy",
    "Protocol",
    "ProtocolError",
    "ScreeningResult",
    "StratificationResult",
    "Verdict",
    "load_protocol",
    "load_protocol_file",
    "load_protocol_text",
    "parse_protocol",
    "protocol_json_schema",
    "screen_patient",
    "screen_patients",
    "shipped_protocol_ids",
    "stratify_patient",
    "stratify_patients",
    "with_parameters",
]
