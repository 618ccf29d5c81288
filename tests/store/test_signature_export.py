"""The casebook signature in the endpoint dataset (21 CFR Part 11 §11.50): the signer's printed name, the
UTC time, the meaning and the state, per patient, in the table, the Parquet file and the CSV file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import event
from tests.store.helpers import PASSWORD, World
from tests.store.test_signatures import add_sae, enrolled, sign

from remission.store import (
    AdverseEvent,
    SignatureMeaning,
    SignatureState,
    SignedUnit,
    UnitRef,
    events,
    export_dataset,
    sign_units,
)
from remission.store.endpoint_columns import SCHEMA, SIGNATURE_COLUMNS
from remission.store.endpoints import derive_endpoints
from remission.store.models import User
from remission.store.vocabulary import Role

SIGNER = "Dr. Park Ji-ho"
APPROVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REVIEWED_AT = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
NAMES = [column.name for column in SIGNATURE_COLUMNS]


def printed_name(world: World, role: Role, site: str, name: str) -> None:
    """Give the user of ``role`` at ``site`` a printed name other than their user name."""
    user_id = world.actor(role, site).user_id
    with world.session(world.system, reason="printed name") as session:
        user = session.get(User, user_id)
        assert user is not None
        user.full_name = name


def approve_casebook(world: World, patient_id: int, at: datetime) -> None:
    actor = world.actor(Role.INVESTIGATOR, "SNU")
    with world.session(actor) as session:
        sign_units(
            session,
            units=[UnitRef(patient_id, SignedUnit.CASEBOOK)],
            meaning=SignatureMeaning.APPROVAL,
            username=actor.username,
            password=PASSWORD,
            now=at,
        )


def three_patients(world: World) -> dict[str, int]:
    """INF-04 signed (approval, valid); INF-02 signed (review) then its SAE's grade corrected
    (invalidated); INF-01 never signed as a casebook (only its SAE is signed)."""
    printed_name(world, Role.INVESTIGATOR, "SNU", SIGNER)
    ids = {study_id: enrolled(world, study_id) for study_id in ("INF-01", "INF-02", "INF-04")}
    approve_casebook(world, ids["INF-04"], APPROVED_AT)
    sae = add_sae(world, ids["INF-02"])
    sign(world, ids["INF-02"], SignedUnit.CASEBOOK, now=REVIEWED_AT)
    with world.session(world.actor(Role.COORDINATOR, "SNU"), reason="grade corrected") as session:
        events.update_row(
            session, model=AdverseEvent, patient_id=ids["INF-02"], row_id=sae, version=1, values={"grade": 4}
        )
    unsigned_sae = add_sae(world, ids["INF-01"])
    sign(world, ids["INF-01"], SignedUnit.SERIOUS_ADVERSE_EVENT, unsigned_sae)
    return ids


EXPECTED: dict[str, dict[str, Any]] = {
    "INF-01": {
        "casebook_signed_by": None,
        "casebook_signed_at_utc": None,
        "casebook_signature_meaning": None,
        "casebook_signature_state": "unsigned",
    },
    "INF-02": {
        "casebook_signed_by": SIGNER,
        "casebook_signed_at_utc": REVIEWED_AT,
        "casebook_signature_meaning": "review",
        "casebook_signature_state": "invalidated — re-signature needed",
    },
    "INF-04": {
        "casebook_signed_by": SIGNER,
        "casebook_signed_at_utc": APPROVED_AT,
        "casebook_signature_meaning": "approval",
        "casebook_signature_state": "valid",
    },
}


def signature_rows(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["patient_key"]: {name: row[name] for name in NAMES} for row in table.to_pylist()}


def derived(world: World) -> pa.Table:
    with world.session(world.actor(Role.STATISTICIAN)) as session:
        return derive_endpoints(session)


class TestCasebookSignatureColumns:
    def test_valid_invalidated_and_unsigned_rows(self, world: World) -> None:
        """A valid, an invalidated and no casebook signature give the right name, time, meaning and state."""
        three_patients(world)
        table = derived(world)
        assert table.schema.equals(SCHEMA, check_metadata=True)
        assert signature_rows(table) == EXPECTED

    def test_states_are_the_signature_status_words(self, world: World) -> None:
        """The state column uses the words of ``SignatureState``, the signing list's definition."""
        three_patients(world)
        states = derived(world).column("casebook_signature_state").to_pylist()
        assert states == [SignatureState.UNSIGNED, SignatureState.INVALIDATED, SignatureState.VALID]

    def test_signing_again_after_an_invalidation_is_valid(self, world: World) -> None:
        """The casebook signed again after the edit carries the new signature, valid."""
        ids = three_patients(world)
        approve_casebook(world, ids["INF-02"], datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
        row = signature_rows(derived(world))["INF-02"]
        assert row == {
            "casebook_signed_by": SIGNER,
            "casebook_signed_at_utc": datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
            "casebook_signature_meaning": "approval",
            "casebook_signature_state": "valid",
        }

    def test_a_data_cut_keeps_the_current_signature(self, world: World) -> None:
        """At a data cut before the signing, the row still carries the casebook's current signature."""
        three_patients(world)
        with world.session(world.actor(Role.STATISTICIAN)) as session:
            table = derive_endpoints(session, extended=True, as_of=date(2026, 1, 1))
        assert signature_rows(table) == EXPECTED

    def test_the_signatures_are_read_in_one_query(self, world: World) -> None:
        """Signing more casebooks adds no query: the signatures of every patient are one SELECT."""
        ids = three_patients(world)
        world.actor(Role.STATISTICIAN)  # the user is made on first use: not part of the count
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(statement)

        def queries() -> int:
            statements.clear()
            event.listen(world.store.engine, "before_cursor_execute", count)
            try:
                derived(world)
            finally:
                event.remove(world.store.engine, "before_cursor_execute", count)
            return len(statements)

        before = queries()
        assert sum("signatures" in statement for statement in statements) == 1
        approve_casebook(world, ids["INF-01"], REVIEWED_AT)
        approve_casebook(world, enrolled(world, "INF-05"), REVIEWED_AT)
        assert queries() == before


class TestExportedFiles:
    def test_parquet_and_csv_carry_the_signature(self, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """Both export formats hold the three patients' signature columns as derived."""
        three_patients(world)
        statistician = world.actor(Role.STATISTICIAN)
        parquet = tmp_path / "endpoints.parquet"
        export_dataset(world.store, actor=statistician, path=parquet, format="parquet")
        back = pq.read_table(parquet)
        assert back.schema.metadata[b"dataset_version"] == b"2"
        assert back.schema.field("casebook_signed_at_utc").metadata[b"unit"] == b"UTC"
        assert signature_rows(back) == EXPECTED
        csv = tmp_path / "endpoints.csv"
        export_dataset(world.store, actor=statistician, path=csv, format="csv")
        text = csv.read_text("utf-8")
        assert f'"{SIGNER}",2026-03-02 09:30:00.000000Z,"approval","valid"' in text
        types = {field.name: field.type for field in SCHEMA}
        read = pa_csv.read_csv(
            csv,
            convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )
        assert signature_rows(read) == EXPECTED
