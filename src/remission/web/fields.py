"""The fields of each course form: label, input kind, choices and help, in the order shown.

Names are those of the store's course-row kinds (:data:`remission.store.COURSE_KINDS`), whose
``create`` schemas the forms validate against, so the web and the API accept the same rows; a
test checks every form field against the schema and the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum

from remission.protocols import shipped_protocol_ids
from remission.record.anthracyclines import known_drugs
from remission.record.vocabulary import ConsentGiver, MRDMethod, MRDTimePoint
from remission.store import Attribution, CardiacMethod, DonorType, FollowUpStatus, RelapseSite, RelapseTiming

Choices = tuple[tuple[str, str], ...]
#: CTCAE grade meanings (CLINICAL_FACTS.md §5).
GRADES: Choices = (
    ("1", "1 – mild"),
    ("2", "2 – moderate"),
    ("3", "3 – severe"),
    ("4", "4 – life-threatening"),
    ("5", "5 – death"),
)
YES_NO: Choices = (("yes", "yes"), ("no", "no"))


@dataclass(frozen=True, slots=True)
class FormField:
    """One input. ``kind``: date, number, integer, select, checkbox, yesno, text, textarea or term."""

    name: str
    label: str
    kind: str
    help: str = ""
    choices: Choices = ()
    required: bool = False

    @property
    def html_id(self) -> str:
        return field_id(self.name)


def field_id(name: str) -> str:
    """The HTML id of the input ``name``: ``f-`` and the name, each run of other characters as ``-``."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def enum_choices(kind: type[Enum]) -> Choices:
    return tuple((str(member.value), str(member.value)) for member in kind)  # type: ignore[attr-defined]


def _f(
    name: str, label: str, kind: str, help: str = "", choices: Choices = (), required: bool = False
) -> FormField:
    return FormField(name, label, kind, help, choices, required)


