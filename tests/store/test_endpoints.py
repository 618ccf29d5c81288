"""The endpoint dataset, derived from a small cohort with known dates on both back ends.

Every expected value is worked out by hand in the comments next to it; times are whole
days from the date of diagnosis.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from remission.record.ages import AgeUnit, age
from remission.record.model import Attestation
from remission.store import SignatureState, accounts, events, patients
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.endpoint_columns import COLUMNS, SCHEMA, SIGNATURE_COLUMNS
from remission.store.endpoints import completed_months, derive_endpoints
from remission.store.enrollment import enroll_patient
from remission.store.models import (
    AdverseEvent,
    AnthracyclineDose,
    ConsentRecord,
    Death,
    FollowUp,
    MRDMeasurement,
    Relapse,
    Transplant,
    TreatmentPhaseRecord,
)
from remission.store.vocabulary import Role

TODAY = date(2026, 11, 21)
NCT = "NCT06516679"
SYSTEM = Actor.for_system("seed")
STATISTICIAN = Actor(username="stat", study_roles=frozenset({Role.STATISTICIAN}))


def baseline(diagnosed: str | None, *, kmt2a: str, wbc: float, cns: str) -> dict[str, Any]:
    """A baseline that is eligible for NCT06516679 when the child is under 1 year old."""
    kmt2a_result = {"status": kmt2a, "method": "FISH"}
    if kmt2a == "rearranged":
        kmt2a_result["partner"] = "AFF1"
    data: dict[str, Any] = {
        "diagnosis": {"who_type": "B-ALL"},
        "genetics": {"kmt2a": kmt2a_result},
        "wbc_at_diagnosis_1e9_per_l": wbc,
        "cns_status": cns,
        "prednisone_response": "good",
        "syndromes": [],
        "prior_steroids": [],
        "prior_hsct": False,
        "relapse_status": "never relapsed",
        "other_studies": [],
    }
    if diagnosed is not None:
        data["diagnosis"]["date"] = diagnosed
    return data


def register(session, study_id, site_id, sex, born, base, identifiers=None) -> int:
    return patients.register_patient(
        session,
        study_id=study_id,
        site_id=site_id,
        sex=sex,
        date_of_birth=born,
        baseline=base,
        identifiers=identifiers,
        today=TODAY,
    ).id


def add(session, model, patient_id, **values) -> None:
    events.create_row(session, model=model, patient_id=patient_id, values=values)


def enroll(session, patient_id: int, consented: date) -> None:
    add(session, ConsentRecord, patient_id, given_by="parents", date=consented, form_version="v1.2")
    attestation = Attestation(
        protocol_id=NCT,
        criterion_id="excl-contraindication",
        outcome="not met",
        attested_by="Dr. Min-Ji Park",
        role="treating physician",
        date=consented,
    )
    enroll_patient(
        session,
        patient_id=patient_id,
        protocol_id=NCT,
        enrolled_on=consented + timedelta(days=1),
        attestations=[attestation],
    )


def mrd(session, patient_id: int, sampled: date, value: float) -> None:
    add(
        session,
        MRDMeasurement,
        patient_id,
        time_point="after consolidation 1",
        method="flow cytometry",
        sample_date=sampled,
        value_fraction=value,
        sensitivity_fraction=1e-5,
    )


def seed_cohort(store: Store) -> dict[str, int]:
    """Sites SEV and SNU and six patients; returns the site ids and patient ids by key."""
    ids: dict[str, int] = {}
    with store.session(SYSTEM) as s:
        sev = accounts.add_site(s, code="SEV", name="Severance Hospital").id
        snu = accounts.add_site(s, code="SNU", name="Seoul National University Hospital").id
        ids.update(SEV=sev, SNU=snu)

        # SEV-001: HSCT, relapse after HSCT, a second relapse, then death. Enrolled, MRD positive → HR.
        p = ids["SEV-001"] = register(
            s,
            "SEV-001",
            sev,
            "female",
            date(2021, 1, 15),
            baseline("2021-06-01", kmt2a="rearranged", wbc=350.0, cns="CNS2"),
            identifiers={"full_name": "Kim Seo-yeon", "medical_record_number": "MRN-778812"},
        )
        enroll(s, p, date(2021, 6, 4))
        mrd(s, p, date(2021, 8, 3), 0.01)
        add(
            s,
            Transplant,
            p,
            date=date(2021, 11, 10),
            donor_type="matched unrelated",
            conditioning_regimen="TBI",
        )
        add(
            s,
            Relapse,
            p,
            date=date(2022, 3, 1),
            site="marrow",
            timing="after HSCT",
            remission_before_second_hsct=True,
        )
        add(s, Relapse, p, date=date(2022, 9, 1), site="CNS", timing="after HSCT")
        add(s, FollowUp, p, date=date(2022, 12, 1), status="alive with disease")
        add(s, Death, p, date=date(2023, 1, 20), cause="relapse")

        # SEV-002: exactly 6 months old at diagnosis; death in remission; not enrolled.
        p = ids["SEV-002"] = register(
            s,
            "SEV-002",
            sev,
            "male",
            date(2020, 11, 30),
            baseline("2021-05-30", kmt2a="germline", wbc=12.5, cns="CNS1"),
        )
        add(
            s,
            AdverseEvent,
            p,
            term="Sepsis",
            grade=3,
            onset_date=date(2021, 7, 1),
            serious=True,
            attribution="possible",
        )
        add(s, FollowUp, p, date=date(2021, 9, 1), status="alive in remission")
        add(s, Death, p, date=date(2021, 12, 15), cause="infection")

        # SEV-003: relapse and death on the same day (counts as relapse); enrolled, no MRD → pending.
        p = ids["SEV-003"] = register(
            s,
            "SEV-003",
            sev,
            "male",
            date(2021, 10, 1),
            baseline("2022-03-01", kmt2a="rearranged", wbc=610.0, cns="CNS3"),
        )
        enroll(s, p, date(2022, 3, 3))
        add(s, Relapse, p, date=date(2022, 9, 15), site="testis", timing="before HSCT")
        add(s, Death, p, date=date(2022, 9, 15), cause="progressive disease")

        # SNU-001: alive, censored at the last follow-up; born on the 31st (clamped anniversary).
        p = ids["SNU-001"] = register(
            s,
            "SNU-001",
            snu,
            "female",
            date(2021, 8, 31),
            baseline("2022-02-28", kmt2a="germline", wbc=8.0, cns="CNS1"),
        )
        add(
            s,
            TreatmentPhaseRecord,
            p,
            phase_id="induction",
            actual_start=date(2022, 3, 1),
            actual_end=date(2022, 4, 30),
        )
        mrd(s, p, date(2022, 4, 1), 0.0)
        add(
            s,
            AdverseEvent,
            p,
            term="Mucositis oral",
            grade=2,
            onset_date=date(2022, 5, 5),
            resolution_date=date(2022, 5, 20),
            serious=False,
            attribution="probable",
        )
        add(s, FollowUp, p, date=date(2022, 6, 1), status="alive in remission")
        add(s, FollowUp, p, date=date(2023, 3, 10), status="alive in remission")

        # SNU-002: no diagnosis date: every time and event is null, the rest is still reported.
        p = ids["SNU-002"] = register(
            s,
            "SNU-002",
            snu,
            "female",
            date(2021, 2, 2),
            baseline(None, kmt2a="rearranged", wbc=99.0, cns="CNS1"),
        )
        add(s, Transplant, p, date=date(2021, 12, 1), donor_type="cord blood", conditioning_regimen="Bu/Flu")
        add(s, Relapse, p, date=date(2022, 1, 5), site="CNS", timing="after HSCT")
        add(s, Death, p, date=date(2022, 4, 4), cause="relapse")

        # SNU-003: no date of birth; alive, last contact is the end of a phase after the last follow-up.
        p = ids["SNU-003"] = register(s, "SNU-003", snu, None, None, {"diagnosis": {"date": "2022-01-10"}})
        add(s, AnthracyclineDose, p, drug="daunorubicin", dose_mg_per_m2=30.0, date=date(2022, 2, 1))
        add(s, FollowUp, p, date=date(2022, 7, 1), status="alive in remission")
        add(
            s,
            TreatmentPhaseRecord,
            p,
            phase_id="consolidation-1",
            actual_start=date(2022, 7, 5),
            actual_end=date(2022, 8, 20),
        )
    return ids


EXPECTED: dict[str, dict[str, Any]] = {
    "SEV-001": {
        "site": "SEV",
        # 2021-01-15 → 2021-06-01: 16 (rest of Jan) + 28 + 31 + 30 + 31 + 1 = 137 days; 4 completed months.
        "age_at_diagnosis_days": 137,
        "age_under_6_months": True,
        "sex": "female",
        "wbc_at_diagnosis_1e9_per_l": 350.0,
        "cns_status": "CNS2",
        "kmt2a_status": "rearranged",
        "protocol_id": NCT,
        "risk_group": "HR",  # KMT2A-r and MRD 10⁻² after consolidation 1
        "hsct": True,
        # 2021-06-01 → 2021-11-10: 29 + 31 + 31 + 30 + 31 + 10 = 162
        "time_to_hsct_days": 162,
        # 2021-06-01 → 2023-01-20: 365 (to 2022-06-01) + 214 (to 2023-01-01) + 19 = 598
        "os_time_days": 598,
        "os_event": 1,
        # first relapse 2022-03-01: 365 (to 2022-06-01) − 92 (Mar + Apr + May) = 273
        "efs_time_days": 273,
        "efs_event": 1,
        "relapse_time_days": 273,
        "relapse_cause": 1,  # death after relapse: the relapse counts
        "relapse_site": "marrow",  # of the first relapse, not the later CNS relapse
        "relapse_timing": "after HSCT",
        "remission_before_second_hsct": True,
    },
    "SEV-002": {
        "site": "SEV",
        # 2020-11-30 → 2021-05-30: 31 (to Dec 31) + 31 + 28 + 31 + 30 + 30 = 181 days; 6 completed months.
        "age_at_diagnosis_days": 181,
        "age_under_6_months": False,
        "sex": "male",
        "wbc_at_diagnosis_1e9_per_l": 12.5,
        "cns_status": "CNS1",
        "kmt2a_status": "germline",
        "protocol_id": None,
        "risk_group": None,  # not enrolled
        "hsct": False,
        "time_to_hsct_days": None,
        # 2021-05-30 → 2021-12-15: 1 + 30 + 31 + 31 + 30 + 31 + 30 + 15 = 199
        "os_time_days": 199,
        "os_event": 1,
        "efs_time_days": 199,
        "efs_event": 1,
        "relapse_time_days": 199,
        "relapse_cause": 2,  # death in remission (no prior relapse)
        "relapse_site": None,
        "relapse_timing": None,
        "remission_before_second_hsct": None,
    },
    "SEV-003": {
        "site": "SEV",
        # 2021-10-01 → 2022-03-01: 30 + 30 + 31 + 31 + 28 + 1 = 151 days; 5 completed months.
        "age_at_diagnosis_days": 151,
        "age_under_6_months": True,
        "sex": "male",
        "wbc_at_diagnosis_1e9_per_l": 610.0,
        "cns_status": "CNS3",
        "kmt2a_status": "rearranged",
        "protocol_id": NCT,
        "risk_group": "pending",  # enrolled, MRD after consolidation 1 not yet known
        "hsct": False,
        "time_to_hsct_days": None,
        # 2022-03-01 → 2022-09-15: 31 + 30 + 31 + 30 + 31 + 31 + 14 = 198
        "os_time_days": 198,
        "os_event": 1,
        "efs_time_days": 198,
        "efs_event": 1,
        "relapse_time_days": 198,
        "relapse_cause": 1,  # relapse on the day of death counts as relapse
        "relapse_site": "testis",
        "relapse_timing": "before HSCT",
        "remission_before_second_hsct": None,
    },
    "SNU-001": {
        "site": "SNU",
        # 2021-08-31 → 2022-02-28: 30 + 31 + 30 + 31 + 31 + 28 = 181 days. The 6-month anniversary
        # of a 31 August birth falls on 28 February (clamped), so 6 completed months: not under 6.
        "age_at_diagnosis_days": 181,
        "age_under_6_months": False,
        "sex": "female",
        "wbc_at_diagnosis_1e9_per_l": 8.0,
        "cns_status": "CNS1",
        "kmt2a_status": "germline",
        "protocol_id": None,
        "risk_group": None,
        "hsct": False,
        "time_to_hsct_days": None,
        # censored at the last follow-up 2023-03-10: 365 (to 2023-02-28) + 10 = 375
        "os_time_days": 375,
        "os_event": 0,
        "efs_time_days": 375,
        "efs_event": 0,
        "relapse_time_days": 375,
        "relapse_cause": 0,
        "relapse_site": None,
        "relapse_timing": None,
        "remission_before_second_hsct": None,
    },
    "SNU-002": {
        "site": "SNU",
        "age_at_diagnosis_days": None,  # no diagnosis date
        "age_under_6_months": None,
        "sex": "female",
        "wbc_at_diagnosis_1e9_per_l": 99.0,
        "cns_status": "CNS1",
        "kmt2a_status": "rearranged",
        "protocol_id": None,
        "risk_group": None,
        "hsct": True,  # a transplant is recorded, its time is unknown
        "time_to_hsct_days": None,
        "os_time_days": None,
        "os_event": None,
        "efs_time_days": None,
        "efs_event": None,
        "relapse_time_days": None,
        "relapse_cause": None,
        "relapse_site": "CNS",
        "relapse_timing": "after HSCT",
        "remission_before_second_hsct": None,
    },
    "SNU-003": {
        "site": "SNU",
        "age_at_diagnosis_days": None,  # no date of birth
        "age_under_6_months": None,
        "sex": None,
        "wbc_at_diagnosis_1e9_per_l": None,
        "cns_status": None,
        "kmt2a_status": None,
        "protocol_id": None,
        "risk_group": None,
        "hsct": False,
        "time_to_hsct_days": None,
        # last contact is the phase end 2022-08-20 (after the 2022-07-01 follow-up):
        # 2022-01-10 → 2022-08-20: 21 + 28 + 31 + 30 + 31 + 30 + 31 + 20 = 222
        "os_time_days": 222,
        "os_event": 0,
        "efs_time_days": 222,
        "efs_event": 0,
        "relapse_time_days": 222,
        "relapse_cause": 0,
        "relapse_site": None,
        "relapse_timing": None,
        "remission_before_second_hsct": None,
    },
}


#: The missing-data code columns, all null in this cohort (tests/store/test_missing_data_export.py).
NO_CODES = {column.name: None for column in COLUMNS if column.name.endswith("_missing_code")}
#: The casebook signature columns, unsigned throughout this cohort (tests/store/test_signature_export.py).
UNSIGNED = {column.name: None for column in SIGNATURE_COLUMNS} | {
    "casebook_signature_state": SignatureState.UNSIGNED.value
}


def rows_by_key(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row.pop("patient_key"): row for row in table.to_pylist()}


def derive(store: Store, actor: Actor) -> pa.Table:
    with store.session(actor) as session:
        return derive_endpoints(session)


def test_every_column_matches_the_hand_computed_values(store):
    seed_cohort(store)
    table = derive(store, STATISTICIAN)
    assert table.schema.equals(SCHEMA, check_metadata=True)
    assert table.column("patient_key").to_pylist() == sorted(EXPECTED)
    rows = rows_by_key(table)
    for key, expected in EXPECTED.items():
        assert rows[key] == expected | NO_CODES | UNSIGNED, key


def test_a_coordinator_sees_only_their_sites_rows(store):
    ids = seed_cohort(store)
    coordinator = Actor.from_assignments("coord-sev", 1, [(Role.COORDINATOR, ids["SEV"])])
    rows = rows_by_key(derive(store, coordinator))
    assert sorted(rows) == ["SEV-001", "SEV-002", "SEV-003"]
    for key, row in rows.items():
        assert row == EXPECTED[key] | NO_CODES | UNSIGNED


def test_an_actor_without_sites_gets_an_empty_dataset_with_the_full_schema(store):
    seed_cohort(store)
    table = derive(store, Actor(username="nobody"))
    assert table.num_rows == 0
    assert table.schema.equals(SCHEMA, check_metadata=True)


def test_an_empty_store_gives_an_empty_dataset(store):
    table = derive(store, STATISTICIAN)
    assert table.num_rows == 0
    assert table.column_names == [column.name for column in COLUMNS]


def test_the_dataset_is_de_identified(store):
    seed_cohort(store)
    table = derive(store, STATISTICIAN)
    for field in table.schema:
        # The one date-time is the casebook signature's: a staff member's act, not the child's course.
        if field.name != "casebook_signed_at_utc":
            assert not pa.types.is_temporal(field.type), field.name
        assert field.metadata is not None
        assert b"description" in field.metadata
    values = [str(value) for row in table.to_pylist() for value in row.values()]
    for identifier in ("Kim Seo-yeon", "MRN-778812", "2021-01-15", "2021-06-01"):
        assert not any(identifier in value for value in values)


def test_risk_group_is_the_current_assignment(store):
    """A final group that no longer holds (its MRD result deleted) is pending again."""
    ids = seed_cohort(store)
    with store.session(SYSTEM) as s:
        (result,) = events.list_rows(s, model=MRDMeasurement, patient_id=ids["SEV-001"])
    with store.session(SYSTEM, reason="sample mislabelled") as s:
        events.delete_row(
            s, model=MRDMeasurement, patient_id=ids["SEV-001"], row_id=result.id, version=result.version
        )
    assert rows_by_key(derive(store, STATISTICIAN))["SEV-001"]["risk_group"] == "pending"
    with store.session(SYSTEM) as s:
        mrd(s, ids["SEV-001"], date(2021, 8, 3), 0.0)  # KMT2A-r and MRD negative → IR
    assert rows_by_key(derive(store, STATISTICIAN))["SEV-001"]["risk_group"] == "IR"


def test_an_event_before_diagnosis_gives_null_times_not_negative_ones(store):
    ids = seed_cohort(store)
    with store.session(SYSTEM) as s:
        add(
            s, Transplant, ids["SNU-001"], date=date(2022, 1, 1), donor_type="other", conditioning_regimen="x"
        )
    row = rows_by_key(derive(store, STATISTICIAN))["SNU-001"]
    assert row["hsct"] is True
    assert row["time_to_hsct_days"] is None
    assert row["os_time_days"] == 375  # a transplant date before diagnosis is no later contact


def test_the_number_of_queries_does_not_grow_with_the_cohort(store):
    ids = seed_cohort(store)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def queries() -> int:
        statements.clear()
        event.listen(store.engine, "before_cursor_execute", count)
        try:
            derive(store, STATISTICIAN)
        finally:
            event.remove(store.engine, "before_cursor_execute", count)
        return len(statements)

    before = queries()
    with store.session(SYSTEM) as s:
        for n in range(5):
            p = register(
                s, f"SNU-1{n:02}", ids["SNU"], "male", date(2022, 1, 1), {"diagnosis": {"date": "2022-05-01"}}
            )
            add(s, FollowUp, p, date=date(2023, 1, n + 1), status="alive in remission")
            add(s, Relapse, p, date=date(2022, 12, 1), site="marrow", timing="no HSCT")
    assert queries() == before
    assert before <= 16


@given(
    st.lists(
        st.tuples(st.dates(date(1996, 1, 1), date(2040, 12, 31)), st.integers(0, 4000)),
        min_size=1,
        max_size=200,
    )
)
def test_completed_months_agrees_with_record_ages(pairs):
    born = [b for b, _ in pairs]
    on = [b + timedelta(days=d) for b, d in pairs]
    got = completed_months(pa.array(born, pa.date32()), pa.array(on, pa.date32())).to_pylist()
    assert got == [age(b, o, AgeUnit.MONTHS) for b, o in zip(born, on, strict=True)]


@pytest.mark.parametrize(
    ("born", "on", "months"),
    [
        (date(2020, 2, 29), date(2020, 8, 28), 5),
        (date(2020, 2, 29), date(2020, 8, 29), 6),
        (date(2019, 8, 31), date(2020, 2, 28), 5),  # anniversary clamps to 29 Feb in a leap year
        (date(2019, 8, 31), date(2020, 2, 29), 6),
        (date(2021, 8, 31), date(2022, 2, 28), 6),
        (date(2021, 1, 15), date(2021, 1, 14), None),  # before birth
        (None, date(2021, 1, 14), None),
    ],
)
def test_completed_months_edge_cases(born, on, months):
    got = completed_months(pa.array([born], pa.date32()), pa.array([on], pa.date32()))
    assert got.to_pylist() == [months]
