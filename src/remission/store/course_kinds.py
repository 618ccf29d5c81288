"""The kinds of a patient's course rows: the one description of each, from which the rest is derived.

Each :class:`CourseKind` names its table (the model), the schema of a new row (field names,
types, limits and checks across fields), its URL segment and its title. The API derives its
Create, Update and Public schemas from ``create``; the web forms validate against ``create``
and their fields (``remission.web.fields``) are checked against it and the table by a test.
Adding a kind is one entry in :data:`COURSE_KINDS` plus a model, a migration and form fields
(see ``docs/architecture.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from remission.record.anthracyclines import known_drugs
from remission.record.vocabulary import ConsentGiver, MRDMethod, MRDTimePoint
from remission.store import models
from remission.store.base import PatientOwned
from remission.store.errors import NotFound
from remission.store.vocabulary import (
    Attribution,
    CardiacMethod,
    DonorType,
    FollowUpStatus,
    RelapseSite,
    RelapseTiming,
)

#: Ids and versions fit a 32-bit integer column on every back end.
MAX_ID = 2**31 - 1
#: The form name of the patient's baseline (diagnostic) record, beside the course kinds' segments
#: (data queries and missing-data codes are raised on it).
BASELINE_FORM = "baseline"
#: The form name of the patient row's own recorded columns (``patient:date_of_birth``), for the items
#: of source data verification; the date of birth is read by the age criteria.
PATIENT_FORM = "patient"
#: The columns of the patient row that are recorded data (items under :data:`PATIENT_FORM`).
PATIENT_FIELDS = ("date_of_birth", "sex")
#: Record sections kept in ``Patient.baseline``; the rest of the record has tables of its own.
BASELINE_FIELDS = (
    "diagnosis",
    "genetics",
    "wbc_at_diagnosis_1e9_per_l",
    "cns_status",
    "prednisone_response",
    "syndromes",
    "prior_steroids",
    "prior_hsct",
    "relapse_status",
    "refractory_disease",
    "current_therapy_phase",
    "other_studies",
)


class Strict(BaseModel):
    """A schema that refuses unknown fields, NaN and infinity."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


Text = Annotated[str, Field(min_length=1, max_length=2000)]


class ConsentCreate(Strict):
    """Parental permission, the child's assent or the participant's own consent (by ``given_by``).

    ``protocol_id`` names the study whose registered form version ``form_version`` is; the store
    then refuses a version not approved on ``date`` (``remission.store.consent_versions``).
    """

    given_by: ConsentGiver
    date: date
    form_version: Annotated[str, Field(min_length=1, max_length=64)]
    protocol_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] | None = None


class MRDCreate(Strict):
    time_point: MRDTimePoint
    method: MRDMethod
    sample_date: date
    value_fraction: Annotated[float, Field(ge=0, le=1, strict=True)] | None = None
    positive_not_quantifiable: StrictBool = False
    sensitivity_fraction: Annotated[float, Field(gt=0, le=1, strict=True)] | None = None

    @model_validator(mode="after")
    def _value_or_pnq(self) -> MRDCreate:
        if self.positive_not_quantifiable == (self.value_fraction is not None):
            raise ValueError("give value_fraction or positive_not_quantifiable: true, not both or neither")
        return self


class TreatmentPhaseCreate(Strict):
    phase_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    deviation: Text | None = None


class TransplantCreate(Strict):
    date: date
    donor_type: DonorType
    conditioning_regimen: Text


class AdverseEventCreate(Strict):
    terminology: Annotated[str, Field(min_length=1, max_length=40)] = "CTCAE v5.0"
    term: Annotated[str, Field(min_length=1, max_length=200)]
    grade: Annotated[int, Field(ge=1, le=5, strict=True)]
    onset_date: date
    resolution_date: date | None = None
    serious: StrictBool
    attribution: Attribution


class AnthracyclineDoseCreate(Strict):
    drug: Annotated[str, Field(min_length=1, max_length=64)]
    dose_mg_per_m2: Annotated[float, Field(gt=0, le=1000, strict=True)]
    date: date
    dexrazoxane: StrictBool = False

    @model_validator(mode="after")
    def _known_drug(self) -> AnthracyclineDoseCreate:
        if self.drug.lower() not in known_drugs():
            raise ValueError(f"drug must be one of {known_drugs()}")
        return self


class RelapseCreate(Strict):
    date: date
    site: RelapseSite
    timing: RelapseTiming
    treatment: Text | None = None
    remission_before_second_hsct: StrictBool | None = None
    second_hsct_conditioning: Text | None = None


class DeathCreate(Strict):
    date: date
    cause: Text


class FollowUpCreate(Strict):
    date: date
    status: FollowUpStatus


class PhaseReportCreate(Strict):
    phase_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    date: date
    completed_as_planned: StrictBool
    note: Text | None = None


Percent = Annotated[float, Field(gt=0, le=100, strict=True)]


class CardiacAssessmentCreate(Strict):
    date: date
    method: CardiacMethod
    shortening_fraction_percent: Percent | None = None
    ejection_fraction_percent: Percent | None = None
    finding: Text | None = None


@dataclass(frozen=True, slots=True)
class CourseKind:
    """One kind of course row: its URL segment, table, new-row schema and title."""

    segment: str
    model: type[PatientOwned]
    create: type[Strict]
    title: str


COURSE_KINDS: tuple[CourseKind, ...] = (
    CourseKind("consents", models.ConsentRecord, ConsentCreate, "consent"),
    CourseKind("mrd", models.MRDMeasurement, MRDCreate, "MRD result"),
    CourseKind("treatment-phases", models.TreatmentPhaseRecord, TreatmentPhaseCreate, "treatment phase"),
    CourseKind("transplants", models.Transplant, TransplantCreate, "allogeneic HSCT"),
    CourseKind("adverse-events", models.AdverseEvent, AdverseEventCreate, "adverse event"),
    CourseKind(
        "anthracycline-doses", models.AnthracyclineDose, AnthracyclineDoseCreate, "anthracycline dose"
    ),
    CourseKind("relapses", models.Relapse, RelapseCreate, "relapse"),
    CourseKind("deaths", models.Death, DeathCreate, "death"),
    CourseKind("follow-ups", models.FollowUp, FollowUpCreate, "follow-up"),
    CourseKind("phase-reports", models.PhaseReport, PhaseReportCreate, "end-of-phase report"),
    CourseKind(
        "cardiac-assessments", models.CardiacAssessment, CardiacAssessmentCreate, "cardiac assessment"
    ),
)
_BY_SEGMENT = {kind.segment: kind for kind in COURSE_KINDS}
_BY_MODEL: dict[type, CourseKind] = {kind.model: kind for kind in COURSE_KINDS}


def course_kind(segment: str) -> CourseKind:
    """The kind with URL segment ``segment``; an unknown one is :class:`NotFound`."""
    kind = _BY_SEGMENT.get(segment)
    if kind is None:
        raise NotFound("course row kind", segment)
    return kind


def row_kind(row: object) -> CourseKind | None:
    """The kind of a course row (by its type); ``None`` for any other object."""
    return _BY_MODEL.get(type(row))
