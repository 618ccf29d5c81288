"""What a knowledge-base file holds: provenance, agencies, settings, genes and therapy entries.

The JSON Schema shipped as ``knowledge.schema.json`` is generated from these models
(:func:`remission.knowledge.schema.generate_knowledge_schema`); a test keeps the two in step.
Every fact cites a source of its file's provenance; a value no source settles is marked
as an assumption, and what cannot be sourced is left out and listed as an open question.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, model_validator

from remission.knowledge.vocabulary import (
    LEVELS_BY_TYPE,
    BiomarkerKind,
    DiseaseSetting,
    EvidenceLevel,
    EvidenceType,
    LevelAssignedBy,
    Modality,
    Population,
)
from remission.record.ages import AgeUnit
from remission.record.model import FUSION_PATTERN, GENE_SYMBOL_PATTERN
from remission.record.vocabulary import CopyNumberChangeType, PhLikeClass, WhoType
from remission.rules.expressions import Expression

_GENE = re.compile(GENE_SYMBOL_PATTERN)
_FUSION = re.compile(FUSION_PATTERN)


def _gene_symbol(value: str) -> str:
    if not _GENE.fullmatch(value):
        raise ValueError(f"{value!r} is not an HGNC gene symbol (upper case letters and digits, e.g. FLT3)")
    return value


def _fusion_name(value: str) -> str:
    if not _FUSION.fullmatch(value):
        raise ValueError(f"{value!r} is not a fusion in HGNC 5'GENE::3'GENE notation (e.g. BCR::ABL1)")
    return value


GeneSymbol = Annotated[
    str, AfterValidator(_gene_symbol), Field(json_schema_extra={"pattern": GENE_SYMBOL_PATTERN})
]
FusionName = Annotated[
    str, AfterValidator(_fusion_name), Field(json_schema_extra={"pattern": FUSION_PATTERN})
]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
SourceIds = Annotated[list[Identifier], Field(min_length=1, description="Ids of provenance sources.")]
Text = Annotated[str, Field(min_length=1)]
PartialDate = Annotated[
    str,
    Field(
        pattern=r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$",
        description="YYYY, YYYY-MM or YYYY-MM-DD: only as precise as the source.",
    ),
]


class KnowledgeModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(KnowledgeModel):
    id: Identifier
    citation: Text
    url: str | None = None
    accessed: dt.date | None = None


class OpenQuestion(KnowledgeModel):
    id: Identifier
    text: Text


class Provenance(KnowledgeModel):
    sources: list[Source] = Field(min_length=1)
    encoded_on: dt.date
    encoded_by: Text
    open_questions: list[OpenQuestion] = Field(default_factory=list)


class AgeBound(KnowledgeModel):
    """One end of an age range, in completed calendar units (as the record's age helpers count)."""

    value: Annotated[int, Field(ge=0)]
    unit: AgeUnit
    inclusive: bool = Field(default=True, description="True: the bound itself is inside the range.")


class AgencyDefinition(KnowledgeModel):
    """A regulator, and from which age its labels' word "adult" is read."""

    name: Text
    adult_from: AgeBound = Field(description="Age from which a patient counts as an adult for this agency.")
    adult_from_source: Identifier | None = None
    adult_from_assumption: bool = Field(default=False, description="True when no source settles the age.")
    note: str | None = None

    @model_validator(mode="after")
    def _sourced_or_assumed(self) -> AgencyDefinition:
        if self.adult_from_source is None and not self.adult_from_assumption:
            raise ValueError("adult_from needs adult_from_source or adult_from_assumption: true")
        return self


class SettingDefinition(KnowledgeModel):
    """How a disease setting reads off the record: met, not met or unknown."""

    description: Text
    when: Expression
    sources: SourceIds


class GeneInfo(KnowledgeModel):
    """A gene symbol the knowledge base may use, and the sources that name it."""

    name: str | None = Field(default=None, description="Full gene name, when a source gives it.")
    sources: SourceIds


class RecordFinding(KnowledgeModel):
    """Another record field that shows the biomarker: met = present, not met = absent."""

    label: Text
    present_when: Expression


class _Biomarker(KnowledgeModel):
    also_shown_by: list[RecordFinding] = Field(
        default_factory=list, description="Other record fields that show the same biomarker."
    )


class FusionBiomarker(_Biomarker):
    kind: Literal[BiomarkerKind.FUSION]
    fusion: FusionName


class RearrangementBiomarker(_Biomarker):
    kind: Literal[BiomarkerKind.REARRANGEMENT]
    genes: list[GeneSymbol] = Field(min_length=1, description="Any of these genes, with any partner.")
    label: Text = Field(description="How the biomarker is named, e.g. KMT2A rearrangement.")


class MutationBiomarker(_Biomarker):
    kind: Literal[BiomarkerKind.MUTATION]
    gene: GeneSymbol
    variants: list[Text] | None = Field(
        default=None, description="HGVS protein changes that count; absent = any mutation of the gene."
    )
    variant_class: str | None = Field(
        default=None,
        description="A class of variant the record cannot show (e.g. ITD): a matching gene needs review.",
    )


class CopyNumberBiomarker(_Biomarker):
    kind: Literal[BiomarkerKind.COPY_NUMBER]
    gene: GeneSymbol
    change: CopyNumberChangeType


class PhLikeBiomarker(_Biomarker):
    kind: Literal[BiomarkerKind.PH_LIKE_CLASS]
    ph_like_class: PhLikeClass

    @model_validator(mode="after")
    def _a_class(self) -> PhLikeBiomarker:
        if self.ph_like_class is PhLikeClass.NOT_PH_LIKE:
            raise ValueError("'not Ph-like' is not a biomarker")
        return self


class SurfaceAntigenBiomarker(_Biomarker):
    kind: Literal[BiomarkerKind.SURFACE_ANTIGEN]
    antigen: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9.+-]*$", description="Marker, e.g. CD19.")]


