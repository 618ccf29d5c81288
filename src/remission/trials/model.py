"""What a trial is: the curated-file models (validated by ``trial.schema.json``) and the runtime trial.

A trial's eligibility *is* a protocol's eligibility: the same criteria, parameters and
provenance models (:mod:`remission.protocols.model`), screened by the same engine. A trial adds
what a registry knows: recruitment status, sites, conditions, interventions, and the biomarkers
it is about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from remission.protocols.model import Criterion, Identifier, Parameter, Protocol, Provenance

NctId = Annotated[str, StringConstraints(pattern=r"^NCT[0-9]{8}$")]


class OverallStatus(StrEnum):
    """ClinicalTrials.gov API v2 ``overallStatus`` (also used for a site's ``status``)."""

    RECRUITING = "RECRUITING"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    COMPLETED = "COMPLETED"
    WITHDRAWN = "WITHDRAWN"
    UNKNOWN = "UNKNOWN"
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"


#: Statuses under which a child can be enrolled now, and those that will open.
OPEN_STATUSES = frozenset(
    {OverallStatus.RECRUITING, OverallStatus.ENROLLING_BY_INVITATION, OverallStatus.AVAILABLE}
)
SOON_STATUSES = frozenset({OverallStatus.NOT_YET_RECRUITING})


def recruitment_rank(status: OverallStatus | None) -> int:
    """0 recruiting now, 1 not yet recruiting, 2 not recruiting or unknown (for ranking)."""
    if status in OPEN_STATUSES:
        return 0
    return 1 if status in SOON_STATUSES else 2


class TrialModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Status(TrialModel):
    """Recruitment status as read in a dated source."""

    overall: OverallStatus
    as_of: dt.date = Field(description="Date of the source that states the status.")
    source: str = Field(description="Id of a provenance source.")


class Site(TrialModel):
    """One study site; coordinates only when a source gives them."""

    facility: str | None = None
    city: str | None = None
    country: str | None = None
    status: OverallStatus | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    source: str | None = Field(default=None, description="Id of a provenance source (curated files).")

    @model_validator(mode="after")
    def _both_coordinates(self) -> Site:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self

    @property
    def label(self) -> str:
        return (
            ", ".join(part for part in (self.facility, self.city, self.country) if part) or "(unnamed site)"
        )


class Biomarker(TrialModel):
    """A genomic or immunophenotypic finding the trial is about, and why it lists it.

    ``rearrangement`` of ``gene`` matches any partner; ``fusion`` names both genes
    (``GENE1::GENE2``); ``mutation`` names a gene and optionally an HGVS protein change;
    ``antigen`` names a surface or cytoplasmic marker (CD19, CD22).
    """

    id: Identifier
    kind: Literal["rearrangement", "fusion", "mutation", "antigen"]
    gene: str | None = None
    fusion: str | None = None
    variant: str | None = None
    marker: str | None = None
    role: str = Field(min_length=1, description="Why the trial lists it, e.g. 'required for eligibility'.")
    source: str

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Biomarker:
        needs = {"rearrangement": "gene", "mutation": "gene", "fusion": "fusion", "antigen": "marker"}[
            self.kind
        ]
        given = {name for name in ("gene", "fusion", "marker") if getattr(self, name) is not None}
        if given != {needs}:
            raise ValueError(f"a {self.kind} biomarker gives {needs} (and no other of gene, fusion, marker)")
        if self.variant is not None and self.kind != "mutation":
            raise ValueError("variant is only given for a mutation")
        return self

    @property
    def label(self) -> str:
        if self.kind == "rearrangement":
            return f"{self.gene} rearrangement"
        if self.kind == "fusion":
            return f"{self.fusion} fusion"
        if self.kind == "mutation":
            return f"{self.gene} {self.variant} mutation" if self.variant else f"{self.gene} mutation"
        return f"{self.marker} expression"


class RegisteredEligibility(TrialModel):
    """The registry's structured eligibility fields, as a source showed them (for change checks)."""

    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: Literal["ALL", "FEMALE", "MALE"] | None = None
    source: str


class SourceNote(TrialModel):
    """Source text kept with the trial that is not an eligibility criterion (e.g. an arm's exclusions)."""

    id: Identifier
    text: str = Field(min_length=1, description="Verbatim source text.")
    source: str
    note: str | None = None


class CuratedTrial(TrialModel):
    """One curated trial file (``trials/data/<NCT>.yaml``)."""

    id: NctId
    acronym: str | None = None
    title: str = Field(min_length=1)
    version: str = Field(min_length=1, description="Version of this file; change it with every edit.")
    provenance: Provenance
    eligibility_from_protocol: Identifier | None = Field(
        default=None, description="Shipped protocol whose parameters and eligibility this trial uses."
    )
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    eligibility: list[Criterion] | None = None
    verbatim_registry_source: str | None = Field(
        default=None,
        description="Source id whose criteria texts must appear in an imported registry record.",
    )
    status: Status | None = None
    conditions: list[str] = Field(default_factory=list)
    interventions: list[str] = Field(default_factory=list)
    phases: list[str] = Field(default_factory=list)
    biomarkers: list[Biomarker] = Field(default_factory=list)
    registered_eligibility: RegisteredEligibility | None = None
    sites: list[Site] = Field(default_factory=list)
    not_eligibility: list[SourceNote] = Field(
        default_factory=list, description="Source text that restricts an arm or drug, not trial entry."
    )

    @model_validator(mode="after")
    def _one_source_of_criteria(self) -> CuratedTrial:
        if self.eligibility_from_protocol is not None and (self.eligibility is not None or self.parameters):
            raise ValueError("give eligibility_from_protocol, or eligibility and parameters, not both")
        if self.eligibility_from_protocol is None and self.eligibility is None:
            raise ValueError("a curated trial needs eligibility (or eligibility_from_protocol)")
        return self


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """What an imported ClinicalTrials.gov API v2 record said, beyond the criteria built from it."""

    imported_on: dt.date
    source_file: str
    last_update_posted: str | None
    minimum_age: str | None
    maximum_age: str | None
    sex: str | None
    healthy_volunteers: bool | None
    std_ages: tuple[str, ...]
    criteria_text: str | None


@dataclass(frozen=True, slots=True)
class Trial:
    """A trial ready to match: its eligibility as a protocol, plus what the registry says.

    ``origin`` is ``curated``, ``imported`` or ``curated + imported``; ``registry`` is the
    imported record and ``curated`` the curated file, when there is one. ``warnings`` hold what
    a reader must know about the data (e.g. the registry changed since curation).
    """

    id: str
    title: str
    acronym: str | None
    version: str
    protocol: Protocol
    origin: str
    status: Status | None = None
    conditions: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    biomarkers: tuple[Biomarker, ...] = ()
    sites: tuple[Site, ...] = ()
    not_eligibility: tuple[SourceNote, ...] = ()
    registry: RegistryRecord | None = None
    curated: CuratedTrial | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.id} ({self.acronym})" if self.acronym else self.id
