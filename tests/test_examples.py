"""The example patients in ``examples/`` give the outcomes written in ``examples/expected.json``.

The expected values were derived by hand from the protocol files; these tests pin the
engines to them and check that the example set covers every verdict, criterion and group.
"""

from __future__ import annotations

import datetime
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from remission.protocols import (
    PENDING,
    Protocol,
    ScreeningResult,
    StratificationResult,
    Verdict,
    load_protocol,
    screen_patient,
    stratify_patient,
)
from remission.record import PatientRecord, parse_record_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PATIENTS = EXAMPLES / "patients"
TODAY = datetime.date(2026, 11, 21)
FIRST_DATE, LAST_DATE = datetime.date(2024, 1, 1), datetime.date(2026, 10, 31)
NCT, INTERFANT = "NCT06516679", "INTERFANT-06"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FILES = sorted(path.name for path in PATIENTS.glob("*.json"))


@cache
def protocol(protocol_id: str) -> Protocol:
    return load_protocol(protocol_id)


@cache
def expected() -> dict[str, Any]:
    return json.loads((EXAMPLES / "expected.json").read_text("utf-8"))


@cache
def record(name: str) -> PatientRecord:
    return parse_record_json((PATIENTS / name).read_text("utf-8"), today=TODAY, source=name)


def entry_date(name: str) -> datetime.date:
    entry = record(name).study_entry_date
    assert entry is not None, f"{name} has no study_entry_date"
    return entry


@cache
def screening(name: str) -> ScreeningResult:
    return screen_patient(record(name), protocol(NCT), as_of=entry_date(name))


@cache
def stratification(name: str, protocol_id: str) -> StratificationResult:
    return stratify_patient(record(name), protocol(protocol_id), as_of=entry_date(name))


def dates_in(node: Any) -> list[datetime.date]:
    """Every ISO date string anywhere in decoded JSON."""
    if isinstance(node, dict):
        return [d for value in node.values() for d in dates_in(value)]
    if isinstance(node, list):
        return [d for item in node for d in dates_in(item)]
    if isinstance(node, str) and ISO_DATE.match(node):
        return [datetime.date.fromisoformat(node)]
    return []


per_file = pytest.mark.parametrize("name", FILES, ids=[Path(name).stem for name in FILES])


class TestExampleFiles:
    def test_example_set_has_14_to_18_records(self) -> None:
        """The example set holds between 14 and 18 records."""
        assert 14 <= len(FILES) <= 18

    def test_every_record_has_an_expected_entry(self) -> None:
        """expected.json lists exactly the record files, no more and no fewer."""
        assert set(expected()) == set(FILES)

    @per_file
    def test_file_name_starts_with_study_id(self, name: str) -> None:
        """Each file name begins with the record's pseudonymous study id."""
        assert name.startswith(f"{record(name).patient.study_id}-")

    @per_file
    def test_record_has_study_entry_date(self, name: str) -> None:
        """Each record states its study entry date, the reference for the steroid window."""
        assert record(name).study_entry_date is not None

    @per_file
    def test_dates_lie_in_example_range(self, name: str) -> None:
        """Every date in a record lies between 2024-01-01 and 2026-10-31."""
        data = json.loads((PATIENTS / name).read_text("utf-8"))
        assert all(FIRST_DATE <= day <= LAST_DATE for day in dates_in(data))


class TestScreeningMatchesExpected:
    @per_file
    def test_verdict(self, name: str) -> None:
        """The NCT06516679 verdict is the expected one."""
        assert screening(name).verdict.value == expected()[name][NCT]["verdict"]

    @per_file
    def test_failing_criteria(self, name: str) -> None:
        """The criteria that make the child not eligible are the expected ones."""
        assert screening(name).failing == expected()[name][NCT]["failing"]

    @per_file
    def test_unresolved_criteria(self, name: str) -> None:
        """The criteria left unknown are the expected ones."""
        assert screening(name).unresolved == expected()[name][NCT]["unresolved"]


class TestStratificationMatchesExpected:
    @per_file
    def test_nct_risk_group(self, name: str) -> None:
        """The NCT06516679 risk group (or pending) is the expected one."""
        assert stratification(name, NCT).risk_group == expected()[name][NCT]["risk_group"]

    @per_file
    def test_nct_arm(self, name: str) -> None:
        """The NCT06516679 arm is the expected one, and none while the group is pending."""
        assert stratification(name, NCT).arm == expected()[name][NCT]["arm"]

    @per_file
    def test_nct_track_change(self, name: str) -> None:
        """A change from the provisional track is reported exactly where expected."""
        changed = stratification(name, NCT).track_change is not None
        assert changed == expected()[name][NCT]["track_change"]

    @per_file
    def test_interfant_risk_group(self, name: str) -> None:
        """The Interfant-06 risk group (or pending) is the expected one."""
        assert stratification(name, INTERFANT).risk_group == expected()[name][INTERFANT]["risk_group"]


class TestCoverage:
    def test_every_verdict_occurs(self) -> None:
        """The set contains an eligible, a not-eligible and a needs-review child."""
        assert {screening(name).verdict for name in FILES} == set(Verdict)

    def test_every_criterion_fails_or_is_unresolved_somewhere(self) -> None:
        """Each NCT06516679 criterion blocks or stays unknown in at least one record."""
        criteria = {criterion.id for criterion in protocol(NCT).eligibility or []}
        seen = {cid for name in FILES for cid in screening(name).failing + screening(name).unresolved}
        assert criteria <= seen

    def test_every_exclusion_blocks_alone_somewhere(self) -> None:
        """Each exclusion is the only failure of some record, except mature-B, which is not ALL."""
        exclusions = {c.id for c in protocol(NCT).eligibility or [] if c.kind.value == "exclusion"}
        alone = {screening(name).failing[0] for name in FILES if len(screening(name).failing) == 1}
        assert exclusions - {"excl-mature-b"} <= alone

    @pytest.mark.parametrize("protocol_id", [NCT, INTERFANT])
    def test_every_risk_group_and_pending_occurs(self, protocol_id: str) -> None:
        """Every risk group of the protocol, and pending, is the outcome of some record."""
        strat = protocol(protocol_id).stratification
        assert strat is not None
        groups = {group.id for group in strat.risk_groups} | {PENDING}
        assert groups <= {stratification(name, protocol_id).risk_group for name in FILES}

    def test_a_track_change_occurs(self) -> None:
        """At least one child leaves its provisional track for an arm without its phases."""
        assert any(stratification(name, NCT).track_change is not None for name in FILES)