Biomarker = Annotated[
    FusionBiomarker
    | RearrangementBiomarker
    | MutationBiomarker
    | CopyNumberBiomarker
    | PhLikeBiomarker
    | SurfaceAntigenBiomarker,
    Discriminator("kind"),
]


class Therapy(KnowledgeModel):
    name: Text
    modality: Modality
    combination: str | None = Field(default=None, description="e.g. with chemotherapy.")


class Evidence(KnowledgeModel):
    type: EvidenceType
    level: EvidenceLevel
    assigned_by: LevelAssignedBy
    rationale: Text = Field(description="Why this level: which definition the sourced facts meet.")
    sources: SourceIds

    @model_validator(mode="after")
    def _level_fits_type(self) -> Evidence:
        if self.level not in LEVELS_BY_TYPE[self.type]:
            allowed = sorted(level.value for level in LEVELS_BY_TYPE[self.type])
            raise ValueError(
                f"level {self.level.value} is not a {self.type.value} level; use one of {allowed}"
            )
        return self


class Condition(KnowledgeModel):
    """A condition of an approval that the record can show (e.g. Ph-negative)."""

    label: Text
    when: Expression


class Approval(KnowledgeModel):
    """One regulatory approval: agency, population, age range, diseases, settings and date.

    A missing age bound means the source states none. An empty ``settings`` list means
    the source names no disease setting. An empty ``diseases`` list means the approval is
    for a disease outside the record's vocabulary (``indication`` says which).
    """

    id: Identifier
    agency: Identifier
    indication: Text = Field(description="The approved indication, in our words.")
    population: Population
    min_age: AgeBound | None = None
    max_age: AgeBound | None = None
    diseases: list[WhoType]
    settings: list[DiseaseSetting] = Field(default_factory=list)
    requires: list[Condition] = Field(default_factory=list)
    unrecorded_conditions: list[Text] = Field(
        default_factory=list, description="Conditions the record cannot show; each needs review."
    )
    date: PartialDate | None = None
    date_note: str | None = None
    sources: SourceIds


class KeyTrial(KnowledgeModel):
    id: Text = Field(description="Registry id (NCT number) or study name.")
    note: str | None = None
    sources: SourceIds


class Entry(KnowledgeModel):
    """One biomarker-therapy (or prognostic/diagnostic) assertion with its evidence and approvals."""

    id: Identifier
    biomarker: Biomarker
    diseases: list[WhoType] = Field(min_length=1, description="Where the evidence applies.")
    therapy: Therapy | None = None
    evidence: Evidence
    approvals: list[Approval] = Field(
        default_factory=list, description="No approval anywhere: the option is trial-only."
    )
    key_trials: list[KeyTrial] = Field(default_factory=list)
    assumptions: list[Text] = Field(default_factory=list, description="Shown with every result.")
    note: str | None = None
    sources: SourceIds

    @model_validator(mode="after")
    def _therapy_when_therapeutic(self) -> Entry:
        therapeutic = self.evidence.type is EvidenceType.THERAPEUTIC
        if therapeutic and self.therapy is None:
            raise ValueError("a therapeutic entry needs a therapy")
        if not therapeutic and (self.therapy is not None or self.approvals):
            raise ValueError("a prognostic or diagnostic entry has no therapy and no approvals")
        return self


class KnowledgeFile(KnowledgeModel):
    """One YAML file of the knowledge base."""

    id: Identifier
    title: Text
    version: Text
    provenance: Provenance
    agencies: dict[Identifier, AgencyDefinition] = Field(default_factory=dict)
    settings: dict[DiseaseSetting, SettingDefinition] = Field(default_factory=dict)
    genes: dict[GeneSymbol, GeneInfo] = Field(default_factory=dict)
    entries: list[Entry] = Field(default_factory=list)
