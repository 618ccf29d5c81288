"""The schedule of assessments a protocol file declares: what is collected, when, and on which arm.

Each assessment names the form that satisfies it (a course-row kind such as ``mrd``), the date
it is due from (the start or end of a phase the child's arm or track holds, or a milestone),
and a window of days around that date. Windows are numbers or ``{param: NAME}``: a published
window cites its source through its parameter, an unpublished one is a parameter marked
``assumption: true`` (CLINICAL_FACTS.md: NCT06516679 publishes none).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from remission.protocols.base import Identifier, ProtocolModel
from remission.record.vocabulary import MRDTimePoint
from remission.rules.expressions import ParamRef

Days = Annotated[int, Field(ge=0, le=3650)] | ParamRef


class CourseForm(StrEnum):
    """The forms of a child's course: the course-row kinds of the study store (a test keeps them equal)."""

    CONSENTS = "consents"
    MRD = "mrd"
    TREATMENT_PHASES = "treatment-phases"
    TRANSPLANTS = "transplants"
    ADVERSE_EVENTS = "adverse-events"
    ANTHRACYCLINE_DOSES = "anthracycline-doses"
    RELAPSES = "relapses"
    DEATHS = "deaths"
    FOLLOW_UPS = "follow-ups"
    PHASE_REPORTS = "phase-reports"
    CARDIAC_ASSESSMENTS = "cardiac-assessments"


class Milestone(StrEnum):
    DIAGNOSIS = "diagnosis"
    END_OF_THERAPY = "end_of_therapy"  # the end of the last phase of the child's arm


class Collects(ProtocolModel):
    form: CourseForm
    time_point: MRDTimePoint | None = Field(
        default=None, description="For MRD: the time point the result must carry, e.g. after consolidation 1."
    )


class Anchor(ProtocolModel):
    """The date the window is counted from. Exactly one of ``phases``, ``each_phase`` or ``milestone``."""

    phases: list[Identifier] | None = Field(
        default=None,
        description="The first of these phases the child's arm or track holds (arms name it differently).",
    )
    each_phase: Literal["all", "with_anthracycline"] | None = Field(
        default=None, description="One assessment per phase of the arm (or per phase with an anthracycline)."
    )
    milestone: Milestone | None = None
    at: Literal["start", "end"] = "end"
    days_after: Days = Field(
        default=0,
        description="Due this many days after the anchor date (e.g. end of induction from diagnosis).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Anchor:
        given = [name for name in ("phases", "each_phase", "milestone") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of phases, each_phase, milestone (given: {given or 'none'})")
        return self


class Window(ProtocolModel):
    """Due from ``before_days`` before the anchor date to ``after_days`` after it, both days included."""

    before_days: Days
    after_days: Days


class Repeat(ProtocolModel):
    every_days: Days
    times: Annotated[int, Field(ge=1, le=100)] | ParamRef


class Assessment(ProtocolModel):
    id: Identifier
    label: str
    collects: Collects
    anchor: Anchor
    window: Window
    repeat: Repeat | None = None
    source: str = Field(description="Id of a provenance source (the assessment itself, not its window).")
    assumption: bool = Field(
        default=False, description="True when the source does not say the trial collects this assessment."
    )
    note: str | None = None
