"""What a protocol file holds: provenance, parameters, criteria, risk rules, arms, phases, schedule.

The JSON Schema shipped as ``protocol.schema.json`` is generated from these models
(``remission protocol schema``); a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from remission.protocols.base import Identifier, ProtocolModel
from remission.protocols.edit_checks import EditCheck
from remission.protocols.schedule import Assessment
from remission.protocols.signature_plan import SignaturePlan
from remission.protocols.source_verification import VerificationEntry
from remission.rules.expressions import Expression

__all__ = ["Identifier", "ProtocolModel"]


class Source(ProtocolModel):
    id: Identifier
    citation: str = Field(min_length=1)
    url: str | None = None
    accessed: dt.date | None = None


class OpenQuestion(ProtocolModel):
    id: Identifier
    text: str = Field(min_length=1)
    parameter: str | None = Field(default=None, description="Parameter that carries the choice.")


class Provenance(ProtocolModel):
    sources: list[Source] = Field(min_length=1)
    registry_id: str | None = Field(default=None, description="e.g. the NCT number.")
    source_date: dt.date | None = Field(default=None, description="Date of the source text.")
    encoded_on: dt.date
    encoded_by: str = Field(min_length=1)
    open_questions: list[OpenQuestion] = Field(default_factory=list)


class Parameter(ProtocolModel):
    """A tunable value. A clinical value cites a source or says it is an assumption."""

    value: Any
    description: str = Field(min_length=1)
    unit: str | None = None
    choices: list[Any] | None = None
    source: str | None = Field(default=None, description="Id of a provenance source.")
    assumption: bool = Field(default=False, description="True when no source settles the value.")

    @model_validator(mode="after")
    def _sourced_or_assumed(self) -> Parameter:
        if self.source is None and not self.assumption:
            raise ValueError("a parameter needs a source or assumption: true")
        if self.choices is not None and self.value not in self.choices:
            raise ValueError(f"value {self.value!r} is not one of the choices {self.choices}")
        return self


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class DecidedBy(StrEnum):
    AUTOMATIC = "automatic"  # the engine decides from the record
    ATTESTED = "attested"  # a named person must state the outcome
    NOT_COMPUTABLE = "not_computable"  # the text cannot be encoded; a person reviews it


class Criterion(ProtocolModel):
    id: Identifier
    kind: CriterionKind
    text: str = Field(min_length=1, description="Verbatim source text, typos included.")
    decided: DecidedBy
    expression: Expression | None = None
    source: str = Field(description="Id of a provenance source.")
    note: str | None = None

    @model_validator(mode="after")
    def _expression_when_automatic(self) -> Criterion:
        if self.decided is DecidedBy.AUTOMATIC and self.expression is None:
            raise ValueError("an automatic criterion needs an expression")
        if self.decided is not DecidedBy.AUTOMATIC and self.expression is not None:
            raise ValueError(f"a {self.decided.value} criterion has no expression")
        return self


class Duration(ProtocolModel):
    value: float = Field(gt=0)
    unit: Literal["days", "weeks", "months", "years"]
    approximate: bool = False


class Phase(ProtocolModel):
    id: Identifier
    label: str
    duration: Duration | None = None
    drugs: list[str] = Field(default_factory=list)
    source: str
    note: str | None = None


class Arm(ProtocolModel):
    id: Identifier
    label: str
    phases: list[Identifier] = Field(min_length=1, description="Phase ids in order.")
    source: str
    note: str | None = None


class RiskGroup(ProtocolModel):
    id: Identifier
    label: str
    arm: Identifier | None = Field(default=None, description="Arm id; null if not encoded.")
    source: str


class ProvisionalTrack(ProtocolModel):
    """Treatment given before the final risk group is known."""

    id: Identifier
    label: str
    possible_groups: list[Identifier] = Field(min_length=1)
    phases: list[Identifier] = Field(default_factory=list)
    source: str
    note: str | None = None


class RiskRule(ProtocolModel):
    outcome: Identifier = Field(description="A risk group id (final) or a track id (provisional).")
    when: Expression
    source: str
    note: str | None = None


class TimePoint(ProtocolModel):
    """Rules read in order: the first met rule decides, unless an earlier one is unknown."""

    id: Identifier
    label: str
    assigns: Literal["provisional", "final"]
    rules: list[RiskRule] = Field(min_length=1)


class Stratification(ProtocolModel):
    risk_groups: list[RiskGroup] = Field(min_length=1)
    provisional_tracks: list[ProvisionalTrack] = Field(default_factory=list)
    time_points: list[TimePoint] = Field(min_length=1)


class Protocol(ProtocolModel):
    """One versioned protocol file."""

    id: Identifier
    title: str
    version: str = Field(min_length=1, description="Version of this file, e.g. 2026.11.1.")
    provenance: Provenance
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    eligibility: list[Criterion] | None = Field(
        default=None, description="Null when the sources give no criteria to encode."
    )
    phases: list[Phase] = Field(default_factory=list)
    arms: list[Arm] = Field(default_factory=list)
    stratification: Stratification | None = None
    schedule: list[Assessment] = Field(
        default_factory=list, description="The schedule of assessments: what is collected when."
    )
    edit_checks: list[EditCheck] = Field(
        default_factory=list, description="What must hold when a course row is written (hard or soft)."
    )
    signatures: SignaturePlan | None = Field(
        default=None, description="Who signs, and the signatures a casebook needs before it is locked."
    )
    source_verification: list[VerificationEntry] = Field(
        default_factory=list, description="The SDV plan: the items a monitor verifies against the source."
    )

    def parameter_values(self) -> dict[str, Any]:
        return {name: parameter.value for name, parameter in self.parameters.items()}
