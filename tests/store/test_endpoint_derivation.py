"""The endpoint dataset's derivation on hand-built source tables: no database involved.

Times are counted by hand from the dates written here (whole days from diagnosis).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest

from remission.store.endpoint_derivation import derive_endpoint_table
from remission.store.endpoint_sources import CASEBOOK_SIGNATURE_TYPES, EndpointSources

D = pa.date32()


def _table(columns: dict[str, pa.DataType], rows: list[dict[str, Any]]) -> pa.Table:
    return pa.table({name: pa.array([row.get(name) for row in rows], kind) for name, kind in columns.items()})


def _dates(rows: list[tuple[int, date]]) -> pa.Table:
    return _table({"patient_id": pa.int64(), "date": D}, [{"patient_id": p, "date": d} for p, d in rows])


def _sources(
    *,
    deaths: list[tuple[int, date]] = (),  # type: ignore[assignment]
    relapses: list[tuple[int, date]] = (),  # type: ignore[assignment]
    follow_ups: list[tuple[int, date]] = (),  # type: ignore[assignment]
) -> EndpointSources:
    """Three children at site 1: A (HR), B (enrolled, no group yet), C (diagnosed 2025-01-01)."""
    patients = _table(
        {
            "patient_id": pa.int64(),
            "patient_key": pa.string(),
            "site_id": pa.int64(),
            "sex": pa.string(),
            "born": D,
            "diagnosed": D,
            "wbc_at_diagnosis_1e9_per_l": pa.float64(),
            "cns_status": pa.string(),
            "kmt2a_status": pa.string(),
            "who_type": pa.string(),
        },
        [
            {"patient_id": 1, "patient_key": "A", "site_id": 1, "born": date(2024, 1, 1)},
            {"patient_id": 2, "patient_key": "B", "site_id": 1, "born": date(2023, 9, 1)},
            {"patient_id": 3, "patient_key": "C", "site_id": 1, "born": date(2024, 6, 1)},
        ],
    )
    diagnosed = pa.array([date(2024, 6, 1), date(2024, 3, 1), date(2025, 1, 1)], D)
    patients = patients.set_column(patients.schema.get_field_index("diagnosed"), "diagnosed", diagnosed)
    enrollment = _table(
        {"patient_id": pa.int64(), "enrolled_on": D, "protocol_id": pa.string(), "risk_group": pa.string()},
        [
            {
                "patient_id": 1,
                "enrolled_on": date(2024, 6, 5),
                "protocol_id": "NCT06516679",
                "risk_group": "HR",
            },
            {"patient_id": 2, "enrolled_on": date(2024, 3, 4), "protocol_id": "NCT06516679"},
        ],
    )
    relapse_columns = {
        "patient_id": pa.int64(),
        "date": D,
        "relapse_id": pa.int64(),
        "site": pa.string(),
        "timing": pa.string(),
        "remission_before_second_hsct": pa.bool_(),
    }
    relapse_rows = [
        {"patient_id": p, "date": d, "relapse_id": i, "site": "marrow", "timing": "no HSCT"}
        for i, (p, d) in enumerate(relapses, start=1)
    ]
    return EndpointSources(
        patients=patients,
        sites=_table({"site_id": pa.int64(), "code": pa.string()}, [{"site_id": 1, "code": "SEV"}]),
        first_enrollment=enrollment,
        deaths=_dates(list(deaths)),
        relapses=_table(relapse_columns, relapse_rows),
        transplants=_dates([]),
        follow_ups=_dates(list(follow_ups)),
        mrd_samples=_dates([]),
        doses=_dates([]),
        adverse_events=_table({"patient_id": pa.int64(), "onset": D, "resolution": D}, []),
        phases=_table({"patient_id": pa.int64(), "start": D, "end": D}, []),
    )


def _rows(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["patient_key"]: row for row in table.to_pylist()}


class TestDerivation:
    def test_relapse_then_death_gives_each_endpoint_its_own_time(self):
        """A relapses at day 365 and dies at day 548: EFS and relapse end at 365, OS at 548."""
        rows = _rows(
            derive_endpoint_table(_sources(relapses=[(1, date(2025, 6, 1))], deaths=[(1, date(2025, 12, 1))]))
        )
        a = rows["A"]
        assert (a["efs_time_days"], a["efs_event"]) == (365, 1)
        assert (a["relapse_time_days"], a["relapse_cause"]) == (365, 1)
        assert (a["os_time_days"], a["os_event"]) == (548, 1)
        assert a["risk_group"] == "HR"
        assert a["age_under_6_months"] is True

    def test_death_in_remission_competes_with_relapse(self):
        """B dies without relapse on day 184: cause 2, and B's group is pending (enrolled, none yet)."""
        b = _rows(derive_endpoint_table(_sources(deaths=[(2, date(2024, 9, 1))])))["B"]
        assert (b["relapse_time_days"], b["relapse_cause"]) == (184, 2)
        assert b["risk_group"] == "pending"
        assert b["age_under_6_months"] is False

    def test_the_data_cut_drops_later_children_and_censors_at_last_contact(self):
        """At a cut of 2024-12-31, C is not yet diagnosed and A's later relapse and death are unseen."""
        table = derive_endpoint_table(
            _sources(
                relapses=[(1, date(2025, 6, 1))],
                deaths=[(1, date(2025, 12, 1))],
                follow_ups=[(1, date(2024, 12, 1)), (1, date(2025, 3, 1))],
            ),
            as_of=date(2024, 12, 31),
        )
        rows = _rows(table)
        assert set(rows) == {"A", "B"}
        assert (rows["A"]["os_time_days"], rows["A"]["os_event"]) == (183, 0)
        assert (rows["A"]["relapse_time_days"], rows["A"]["relapse_cause"]) == (183, 0)

    def test_an_unenrolled_child_has_no_group(self):
        """C is never enrolled: no protocol and no risk group, not pending."""
        c = _rows(derive_endpoint_table(_sources()))["C"]
        assert c["protocol_id"] is None
        assert c["risk_group"] is None

    def test_an_unknown_origin_is_refused(self):
        """An origin other than diagnosis or enrollment is refused, naming the field."""
        with pytest.raises(ValueError, match="origin"):
            derive_endpoint_table(_sources(), origin="birth")  # type: ignore[arg-type]


