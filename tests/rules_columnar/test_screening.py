"""screen_cohort agrees exactly with screen_patient of the shipped protocol, record by record."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.errors import InputError
from remission.protocols import (
    Protocol,
    Verdict,
    load_protocol,
    parse_protocol,
    screen_patient,
    with_parameters,
)
from remission.protocols.mrd_parameters import mrd_rules_from
from remission.record import PatientRecord, parse_record_json
from remission.rules.columnar import (
    VERDICTS,
    Cohort,
    CohortScreening,
    cohort_from_records,
    read_cohort,
    screen_cohort,
    truth_of,
    write_cohort,
)
from rules_columnar.strategies import AS_OF, records

NCT = load_protocol("NCT06516679")
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "patients").glob("*.json"))
TODAY = datetime.date(2026, 11, 21)


def _method_priority() -> Protocol:
    data = NCT.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["parameters"]["mrd_disagreement_policy"]["value"] = "method_priority"
    data["parameters"]["mrd_method_priority"] = {
        "value": ["IG/TR RQ-PCR", "flow cytometry"],
        "description": "MRD methods in order of precedence.",
        "assumption": True,
    }
    return parse_protocol(data, source="test")


#: The shipped protocol and each alternative answer to its open questions.
VARIANTS = [
    NCT,
    with_parameters(NCT, {"steroid_window_reference": "diagnosis"}),
    with_parameters(NCT, {"steroid_window_days": 0}),
    with_parameters(NCT, {"mrd_pnq_counts_as": "positive"}),
    _method_priority(),
]


def _screen(cohort: Any, protocol: Protocol, as_of: datetime.date) -> CohortScreening:
    parameters = protocol.parameter_values()
    rules, _ = mrd_rules_from(parameters)
    criteria = [(c.id, c.kind.value, c.expression) for c in protocol.eligibility or []]
    return screen_cohort(cohort, criteria, parameters, as_of=as_of, mrd_rules=rules, attestations=protocol.id)


def _columnar(screening: CohortScreening, row: int) -> dict[str, Any]:
    return {
        "verdict": screening.verdict_of(row),
        "status": [truth_of(code) for code in screening.status[row]],
        "failing": screening.failing_ids(row),
        "unresolved": screening.unknown_ids(row),
        "missing": screening.missing_paths(row),
        "criterion missing": [
            screening.criterion_missing(row, j) for j in range(len(screening.criterion_ids))
        ],
        "to attest": screening.to_attest(row),
        "attested": [bool(flag) for flag in screening.attested[row]],
    }


def _scalar(record: PatientRecord, protocol: Protocol, as_of: datetime.date) -> dict[str, Any]:
    result = screen_patient(record, protocol, as_of=as_of)
    return {
        "verdict": result.verdict.value,
        "status": [c.status for c in result.criteria],
        "failing": result.failing,
        "unresolved": result.unresolved,
        "missing": result.missing,
        "criterion missing": [c.missing for c in result.criteria],
        "to attest": result.to_attest,
        "attested": [c.attested_by is not None for c in result.criteria],
    }


def _example(path: Path) -> PatientRecord:
    return parse_record_json(path.read_text("utf-8"), today=TODAY, source=path.name)


class TestAgreesWithScreenPatient:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(records(("NCT06516679",)), min_size=1, max_size=25), st.sampled_from(VARIANTS))
    def test_generated_records(self, generated: list[PatientRecord], protocol: Protocol):
        """Verdict, statuses, failing and unknown criteria and missing fields match for every record."""
        screening = _screen(cohort_from_records(generated), protocol, AS_OF)

        for row, record in enumerate(generated):
            assert _columnar(screening, row) == _scalar(record, protocol, AS_OF), row

    @pytest.mark.parametrize("protocol", VARIANTS, ids=lambda p: str(VARIANTS.index(p)))
    def test_example_records(self, protocol: Protocol):
        """The 18 example records get the scalar engine's results on each protocol variant."""
        originals = [_example(path) for path in EXAMPLES]
        screening = _screen(cohort_from_records(originals), protocol, TODAY)

        assert [_columnar(screening, row) for row in range(len(originals))] == [
            _scalar(record, protocol, TODAY) for record in originals
        ]

    def test_examples_read_from_parquet(self, tmp_path: Path):
        """Screening the examples read back from a Parquet file gives the same verdicts."""
        originals = [_example(path) for path in EXAMPLES]
        write_cohort(cohort_from_records(originals), tmp_path / "examples.parquet")

        screening = _screen(read_cohort(tmp_path / "examples.parquet", today=TODAY), NCT, TODAY)

        expected = [screen_patient(record, NCT, as_of=TODAY).verdict.value for record in originals]
        assert [screening.verdict_of(row) for row in range(len(originals))] == expected


