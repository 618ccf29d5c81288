"""Therapy options for one child: match every entry, read its approvals, rank by evidence.

A pure function of a record, the knowledge base and the decision date; it returns a
:class:`TherapyReport` whose every option says which record fields it read.
"""

from __future__ import annotations

from datetime import date

from remission.knowledge.base import KnowledgeBase
from remission.knowledge.biomarkers import match_biomarker
from remission.knowledge.coverage import Check, approval_coverage
from remission.knowledge.model import Entry, KnowledgeFile
from remission.knowledge.results import TherapyOption, TherapyReport
from remission.knowledge.vocabulary import RESISTANCE_LEVELS, EvidenceType
from remission.record.ages import AgeUnit
from remission.record.model import PatientRecord
from remission.rules.evaluation import EvaluationContext, reference_dates
from remission.rules.truth import Truth


def _disease(entry: Entry, record: PatientRecord) -> Check:
    who_type = record.diagnosis.who_type if record.diagnosis else None
    inputs = {"diagnosis.who_type": who_type.value if who_type else None}
    listed = ", ".join(d.value for d in entry.diseases)
    if who_type is None:
        return Check(
            "disease", Truth.UNKNOWN, f"disease ({listed}) not recorded", inputs, ("diagnosis.who_type",)
        )
    truth = Truth.of(who_type in entry.diseases)
    relation = "is" if truth is Truth.MET else "is not"
    relation += " one of" if len(entry.diseases) > 1 else ""
    return Check("disease", truth, f"diagnosis {who_type.value} {relation} {listed}", inputs)


def match_entry(
    file: KnowledgeFile, entry: Entry, kb: KnowledgeBase, ctx: EvaluationContext, on: date
) -> TherapyOption:
    """Read one entry against ``ctx.record``: biomarker, disease and every approval."""
    approvals = tuple(approval_coverage(approval, kb, ctx, on) for approval in entry.approvals)
    return TherapyOption(
        file, entry, match_biomarker(entry.biomarker, ctx), _disease(entry, ctx.record), approvals
    )


def _ages(record: PatientRecord, on: date) -> dict[str, int] | None:
    ages = {unit.value: record.age_on(on, unit) for unit in (AgeUnit.YEARS, AgeUnit.MONTHS, AgeUnit.DAYS)}
    if any(value is None for value in ages.values()):
        return None
    return {unit: value for unit, value in ages.items() if value is not None}


def therapy_options(record: PatientRecord, kb: KnowledgeBase, *, as_of: date) -> TherapyReport:
    """Every therapy option for ``record`` on ``as_of``, ranked by evidence level.

    Options whose biomarker is absent or whose disease does not match are listed as
    not applicable; options with an unknown biomarker or disease stay, as *needs review*,
    after the certain ones of the same level. Resistance (R1, R2) and prognostic or
    diagnostic entries are reported apart from the options.
    """
    ctx = EvaluationContext(record, {}, reference_dates(record, as_of=as_of))
    matched = [match_entry(file, entry, kb, ctx, as_of) for file, entry in kb.entries]
    applicable = sorted((o for o in matched if o.applies is not Truth.NOT_MET), key=TherapyOption.sort_key)
    options = tuple(
        o
        for o in applicable
        if o.entry.evidence.type is EvidenceType.THERAPEUTIC
        and o.entry.evidence.level not in RESISTANCE_LEVELS
    )
    resistance = tuple(o for o in applicable if o.entry.evidence.level in RESISTANCE_LEVELS)
    others = tuple(o for o in applicable if o.entry.evidence.type is not EvidenceType.THERAPEUTIC)
    return TherapyReport(
        study_id=record.patient.study_id,
        as_of=as_of,
        ages=_ages(record, as_of),
        options=options,
        resistance=resistance,
        other_findings=others,
        not_applicable=tuple(o for o in matched if o.applies is Truth.NOT_MET),
        kb=kb,
    )
