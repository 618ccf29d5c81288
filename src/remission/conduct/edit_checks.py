"""Edit checks on a course row: the protocol's checks for its form, run by the eligibility engine.

A pure function of the protocol, the row being written (its column values) and :class:`CourseFacts`,
what the child's course holds besides that row. The reference dates a check may name
(:data:`remission.protocols.edit_checks.CHECK_REFERENCE_DATES`) and the derived values
(:data:`~remission.protocols.edit_checks.CHECK_DERIVED_FIELDS`) are computed here; each is unknown
when the course does not record what it needs, and an unknown never fires a check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from remission.conduct.calendar import PhaseDates, child_calendar
from remission.protocols.edit_checks import EditCheck, Severity
from remission.protocols.explanations import Explanation, explain_check
from remission.protocols.model import Protocol
from remission.protocols.mrd_parameters import mrd_rules_from
from remission.record.anthracyclines import conversion_factors
from remission.record.model import PatientRecord
from remission.rules.evaluation import (
    REFERENCE_DATES,
    Evaluation,
    EvaluationContext,
    ReferenceDate,
    evaluate_on,
)
from remission.rules.expressions import (
    DateByTest,
    DateFromTest,
    FieldTest,
    MRDTest,
    ParamRef,
    WindowTest,
    date_order,
    walk,
)
from remission.rules.mrd import MRDRules
from remission.rules.truth import Truth


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What the child's course records besides the row being checked (that row left out)."""

    record: PatientRecord
    phases: Sequence[str] = ()  # the phase ids of the arm (or provisional track) in order
    phase_dates: Mapping[str, PhaseDates] = field(default_factory=dict)
    time_point_windows: Mapping[str, tuple[date, date]] = field(default_factory=dict)
    follow_ups: Sequence[date] = ()
    death: date | None = None
    doses: Sequence[tuple[date, str, float]] = ()  # (date, drug, mg/m²) of the other dose rows


def time_point_windows(
    protocol: Protocol,
    *,
    phases: Sequence[str],
    phase_dates: Mapping[str, PhaseDates],
    diagnosed: date | None,
    as_of: date,
) -> dict[str, tuple[date, date]]:
    """The scheduled window of each MRD time point on the child's arm, where its anchor is recorded."""
    by_id = {item.id: item for item in protocol.schedule}
    windows: dict[str, tuple[date, date]] = {}
    for item in child_calendar(
        protocol, phases=phases, phase_dates=phase_dates, collected=(), as_of=as_of, diagnosed=diagnosed
    ):
        point = by_id[item.assessment].collects.time_point
        if point is not None and item.due_from is not None and item.due_until is not None:
            windows.setdefault(point.value, (item.due_from, item.due_until))
    return windows


#: The course forms each reference date and derived value is computed from.
_FORMS_BEHIND = {
    "time_point_window_start": ("treatment-phases",),
    "time_point_window_end": ("treatment-phases",),
    "previous_phase_end": ("treatment-phases",),
    "next_phase_start": ("treatment-phases",),
    "last_follow_up": ("follow-ups",),
    "death": ("deaths",),
    "cumulative_doxorubicin_equivalent_mg_per_m2": ("anthracycline-doses",),
    "cumulative_doxorubicin_equivalent_before_mg_per_m2": ("anthracycline-doses",),
}


def forms_read(checks: Iterable[EditCheck], parameters: Mapping[str, Any]) -> set[str]:
    """The course forms whose rows ``checks`` read besides the row itself (the facts to load)."""
    forms: set[str] = set()
    for check in checks:
        for node in walk(check.must):
            names: list[Any] = []
            match node:
                case DateByTest() | DateFromTest():
                    names.append(date_order(node)[0].reference)
                case WindowTest():
                    names.append(node.overlaps_window.reference)
                case FieldTest():
                    names.append(node.field)
                case MRDTest():
                    forms.add("mrd")
            for name in names:
                resolved = parameters.get(name.param) if isinstance(name, ParamRef) else name
                forms.update(_FORMS_BEHIND.get(str(resolved), ()))
    return forms


class _Row(SimpleNamespace):
    """The row a check reads: a column the row does not carry is unrecorded (None), never an error.
    Whether a check's columns exist on its form is checked against the store's tables by a test."""

    def __getattr__(self, name: str) -> Any:
        return None


_OUTCOMES = {Truth.MET: "passed", Truth.NOT_MET: "fired", Truth.UNKNOWN: "unknown"}