class TestSlices:
    def test_slice_of_a_cohort_screens_like_its_records(self):
        """A cohort over a slice of a table (list offsets not at 0) screens like the sliced records."""
        originals = [_example(path) for path in EXAMPLES]
        sliced = Cohort(cohort_from_records(originals).table.slice(5, 8))

        screening = _screen(sliced, NCT, TODAY)

        assert [_columnar(screening, row) for row in range(8)] == [
            _scalar(record, NCT, TODAY) for record in originals[5:13]
        ]


class TestVerdicts:
    def test_verdict_names_are_the_protocol_verdicts(self):
        """Codes 0, 1, 2 name eligible, needs review, not eligible, as Verdict spells them."""
        assert (Verdict.ELIGIBLE.value, Verdict.NEEDS_REVIEW.value, Verdict.NOT_ELIGIBLE.value) == VERDICTS

    def test_examples_cover_every_verdict(self):
        """verdict_counts() counts the examples' verdicts: 5 eligible, 2 needs review, 11 not eligible."""
        screening = _screen(cohort_from_records([_example(path) for path in EXAMPLES]), NCT, TODAY)

        assert screening.verdict_counts() == {"eligible": 5, "needs review": 2, "not eligible": 11}

    def test_without_attestations_an_attested_criterion_stays_unknown(self):
        """attestations=None reads none, so the attested-only criterion is unknown for everyone."""
        records = [_example(path) for path in EXAMPLES[:3]]
        parameters = NCT.parameter_values()
        rules, _ = mrd_rules_from(parameters)
        criteria = [(c.id, c.kind.value, c.expression) for c in NCT.eligibility or []]

        screening = screen_cohort(
            cohort_from_records(records), criteria, parameters, as_of=TODAY, mrd_rules=rules
        )

        column = [c[0] for c in criteria].index("excl-contraindication")
        assert screening.unknown[:, column].tolist() == [True, True, True]

    def test_no_criteria_is_eligible(self):
        """With no criteria every record is eligible (nothing blocks, nothing is unknown)."""
        screening = screen_cohort(cohort_from_records([_example(EXAMPLES[0])]), [], as_of=TODAY)

        assert (screening.verdict.tolist(), screening.status.shape) == ([0], (1, 0))


class TestRefusals:
    def test_attestation_for_an_unknown_criterion_is_refused(self):
        """An attestation naming no criterion of the protocol is refused with its row and index."""
        data = _example(EXAMPLES[0]).model_dump(mode="json")
        data["attestations"].append({**data["attestations"][0], "criterion_id": "excl-typo"})
        cohort = cohort_from_records([_example(EXAMPLES[1]), PatientRecord.model_validate(data)])

        with pytest.raises(InputError) as caught:
            _screen(cohort, NCT, TODAY)

        index = len(data["attestations"]) - 1
        problem = "row 1 (INF-01): 'excl-typo' is not a criterion of NCT06516679"
        assert [str(p) for p in caught.value.problems] == [f"attestations[{index}].criterion_id: {problem}"]

    def test_duplicate_criterion_id_is_refused(self):
        """Two criteria with one id are refused."""
        criteria = [("a", "inclusion", None), ("a", "exclusion", None)]

        with pytest.raises(InputError, match="id 'a' appears twice"):
            screen_cohort(cohort_from_records([_example(EXAMPLES[0])]), criteria, as_of=TODAY)

    def test_unknown_kind_is_refused(self):
        """A kind other than inclusion or exclusion is refused."""
        with pytest.raises(InputError, match="kind 'include' is not one of"):
            screen_cohort(cohort_from_records([_example(EXAMPLES[0])]), [("a", "include", None)], as_of=TODAY)

    def test_unknown_option_value_is_refused(self):
        """A study_entry choice other than recorded or as_of is refused, not read as one of them."""
        with pytest.raises(InputError, match="'entry' is not one of"):
            screen_cohort(cohort_from_records([_example(EXAMPLES[0])]), [], as_of=TODAY, study_entry="entry")  # type: ignore[arg-type]


class TestKeptResults:
    def test_failing_and_unknown_matrices_have_one_row_per_record(self):
        """failing and unknown are n × criteria boolean matrices."""
        screening = _screen(cohort_from_records([_example(path) for path in EXAMPLES]), NCT, TODAY)

        shape = (len(EXAMPLES), len(NCT.eligibility or []))
        assert (screening.failing.shape, screening.unknown.shape, screening.failing.dtype) == (
            shape,
            shape,
            np.bool_,
        )

    def test_deciding_attestation_is_kept(self):
        """attestation() gives the record's attestation that settled a criterion."""
        originals = [_example(path) for path in EXAMPLES[:2]]
        screening = _screen(cohort_from_records(originals), NCT, TODAY)
        column = screening.criterion_ids.index("excl-contraindication")

        assert screening.attestation(1, column) == originals[1].attestations[0]
