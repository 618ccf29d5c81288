"""The clinical record of one pseudonymous child, as pydantic v2 models.

Conventions:
- A field that is absent or ``null`` is *not recorded*; decisions treat it as unknown.
  An empty list is a recorded "none" (for example ``syndromes: []``).
- Units are part of the field name: ``wbc_at_diagnosis_1e9_per_l`` is ×10⁹/L;
  MRD values are fractions of nucleated cells (10⁻⁴ is 0.01%).
- Ages are never stored; they are derived from dates (:mod:`remission.record.ages`).

The models check each field on its own; checks that compare fields (diagnosis
before birth, dates in the future) live in :mod:`remission.record.consistency`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StringConstraints, model_validator

from remission.errors import describe_pattern
from remission.record.ages import AgeUnit, age
from remission.record.vocabulary import (
    AttestedOutcome,
    CNSStatus,
    ConsentGiver,
    CopyNumberChangeType,
    KMT2AStatus,
    Lineage,
    MarkerResult,
    MRDMethod,
    MRDTimePoint,
    PhLikeClass,
    PhStatus,
    PrednisoneResponse,
    RelapseStatus,
    Sex,
    Syndrome,
    TherapyPhase,
    WhoType,
)

RECORD_SCHEMA_VERSION: Final = "1"

GENE_SYMBOL_PATTERN = describe_pattern(
    r"^[A-Z][A-Z0-9]*(?:orf[0-9]+)?(?:-[A-Z0-9]+)*$", "an HGNC gene symbol such as KMT2A or ABL1"
)
FUSION_PATTERN = describe_pattern(
    r"^[A-Z][A-Z0-9]*(?:orf[0-9]+)?(?:-[A-Z0-9]+)*::[A-Z][A-Z0-9]*(?:orf[0-9]+)?(?:-[A-Z0-9]+)*$",
    "a gene fusion in HGNC notation 5'GENE::3'GENE, such as KMT2A::AFF1",
)

GeneSymbol = Annotated[
    str,
    StringConstraints(pattern=GENE_SYMBOL_PATTERN),
    Field(description="HGNC gene symbol, e.g. KMT2A, ABL1."),
]
FusionName = Annotated[
    str,
    StringConstraints(pattern=FUSION_PATTERN),
    Field(description="Gene fusion in HGNC `5'GENE::3'GENE` notation, e.g. KMT2A::AFF1."),
]
MarkerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9.+-]*$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
# Strict: "yes", 0 or "12.4" are refused rather than coerced into a clinical value.
Fraction = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]


class RecordModel(BaseModel):
    """Base of every record model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, allow_inf_nan=False)


class Patient(RecordModel):
    study_id: Identifier = Field(description="Pseudonymous study identifier; never a name.")
    site: Identifier | None = Field(default=None, description="Code of the treating site.")
    sex: Sex | None = None
    date_of_birth: dt.date | None = None


class Diagnosis(RecordModel):
    date: dt.date | None = Field(default=None, description="Date of diagnosis.")
    who_type: WhoType | None = None
    alal_predominant_lineage: Lineage | None = Field(
        default=None, description="Only for ALAL: the predominant lineage."
    )
    immunophenotype: dict[MarkerName, MarkerResult] | None = Field(
        default=None, description="Marker name (CD19, CD22, cyCD3, MPO, ...) to result."
    )

    @model_validator(mode="after")
    def _lineage_only_for_alal(self) -> Diagnosis:
        if self.alal_predominant_lineage is not None and self.who_type not in (None, WhoType.ALAL):
            raise ValueError("alal_predominant_lineage is only recorded when who_type is ALAL")
        return self


class KMT2A(RecordModel):
    status: KMT2AStatus | None = None
    partner: GeneSymbol | None = Field(default=None, description="Fusion partner, e.g. AFF1.")
    method: str | None = Field(default=None, description="Assay, e.g. FISH, RT-PCR, RNA-seq.")

    @model_validator(mode="after")
    def _partner_only_when_rearranged(self) -> KMT2A:
        if self.partner is not None and self.status is not KMT2AStatus.REARRANGED:
            raise ValueError("partner is only recorded when status is rearranged")
        return self


class Mutation(RecordModel):
    gene: GeneSymbol
    variant: str | None = Field(default=None, description="HGVS protein change, e.g. p.D835Y.")


class CopyNumberChange(RecordModel):
    gene: GeneSymbol
    change: CopyNumberChangeType


