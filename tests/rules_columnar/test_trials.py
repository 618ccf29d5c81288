"""With trial semantics, screen_cohort agrees with screen_for_trial on the shipped curated trials."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.protocols.mrd_parameters import mrd_rules_from
from remission.record import PatientRecord
from remission.rules.columnar import CohortScreening, cohort_from_records, screen_cohort, truth_of
from remission.trials import Trial, flat_criteria, load_shipped_trial, screen_for_trial, shipped_trial_ids
from rules_columnar.strategies import AS_OF, records

TRIALS = [load_shipped_trial(trial_id) for trial_id in shipped_trial_ids()]
PROTOCOL_IDS = tuple(trial.protocol.id for trial in TRIALS)
CRITERIA = tuple(
    sorted({c.criterion_id for trial in TRIALS for c in flat_criteria(trial).criteria} | {"typo"})
)


def _screen(generated: list[PatientRecord], trial: Trial) -> CohortScreening:
    flat = flat_criteria(trial)
    rules, _ = mrd_rules_from(flat.parameter_values)
    return screen_cohort(
        cohort_from_records(generated),
        [(c.criterion_id, c.kind, c.expression) for c in flat.criteria],
        flat.parameter_values,
        as_of=AS_OF,
        mrd_rules=rules,
        attestations=trial.protocol.id,
        study_entry="as_of",
        unknown_attestations="ignore",
    )


def _columnar(screening: CohortScreening, row: int) -> dict[str, Any]:
    return {
        "verdict": screening.verdict_of(row),
        "status": [truth_of(code) for code in screening.status[row]],
        "failing": screening.failing_ids(row),
        "unresolved": screening.unknown_ids(row),
        "missing": screening.missing_paths(row),
    }


def _scalar(record: PatientRecord, trial: Trial) -> dict[str, Any]:
    result = screen_for_trial(record, trial, as_of=AS_OF)
    return {
        "verdict": result.verdict.value,
        "status": [c.status for c in result.criteria],
        "failing": result.failing,
        "unresolved": result.unresolved,
        "missing": result.missing,
    }


class TestAgreesWithScreenForTrial:
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(PROTOCOL_IDS, CRITERIA), min_size=1, max_size=20), st.sampled_from(TRIALS))
    def test_generated_records(self, generated: list[PatientRecord], trial: Trial):
        """Study entry is the matching date for everyone; verdicts, statuses and missing fields match."""
        screening = _screen(generated, trial)

        for row, record in enumerate(generated):
            assert _columnar(screening, row) == _scalar(record, trial), row

    def test_stray_attestation_is_listed_not_used(self):
        """An attestation naming no criterion of the trial is left unused and listed with its row."""
        trial = TRIALS[0]
        attestation = {"protocol_id": trial.protocol.id, "criterion_id": "typo", "outcome": "met"}
        record = PatientRecord.model_validate(
            {
                "patient": {"study_id": "P-1"},
                "attestations": [{**attestation, "attested_by": "Dr. A", "date": "2026-06-01"}],
            }
        )

        assert _screen([record], trial).stray_attestations == ((0, 0, "typo"),)
