"""The extended endpoint columns (DFS after HSCT, OS after relapse), the enrollment origin and the data cut.

A small cohort with known dates on both back ends; every expected value is worked out by hand in
the comment next to it (whole days, the end date minus the origin date).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from remission.record.model import Attestation
from remission.store import accounts, events, patients
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.endpoint_columns import COLUMNS, EXTENDED_COLUMNS, SCHEMA, dataset_schema
from remission.store.endpoints import derive_endpoints
from remission.store.enrollment import enroll_patient
from remission.store.errors import Refused
from remission.store.models import ConsentRecord, Death, FollowUp, Relapse, Transplant
from remission.store.vocabulary import Role

EXTENDED = [column.name for column in EXTENDED_COLUMNS]
TODAY = date(2026, 11, 21)
NCT = "NCT06516679"
SYSTEM = Actor.for_system("seed")
STATISTICIAN = Actor(username="stat", study_roles=frozenset({Role.STATISTICIAN}))


def register(session, study_id: str, site_id: int, sex: str, born: date, diagnosed: str, kmt2a: str) -> int:
    """A patient whose baseline is eligible for NCT06516679 (under 1 year old at diagnosis)."""
    base = {
        "diagnosis": {"who_type": "B-ALL", "date": diagnosed},
        "genetics": {"kmt2a": {"status": kmt2a, "method": "FISH"}},
        "wbc_at_diagnosis_1e9_per_l": 50.0,
        "cns_status": "CNS1",
        "syndromes": [],
        "prior_steroids": [],
        "prior_hsct": False,
        "relapse_status": "never relapsed",
        "other_studies": [],
    }
    return patients.register_patient(
        session,
        study_id=study_id,
        site_id=site_id,
        sex=sex,
        date_of_birth=born,
        baseline=base,
        identifiers=None,
        today=TODAY,
    ).id


def add(session, model, patient_id: int, **values: Any) -> None:
    events.create_row(session, model=model, patient_id=patient_id, values=values)


def enroll(session, patient_id: int, enrolled: date) -> None:
    """Consent the day before ``enrolled`` and enroll on ``enrolled``."""
    consented = date.fromordinal(enrolled.toordinal() - 1)
    add(session, ConsentRecord, patient_id, given_by="parents", date=consented, form_version="v1")
    attestation = Attestation(
        protocol_id=NCT,
        criterion_id="excl-contraindication",
        outcome="not met",
        attested_by="Dr. Min-Ji Park",
        role="treating physician",
        date=consented,
    )
    enroll_patient(
        session, patient_id=patient_id, protocol_id=NCT, enrolled_on=enrolled, attestations=[attestation]
    )


def seed(store: Store) -> None:
    """Four patients at one site (see each comment for the course)."""
    with store.session(SYSTEM) as s:
        site = accounts.add_site(s, code="SEV", name="Severance Hospital").id

        # enrolled 2021-01-13; HSCT, relapse after it, second HSCT, death.
        p = register(s, "A-001", site, "female", date(2020, 9, 1), "2021-01-10", "rearranged")
        enroll(s, p, date(2021, 1, 13))
        add(s, Transplant, p, date=date(2021, 7, 1), donor_type="matched sibling", conditioning_regimen="x")
        add(
            s,
            Relapse,
            p,
            date=date(2022, 1, 1),
            site="marrow",
            timing="after HSCT",
            remission_before_second_hsct=True,
        )
        add(s, Transplant, p, date=date(2022, 4, 1), donor_type="cord blood", conditioning_regimen="y")
        add(s, Death, p, date=date(2022, 10, 1), cause="relapse")

        # not enrolled; relapse before its only HSCT (in second remission); alive.
        p = register(s, "A-002", site, "male", date(2020, 10, 1), "2021-03-01", "germline")
        add(s, Relapse, p, date=date(2021, 9, 1), site="CNS", timing="before HSCT")
        add(s, Transplant, p, date=date(2021, 12, 1), donor_type="haploidentical", conditioning_regimen="z")
        add(s, FollowUp, p, date=date(2023, 3, 1), status="alive in remission")

        # enrolled 2021-05-04; death in remission, no HSCT, no relapse.
        p = register(s, "A-003", site, "male", date(2021, 1, 1), "2021-05-01", "germline")
        enroll(s, p, date(2021, 5, 4))
        add(s, Death, p, date=date(2021, 8, 1), cause="infection")

        # relapse recorded on the day of the HSCT; alive at the last follow-up.
        p = register(s, "A-004", site, "female", date(2020, 9, 15), "2021-02-01", "rearranged")
        add(s, Transplant, p, date=date(2021, 8, 1), donor_type="matched unrelated", conditioning_regimen="x")
        add(s, Relapse, p, date=date(2021, 8, 1), site="combined", timing="after HSCT")
        add(s, FollowUp, p, date=date(2021, 12, 1), status="alive with disease")


def rows(store: Store, **options: Any) -> dict[str, dict[str, Any]]:
    with store.session(STATISTICIAN) as session:
        table = derive_endpoints(session, **options)
    return {row.pop("patient_key"): row for row in table.to_pylist()}


def extended_part(row: dict[str, Any]) -> dict[str, Any]:
    """The extended values (their missing-data codes are tested in test_missing_data_export.py)."""
    return {name: row[name] for name in EXTENDED if not name.endswith("_missing_code")}


class TestExtendedColumns:
    def test_extended_columns_match_the_hand_computed_values(self, store):
        """HSCT count, diagnosis to enrollment, DFS after HSCT and OS after relapse match the comments."""
        seed(store)
        got = {key: extended_part(row) for key, row in rows(store, extended=True).items()}
        assert got == {
            "A-001": {
                "hsct_count": 2,
                "diagnosis_to_enrollment_days": 3,  # 2021-01-10 → 2021-01-13
                # HSCT 2021-07-01 → relapse 2022-01-01: 31 + 31 + 30 + 31 + 30 + 31 = 184
                "dfs_after_hsct_time_days": 184,
                "dfs_after_hsct_event": 1,
                # relapse 2022-01-01 → death 2022-10-01: 31+28+31+30+31+30+31+31+30 = 273
                "os_after_relapse_time_days": 273,
                "os_after_relapse_event": 1,
                "who_type": "B-ALL",
            },
            "A-002": {
                "hsct_count": 1,
                "diagnosis_to_enrollment_days": None,  # not enrolled
                # the relapse precedes the HSCT: censored at the follow-up 2023-03-01,
                # 2021-12-01 → 2022-12-01 = 365, + 31 + 31 + 28 = 455
                "dfs_after_hsct_time_days": 455,
                "dfs_after_hsct_event": 0,
                # 2021-09-01 → 2022-09-01 = 365, + 30 + 31 + 30 + 31 + 31 + 28 = 546
                "os_after_relapse_time_days": 546,
                "os_after_relapse_event": 0,
                "who_type": "B-ALL",
            },
            "A-003": {
                "hsct_count": 0,
                "diagnosis_to_enrollment_days": 3,  # 2021-05-01 → 2021-05-04
                "dfs_after_hsct_time_days": None,  # no HSCT: no origin
                "dfs_after_hsct_event": None,
                "os_after_relapse_time_days": None,  # no relapse: no origin
                "os_after_relapse_event": None,
                "who_type": "B-ALL",
            },
            "A-004": {
                "hsct_count": 1,
                "diagnosis_to_enrollment_days": None,
                "dfs_after_hsct_time_days": 0,  # a relapse on the HSCT date is an event at day 0
                "dfs_after_hsct_event": 1,
                # 2021-08-01 → 2021-12-01: 31 + 30 + 31 + 30 = 122
                "os_after_relapse_time_days": 122,
                "os_after_relapse_event": 0,
                "who_type": "B-ALL",
            },
        }

    def test_the_standard_columns_are_the_same_with_or_without_extension(self, store):
        """``extended=True`` adds columns after the standard ones and changes none of them."""
        seed(store)
        plain, extended = rows(store), rows(store, extended=True)
        for key, row in plain.items():
            assert {name: extended[key][name] for name in row} == row

    def test_the_extended_schema_appends_the_extended_columns(self, store):
        """The table follows ``dataset_schema(extended=True)``: standard columns, then the extended ones."""
        seed(store)
        with store.session(STATISTICIAN) as session:
            table = derive_endpoints(session, extended=True)
        assert table.schema.equals(dataset_schema(extended=True), check_metadata=True)
        assert table.column_names == [c.name for c in COLUMNS] + EXTENDED
        assert table.schema.metadata[b"columns"] == b"extended"

    def test_an_empty_store_gives_an_empty_extended_dataset(self, store):
        """With no patients the extended dataset has no rows and the full extended schema."""
        with store.session(STATISTICIAN) as session:
            table = derive_endpoints(session, extended=True)
        assert table.num_rows == 0
        assert table.schema.equals(dataset_schema(extended=True), check_metadata=True)


class TestEnrollmentOrigin:
    def test_times_run_from_the_first_enrollment(self, store):
        """With origin enrollment, OS, EFS, relapse and HSCT times start at the enrollment date."""
        seed(store)
        row = rows(store, origin="enrollment")["A-001"]
        # enrollment 2021-01-13 → death 2022-10-01: 365 (to 2022-01-13) + 273 (to 2022-10-13) − 12 = 626
        assert row["os_time_days"] == 626
        # → relapse 2022-01-01: 365 − 12 = 353
        assert (row["efs_time_days"], row["efs_event"]) == (353, 1)
        assert (row["relapse_time_days"], row["relapse_cause"]) == (353, 1)
        # → HSCT 2021-07-01: 18 + 28 + 31 + 30 + 31 + 30 + 1 = 169
        assert row["time_to_hsct_days"] == 169

    def test_patients_never_enrolled_have_no_times_from_enrollment(self, store):
        """A patient without an enrollment has null times and events under the enrollment origin."""
        seed(store)
        row = rows(store, origin="enrollment")["A-002"]
        assert [row[name] for name in ("os_time_days", "os_event", "efs_time_days", "relapse_cause")] == [
            None
        ] * 4
        assert row["age_at_diagnosis_days"] is not None  # the age still comes from the diagnosis

    def test_the_schema_names_the_enrollment_origin(self, store):
        """The file metadata and the time columns' descriptions say the origin is the enrollment."""
        seed(store)
        with store.session(STATISTICIAN) as session:
            schema = derive_endpoints(session, origin="enrollment").schema
        assert schema.metadata[b"time_origin"] == b"enrollment"
        assert schema.field("os_time_days").metadata[b"description"].startswith(b"Enrollment to death")
        assert (
            schema.field("age_at_diagnosis_days").metadata == SCHEMA.field("age_at_diagnosis_days").metadata
        )

    def test_an_unknown_origin_is_refused(self, store):
        """An origin other than diagnosis or enrollment is refused, naming the argument."""
        with store.session(STATISTICIAN) as session, pytest.raises(Refused) as caught:
            derive_endpoints(session, origin="relapse")  # type: ignore[arg-type]
        assert caught.value.field == "origin"