class Genetics(RecordModel):
    kmt2a: KMT2A | None = None
    fusions: list[FusionName] | None = Field(
        default=None, description="Fusions found; [] when tested and none found."
    )
    mutations: list[Mutation] | None = None
    ph_status: PhStatus | None = None
    ph_like_class: PhLikeClass | None = None
    copy_number_changes: list[CopyNumberChange] | None = Field(
        default=None, description="Gene copy-number changes found; [] when tested and none found."
    )


class SteroidCourse(RecordModel):
    drug: str = Field(min_length=1)
    systemic: StrictBool = Field(description="False for topical or inhaled use.")
    start_date: dt.date
    end_date: dt.date | None = Field(default=None, description="Last day given; null if ongoing.")


class StudyParticipation(RecordModel):
    study_id: str = Field(min_length=1, description="Registry id, e.g. an NCT number.")
    interventional: StrictBool
    start_date: dt.date
    end_date: dt.date | None = Field(default=None, description="Null while participation goes on.")


class Consent(RecordModel):
    given_by: ConsentGiver
    date: dt.date
    form_version: str = Field(min_length=1)


class MRDResult(RecordModel):
    time_point: MRDTimePoint
    method: MRDMethod
    sample_date: dt.date
    value_fraction: Fraction | None = Field(
        default=None, description="Measured MRD as a fraction; 0 means not detected."
    )
    positive_not_quantifiable: StrictBool = Field(
        default=False, description="Detected below the assay's quantitative range."
    )
    sensitivity_fraction: Annotated[float, Strict(), Field(gt=0.0, le=1.0)] | None = Field(
        default=None, description="Limit of detection of this measurement, as a fraction."
    )

    @model_validator(mode="after")
    def _value_or_pnq(self) -> MRDResult:
        if self.positive_not_quantifiable and self.value_fraction is not None:
            raise ValueError("give value_fraction or positive_not_quantifiable, not both")
        if not self.positive_not_quantifiable and self.value_fraction is None:
            raise ValueError("value_fraction is required unless positive_not_quantifiable is true")
        return self


class TreatmentPhase(RecordModel):
    phase_id: Identifier = Field(description="Phase id from the protocol, e.g. induction.")
    start_date: dt.date
    end_date: dt.date | None = None


class Attestation(RecordModel):
    """A named person's statement that a criterion is met or not met."""

    protocol_id: Identifier
    criterion_id: Identifier
    outcome: AttestedOutcome
    attested_by: str = Field(min_length=1, description="Full name of the person attesting.")
    role: str | None = None
    date: dt.date
    note: str | None = None


class PatientRecord(RecordModel):
    """Everything the screening and stratification engines may read about one child."""

    schema_version: Literal["1"] = RECORD_SCHEMA_VERSION
    patient: Patient
    diagnosis: Diagnosis | None = None
    genetics: Genetics | None = None
    wbc_at_diagnosis_1e9_per_l: Annotated[float, Strict(), Field(ge=0.0)] | None = Field(
        default=None, description="White blood cell count at diagnosis, ×10⁹/L."
    )
    cns_status: CNSStatus | None = None
    prednisone_response: PrednisoneResponse | None = None
    syndromes: list[Syndrome] | None = Field(
        default=None, description="Predisposition syndromes; [] when assessed and none found."
    )
    prior_steroids: list[SteroidCourse] | None = Field(
        default=None, description="Steroid courses before study entry; [] when none."
    )
    prior_hsct: StrictBool | None = None
    relapse_status: RelapseStatus | None = None
    refractory_disease: StrictBool | None = Field(
        default=None,
        description="Whether the leukemia is refractory (no remission after induction or relapse therapy).",
    )
    current_therapy_phase: TherapyPhase | None = Field(
        default=None, description="Phase of multiphase chemotherapy the child is in now."
    )
    consent: Consent | None = None
    other_studies: list[StudyParticipation] | None = Field(
        default=None, description="Other study participations; [] when none."
    )
    study_entry_date: dt.date | None = Field(
        default=None, description="Date of (planned) entry into the study being screened for."
    )
    mrd: list[MRDResult] = Field(default_factory=list)
    treatment_phases: list[TreatmentPhase] = Field(default_factory=list)
    attestations: list[Attestation] = Field(default_factory=list)

    def age_on(self, on: dt.date | None, unit: AgeUnit) -> int | None:
        """Age in completed ``unit`` on ``on``; ``None`` when either date is unknown."""
        born = self.patient.date_of_birth
        if born is None or on is None or on < born:
            return None
        return age(born, on, unit)
