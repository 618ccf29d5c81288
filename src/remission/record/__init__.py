"""The clinical record: models, vocabularies, derived ages and input checks. No I/O."""

from __future__ import annotations

from remission.record.ages import AgeUnit, add_months, age
from remission.record.consistency import consistency_problems
from remission.record.model import (
    KMT2A,
    Attestation,
    Consent,
    CopyNumberChange,
    Diagnosis,
    Genetics,
    MRDResult,
    Mutation,
    Patient,
    PatientRecord,
    SteroidCourse,
    StudyParticipation,
    TreatmentPhase,
)
from remission.record.parse import parse_record, parse_record_json
from remission.record.schema import record_json_schema

__all__ = [
    "KMT2A",
    "AgeUnit",
    "Attestation",
    "Consent",
    "CopyNumberChange",
    "Diagnosis",
    "Genetics",
    "MRDResult",
    "Mutation",
    "Patient",
    "PatientRecord",
    "SteroidCourse",
    "StudyParticipation",
    "TreatmentPhase",
    "add_months",
    "age",
    "consistency_problems",
    "parse_record",
    "parse_record_json",
    "record_json_schema",
]