class TestDataCut:
    def test_events_after_the_cut_are_not_read(self, store):
        """At a cut on the relapse date the later HSCT and death are unknown: censored at the cut."""
        seed(store)
        row = rows(store, extended=True, as_of=date(2022, 1, 1))["A-001"]
        assert row["hsct_count"] == 1
        # last contact is the relapse 2022-01-01: 2021-01-10 → 2022-01-01 = 356 days, alive
        assert (row["os_time_days"], row["os_event"]) == (356, 0)
        assert (row["relapse_time_days"], row["relapse_cause"]) == (356, 1)
        assert (row["dfs_after_hsct_time_days"], row["dfs_after_hsct_event"]) == (184, 1)
        assert (row["os_after_relapse_time_days"], row["os_after_relapse_event"]) == (0, 0)

    def test_patients_diagnosed_after_the_cut_are_left_out(self, store):
        """A cut before a patient's diagnosis leaves that patient out of the dataset."""
        seed(store)
        assert sorted(rows(store, as_of=date(2021, 4, 1))) == ["A-001", "A-002", "A-004"]

    def test_an_enrollment_after_the_cut_does_not_count(self, store):
        """Before its enrollment date a patient is not enrolled: no protocol and no risk group."""
        seed(store)
        row = rows(store, as_of=date(2021, 1, 12))["A-001"]
        assert (row["protocol_id"], row["risk_group"]) == (None, None)
        assert rows(store, as_of=date(2021, 1, 13))["A-001"]["protocol_id"] == NCT

    def test_the_schema_records_the_cut(self, store):
        """The data cut is written to the file metadata as an ISO date."""
        seed(store)
        with store.session(STATISTICIAN) as session:
            table = derive_endpoints(session, as_of=date(2022, 6, 30))
        assert table.schema.metadata[b"data_cut"] == b"2022-06-30"
        assert table.schema.equals(dataset_schema(as_of=date(2022, 6, 30)), check_metadata=True)

    def test_a_cut_after_every_date_changes_nothing(self, store):
        """A cut later than every recorded date gives the same dataset as no cut."""
        seed(store)
        assert rows(store, extended=True, as_of=date(2030, 1, 1)) == rows(store, extended=True)

    def test_the_default_schema_is_unchanged(self):
        """Without options the schema is the version-1 dataset schema of docs/export.md."""
        assert dataset_schema().equals(SCHEMA, check_metadata=True)
        assert SCHEMA.metadata == {
            b"dataset": b"remission endpoint dataset",
            b"dataset_version": b"2",
            b"time_origin": b"diagnosis",
        }
        assert isinstance(SCHEMA, pa.Schema)
