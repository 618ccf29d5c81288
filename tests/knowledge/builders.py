"""Records built from knowledge-base entries, so that every entry is tested without hand-written data.

``present_genetics`` writes the findings that show an entry's biomarker; ``satisfying``
writes the record fields that meet an approval's settings and label conditions (the
shipped expressions are ``equals``/``in`` tests joined by ``all``/``any``); ages are set
by choosing the date of birth relative to the decision date ``AS_OF``.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from remission.knowledge.model import (
    AgeBound,
    Approval,
    CopyNumberBiomarker,
    Entry,
    FusionBiomarker,
    MutationBiomarker,
    PhLikeBiomarker,
    RearrangementBiomarker,
    SurfaceAntigenBiomarker,
)
from remission.knowledge.vocabulary import DiseaseSetting
from remission.record import PatientRecord, add_months, parse_record
from remission.record.ages import AgeUnit
from remission.rules.expressions import AllOf, AnyOf, Expression, FieldTest

#: The decision date of the generated cases; records are checked against it as "today".
AS_OF = date(2026, 11, 21)

#: Record fields that make each disease setting met.
SETTING_FIELDS: dict[DiseaseSetting, dict[str, Any]] = {
    DiseaseSetting.NEWLY_DIAGNOSED: {"relapse_status": "never relapsed"},
    DiseaseSetting.CONSOLIDATION: {"current_therapy_phase": "consolidation"},
    DiseaseSetting.RELAPSED_REFRACTORY: {"relapse_status": "first relapse"},
    DiseaseSetting.REFRACTORY: {"refractory_disease": True},
    DiseaseSetting.SECOND_OR_LATER_RELAPSE: {"relapse_status": "second or later relapse"},
}

#: Disease states in which settings are not met, to find one that meets none of an approval's.
SETTING_STATES: list[dict[str, Any]] = [
    {"relapse_status": "never relapsed", "refractory_disease": False, "current_therapy_phase": "induction"},
    {"relapse_status": "first relapse", "refractory_disease": False, "current_therapy_phase": "maintenance"},
    {
        "relapse_status": "second or later relapse",
        "refractory_disease": True,
        "current_therapy_phase": "induction",
    },
]


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Write ``value`` at the dotted ``path`` of nested record data."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def satisfy(expression: Expression, data: dict[str, Any]) -> None:
    """Write fields that make a simple expression met (first alternative of an ``any``)."""
    if isinstance(expression, AllOf):
        for child in expression.all:
            satisfy(child, data)
    elif isinstance(expression, AnyOf):
        satisfy(expression.any[0], data)
    elif isinstance(expression, FieldTest) and expression.equals is not None:
        set_path(data, expression.field, expression.equals)
    elif isinstance(expression, FieldTest) and expression.in_:
        set_path(data, expression.field, expression.in_[0])
    else:  # pragma: no cover - a new kind of expression needs a builder here
        raise NotImplementedError(f"cannot build a record that meets {expression!r}")


def present_genetics(entry: Entry) -> dict[str, Any]:
    """Record sections that show the entry's biomarker as present."""
    biomarker = entry.biomarker
    match biomarker:
        case FusionBiomarker():
            return {"genetics": {"fusions": [biomarker.fusion]}}
        case RearrangementBiomarker():
            return {"genetics": {"fusions": [f"{biomarker.genes[0]}::PARTNER1"]}}
        case MutationBiomarker():
            variant = biomarker.variants[0] if biomarker.variants else "p.X1Y"
            return {"genetics": {"mutations": [{"gene": biomarker.gene, "variant": variant}]}}
        case CopyNumberBiomarker():
            change = {"gene": biomarker.gene, "change": biomarker.change.value}
            return {"genetics": {"copy_number_changes": [change]}}
        case PhLikeBiomarker():
            return {"genetics": {"ph_like_class": biomarker.ph_like_class.value}}
        case SurfaceAntigenBiomarker():
            return {"diagnosis": {"immunophenotype": {biomarker.antigen: "positive"}}}
    raise TypeError(biomarker)  # pragma: no cover


#: Every finding recorded as tested and negative: no biomarker of any kind is present.
TESTED_NEGATIVE: dict[str, Any] = {
    "genetics": {
        "kmt2a": {"status": "germline"},
        "fusions": [],
        "mutations": [],
        "copy_number_changes": [],
        "ph_status": "negative",
        "ph_like_class": "not Ph-like",
    },
}


def born_for_age(age: int, unit: AgeUnit, *, day_early: bool = False) -> date:
    """A date of birth giving exactly ``age`` completed ``unit`` on ``AS_OF``.

    With ``day_early`` the child is one day short of that age (so one unit younger).
    """
    if unit is AgeUnit.DAYS:
        born = AS_OF - timedelta(days=age)
    else:
        born = add_months(AS_OF, -age * (12 if unit is AgeUnit.YEARS else 1))
    return born + timedelta(days=1) if day_early else born


def inside_age(bound: AgeBound, *, lower: bool) -> int:
    """The age in ``bound.unit`` at the edge of the range, inside it."""
    if lower:
        return bound.value if bound.inclusive else bound.value + 1
    return bound.value if bound.inclusive else bound.value - 1


def covered_record(entry: Entry, approval: Approval, *, born: date | None) -> dict[str, Any]:
    """Record data meeting every recordable condition of ``approval`` (age set by ``born``)."""
    data: dict[str, Any] = {"patient": {"study_id": "KB-CASE"}, "diagnosis": {}}
    if born is not None:
        data["patient"]["date_of_birth"] = born.isoformat()
    disease = approval.diseases[0] if approval.diseases else entry.diseases[0]
    data["diagnosis"]["who_type"] = disease.value
    for key, value in present_genetics(entry).items():
        data.setdefault(key, {}).update(copy.deepcopy(value))
    if approval.settings:
        data.update(SETTING_FIELDS[approval.settings[0]])
    for condition in approval.requires:
        satisfy(condition.when, data)
    return data


def default_born(approval: Approval) -> date:
    """A date of birth inside the approval's age range and population."""
    if approval.min_age is not None:
        return born_for_age(inside_age(approval.min_age, lower=True), approval.min_age.unit)
    if approval.max_age is not None:
        return born_for_age(inside_age(approval.max_age, lower=False), approval.max_age.unit)
    years = 30 if approval.population.value == "adults" else 5
    return born_for_age(years, AgeUnit.YEARS)


def record(data: dict[str, Any]) -> PatientRecord:
    """Validate generated record data as of ``AS_OF``."""
    return parse_record(data, today=AS_OF, source="generated case")