def _signed(day: int, signature_id: int, patient_id: int, *, invalidated: bool) -> dict[str, Any]:
    at = datetime(2025, 2, day, 12, tzinfo=UTC)
    return {
        "patient_id": patient_id,
        "signature_id": signature_id,
        "signed_by": f"Signer {signature_id}",
        "signed_at": at,
        "meaning": "approval",
        "invalidated_at": datetime(2025, 3, 1, tzinfo=UTC) if invalidated else None,
    }


class TestCasebookSignature:
    def _rows(self, signatures: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        table = _table(CASEBOOK_SIGNATURE_TYPES, signatures)
        return _rows(derive_endpoint_table(dataclasses.replace(_sources(), casebook_signatures=table)))

    def test_the_latest_valid_signature_wins_over_a_later_invalidated_one(self):
        """A: valid 1 and 2, invalidated 3 (later) → signature 2; B: invalidated 4 and 5 → 5; C: unsigned."""
        rows = self._rows(
            [
                _signed(1, 1, 1, invalidated=False),
                _signed(3, 3, 1, invalidated=True),
                _signed(2, 2, 1, invalidated=False),
                _signed(4, 4, 2, invalidated=True),
                _signed(5, 5, 2, invalidated=True),
            ]
        )
        assert (rows["A"]["casebook_signed_by"], rows["A"]["casebook_signature_state"]) == (
            "Signer 2",
            "valid",
        )
        assert rows["A"]["casebook_signed_at_utc"] == datetime(2025, 2, 2, 12, tzinfo=UTC)
        assert (rows["B"]["casebook_signed_by"], rows["B"]["casebook_signature_state"]) == (
            "Signer 5",
            "invalidated — re-signature needed",
        )
        assert rows["C"]["casebook_signature_state"] == "unsigned"
        assert rows["C"]["casebook_signed_by"] is None
        assert rows["C"]["casebook_signature_meaning"] is None

    def test_no_signatures_at_all_leave_every_child_unsigned(self):
        """With an empty signature table every row is unsigned, with null name, time and meaning."""
        rows = self._rows([])
        for row in rows.values():
            assert row["casebook_signature_state"] == "unsigned"
            assert row["casebook_signed_at_utc"] is None