@dataclass(frozen=True)
class CheckResult:
    """One check on one row: met, not met (the check *fires*) or unknown, with its sentence."""

    protocol: Protocol
    check: EditCheck
    evaluation: Evaluation

    @cached_property
    def explanation(self) -> Explanation:
        """The sentence, worded when first asked for (a batch run words only what fired)."""
        return explain_check(self.protocol, self.check, self.evaluation)

    @property
    def fired(self) -> bool:
        return self.evaluation.truth is Truth.NOT_MET

    @property
    def refuses(self) -> bool:
        return self.fired and self.check.severity is Severity.HARD

    @property
    def outcome(self) -> str:
        """``passed``, ``fired`` or ``unknown``."""
        return _OUTCOMES[self.evaluation.truth]

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check.id,
            "label": self.check.label,
            "form": self.check.form.value,
            "field": self.check.field,
            "severity": self.check.severity.value,
            "outcome": self.outcome,
            "message": self.check.message if self.fired else None,
            "explanation": self.explanation.to_dict(),
            "trace": self.evaluation.to_dict(),
        }


def _phase_neighbours(row: Mapping[str, Any], facts: CourseFacts) -> dict[str, date | None]:
    phase = str(row.get("phase_id"))
    this = row.get("actual_start") or row.get("planned_start")
    if phase not in facts.phases:
        return {"this_phase_start": this, "previous_phase_end": None, "next_phase_start": None}
    index = list(facts.phases).index(phase)
    before = facts.phase_dates.get(facts.phases[index - 1]) if index > 0 else None
    after = facts.phase_dates.get(facts.phases[index + 1]) if index + 1 < len(facts.phases) else None
    return {
        "this_phase_start": this,
        "previous_phase_end": before.end if before else None,
        "next_phase_start": after.start if after else None,
    }


def _references(form: str, row: Mapping[str, Any], facts: CourseFacts) -> dict[str, ReferenceDate]:
    record = facts.record
    diagnosis = record.diagnosis.date if record.diagnosis else None
    window = facts.time_point_windows.get(str(row.get("time_point"))) if form == "mrd" else None
    dates: dict[str, date | None] = {
        "diagnosis": diagnosis,
        "study_entry": record.study_entry_date,
        "time_point_window_start": window[0] if window else None,
        "time_point_window_end": window[1] if window else None,
        "last_follow_up": max(facts.follow_ups, default=None),
        "death": facts.death,
    }
    if form == "treatment-phases":
        dates |= _phase_neighbours(row, facts)
    else:
        dates |= {"this_phase_start": None, "previous_phase_end": None, "next_phase_start": None}
    # The two record dates are traced by their record paths, as in eligibility; the rest by name.
    return {name: ReferenceDate(value, REFERENCE_DATES.get(name, name)) for name, value in dates.items()}


def _cumulative(form: str, row: Mapping[str, Any], facts: CourseFacts) -> tuple[float | None, float | None]:
    """The doxorubicin-equivalent total through this dose, and before it (None: a factor is missing)."""
    if form != "anthracycline-doses" or row.get("date") is None or row.get("drug") is None:
        return None, None
    factors = conversion_factors()
    on = row["date"]
    earlier = [(drug, dose) for when, drug, dose in facts.doses if when <= on]
    before: float | None = 0.0
    for drug, amount in earlier:
        factor = factors.get(drug.lower())
        before = None if before is None or factor is None else before + amount * factor
    factor = factors.get(str(row["drug"]).lower())
    dose = row.get("dose_mg_per_m2")
    through = None if before is None or factor is None or dose is None else before + dose * factor
    return through, before


def check_row(
    protocol: Protocol, *, form: str, row: Mapping[str, Any], facts: CourseFacts
) -> list[CheckResult]:
    """Every edit check of ``protocol`` on ``form``, run on ``row`` (column → value)."""
    prepared = _prepared(protocol)
    checks = prepared.checks.get(form, ())
    if not checks:
        return []
    through, before = _cumulative(form, row, facts)
    subject = SimpleNamespace(
        row=_Row(**row),
        cumulative_doxorubicin_equivalent_mg_per_m2=through,
        cumulative_doxorubicin_equivalent_before_mg_per_m2=before,
    )
    ctx = EvaluationContext(facts.record, prepared.values, _references(form, row, facts), prepared.rules)
    return [CheckResult(protocol, check, evaluate_on(check.must, subject, ctx)) for check in checks]


def guards(protocol: Protocol, form: str) -> bool:
    """Whether some edit check of ``protocol`` guards ``form``."""
    return form in _prepared(protocol).checks


@dataclass(frozen=True, slots=True)
class _Prepared:
    protocol: Protocol
    values: dict[str, Any]
    rules: MRDRules | None
    checks: dict[str, tuple[EditCheck, ...]]  # by form


_PREPARED: dict[int, _Prepared] = {}


def _prepared(protocol: Protocol) -> _Prepared:
    """The protocol's parameter values, MRD rules and checks by form, worked out once per protocol object."""
    kept = _PREPARED.get(id(protocol))
    if kept is None or kept.protocol is not protocol:
        values = protocol.parameter_values()
        by_form: dict[str, list[EditCheck]] = {}
        for check in protocol.edit_checks:
            by_form.setdefault(check.form.value, []).append(check)
        checks = {form: tuple(found) for form, found in by_form.items()}
        kept = _PREPARED[id(protocol)] = _Prepared(protocol, values, mrd_rules_from(values)[0], checks)
    return kept