FIELDS: dict[str, tuple[FormField, ...]] = {
    "consents": (
        _f("given_by", "Consent given by", "select", choices=enum_choices(ConsentGiver), required=True),
        _f("date", "Date of consent", "date", required=True),
        _f(
            "form_version",
            "Consent form version",
            "text",
            "As printed on the form, e.g. v2.1.",
            required=True,
        ),
        _f(
            "protocol_id",
            "Study",
            "select",
            "The study whose registered form version this is; the version must be approved on the date.",
            choices=tuple((pid, pid) for pid in shipped_protocol_ids()),
        ),
    ),
    "mrd": (
        _f("time_point", "Time point", "select", choices=enum_choices(MRDTimePoint), required=True),
        _f("method", "Method", "select", choices=enum_choices(MRDMethod), required=True),
        _f("sample_date", "Sample date", "date", required=True),
        _f(
            "value_fraction",
            "MRD value",
            "number",
            "In the unit chosen below: the fraction 0.0001 (10⁻⁴) is 0.01 %; 0 means not detected. "
            "Scientific notation such as 1e-4 works. Stored as a fraction; "
            "you confirm the value before it is saved.",
        ),
        _f(
            "positive_not_quantifiable",
            "Positive, not quantifiable",
            "checkbox",
            "Tick instead of a value when MRD was detected below the assay's quantitative range.",
        ),
        _f(
            "sensitivity_fraction",
            "Sensitivity (fraction)",
            "number",
            "The assay's limit of detection, e.g. 0.00001 for 10⁻⁵. Needed to call a low result negative.",
        ),
    ),
    "treatment-phases": (
        _f("phase_id", "Phase", "text", "The phase id of the protocol, e.g. induction.", required=True),
        _f("planned_start", "Planned start", "date"),
        _f("planned_end", "Planned end", "date"),
        _f("actual_start", "Actual start", "date", "Risk rules read phases that have started."),
        _f("actual_end", "Actual end", "date"),
        _f("deviation", "Deviation from the protocol", "textarea"),
    ),
    "transplants": (
        _f("date", "Date of transplant", "date", required=True),
        _f("donor_type", "Donor", "select", choices=enum_choices(DonorType), required=True),
        _f("conditioning_regimen", "Conditioning regimen", "text", required=True),
    ),
    "adverse-events": (
        _f("term", "Term", "term", "Type to search CTCAE terms.", required=True),
        _f("grade", "Grade", "integer", choices=GRADES, required=True),
        _f("onset_date", "Onset", "date", required=True),
        _f("resolution_date", "Resolved on", "date", "Leave empty while ongoing."),
        _f("serious", "Serious adverse event", "checkbox"),
        _f(
            "attribution",
            "Relation to protocol treatment",
            "select",
            choices=enum_choices(Attribution),
            required=True,
        ),
        _f("terminology", "Terminology", "text", "The CTCAE version used to grade.", required=True),
    ),
    "anthracycline-doses": (
        _f("drug", "Drug", "select", choices=tuple((d, d) for d in known_drugs()), required=True),
        _f(
            "dose_mg_per_m2",
            "Dose (mg/m²)",
            "number",
            "This administration's dose per body surface.",
            required=True,
        ),
        _f("date", "Date given", "date", required=True),
        _f("dexrazoxane", "Given with dexrazoxane", "checkbox"),
    ),
    "relapses": (
        _f("date", "Date of relapse", "date", required=True),
        _f("site", "Site of relapse", "select", choices=enum_choices(RelapseSite), required=True),
        _f("timing", "Timing", "select", choices=enum_choices(RelapseTiming), required=True),
        _f("treatment", "Treatment", "textarea"),
        _f(
            "remission_before_second_hsct",
            "Remission before a second HSCT",
            "yesno",
            "Leave unset when not known.",
        ),
        _f("second_hsct_conditioning", "Second HSCT conditioning", "text"),
    ),
    "deaths": (
        _f("date", "Date of death", "date", required=True),
        _f("cause", "Cause of death", "text", required=True),
    ),
    "follow-ups": (
        _f("date", "Date of follow-up", "date", required=True),
        _f("status", "Status", "select", choices=enum_choices(FollowUpStatus), required=True),
    ),
    "phase-reports": (
        _f("phase_id", "Phase", "text", "The phase id of the protocol, e.g. induction.", required=True),
        _f("date", "Date of the report", "date", required=True),
        _f("completed_as_planned", "Completed as planned", "checkbox"),
        _f("note", "Note", "text", "Deviations, delays, what was not given."),
    ),
    "cardiac-assessments": (
        _f("date", "Date of the assessment", "date", required=True),
        _f("method", "Method", "select", choices=enum_choices(CardiacMethod), required=True),
        _f("shortening_fraction_percent", "Shortening fraction (%)", "number", "As reported, in percent."),
        _f("ejection_fraction_percent", "Ejection fraction (%)", "number", "As reported, in percent."),
        _f("finding", "Finding", "text", "The report's conclusion in words."),
    ),
}

#: Where a check across fields reports (the API names no field for it).
CROSS_FIELD: dict[str, str] = {"mrd": "value_fraction", "anthracycline-doses": "drug"}


def fields_for(
    segment: str, *, phases: dict[str, str] | None = None, current: str | None = None, phase_help: str = ""
) -> tuple[FormField, ...]:
    """The fields of ``segment``. Given ``phases`` (those offered, perhaps none: see
    :mod:`remission.web.phase_choices`), the phase is a choice among them with ``phase_help``
    saying why; a saved row's phase (``current``) stays choosable so an edit never loses it."""
    fields = FIELDS[segment]
    if segment != "treatment-phases" or phases is None:
        return fields
    choices = tuple((phase_id, f"{label} ({phase_id})") for phase_id, label in phases.items())
    if current and current not in phases:
        choices += ((current, f"{current} (saved; not offered for the current arm)"),)
    phase = replace(fields[0], kind="select", choices=choices, help=phase_help or "The protocol's phases.")
    return (phase, *fields[1:])
