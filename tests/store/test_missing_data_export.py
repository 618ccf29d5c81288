"""Exports carry missing-data codes in columns of their own, so a value column stays numeric."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
from tests.store.helpers import World, example

from remission.store import ExportFormat, events, export_dataset
from remission.store.endpoint_columns import SCHEMA
from remission.store.endpoints import derive_endpoints
from remission.store.missing_data import set_missing_code
from remission.store.models import Relapse
from remission.store.vocabulary import Role


def _seed(world: World) -> None:
    """Two children at SEV: one with a WBC, one whose WBC and first relapse's remission are coded."""
    counted = example("INF-01")
    counted["wbc_at_diagnosis_1e9_per_l"] = 120.5
    world.register("EX-01", "SEV", record=counted)
    coded = example("INF-01")
    coded.pop("wbc_at_diagnosis_1e9_per_l", None)
    patient = world.register("EX-02", "SEV", record=coded)
    with world.session(world.system) as session:
        relapse = events.create_row(
            session,
            model=Relapse,
            patient_id=patient,
            values={"date": date(2025, 6, 1), "site": "marrow", "timing": "no HSCT"},
            today=date(2026, 11, 21),
        )
    with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
        set_missing_code(
            session, patient_id=patient, form="baseline", field="wbc_at_diagnosis_1e9_per_l", code="not done"
        )
        set_missing_code(
            session,
            patient_id=patient,
            form="relapses",
            row_id=relapse.id,
            field="remission_before_second_hsct",
            code="not applicable",
        )


def test_the_code_columns_sit_next_to_their_value_columns():
    """Each column that can carry a code is followed by its <column>_missing_code string column."""
    names = SCHEMA.names
    for column in (
        "wbc_at_diagnosis_1e9_per_l",
        "cns_status",
        "kmt2a_status",
        "remission_before_second_hsct",
    ):
        assert names[names.index(column) + 1] == f"{column}_missing_code"
        assert SCHEMA.field(f"{column}_missing_code").type == pa.string()
    assert SCHEMA.field("wbc_at_diagnosis_1e9_per_l").type == pa.float64()


def test_a_coded_value_is_null_with_its_code_beside_it(world: World):
    """The dataset has a null WBC and the code 'not done' for the coded child, the count for the other."""
    _seed(world)
    with world.session(world.actor(Role.STATISTICIAN)) as session:
        rows = {row["patient_key"]: row for row in derive_endpoints(session).to_pylist()}
    assert (
        rows["EX-01"]["wbc_at_diagnosis_1e9_per_l"],
        rows["EX-01"]["wbc_at_diagnosis_1e9_per_l_missing_code"],
    ) == (
        120.5,
        None,
    )
    assert (
        rows["EX-02"]["wbc_at_diagnosis_1e9_per_l"],
        rows["EX-02"]["wbc_at_diagnosis_1e9_per_l_missing_code"],
    ) == (
        None,
        "not done",
    )
    assert rows["EX-02"]["remission_before_second_hsct_missing_code"] == "not applicable"
    assert rows["EX-01"]["remission_before_second_hsct_missing_code"] is None


def test_the_exported_csv_keeps_the_value_column_numeric(world: World, tmp_path: Path):
    """Read back without a schema, the CSV's WBC column is a float column; the code is text beside it."""
    _seed(world)
    path = tmp_path / "endpoints.csv"
    export_dataset(world.store, actor=world.actor(Role.STATISTICIAN), path=path, format=ExportFormat.CSV)
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(strings_can_be_null=True))
    assert table.schema.field("wbc_at_diagnosis_1e9_per_l").type == pa.float64()
    assert table["wbc_at_diagnosis_1e9_per_l"].to_pylist() == [120.5, None]
    assert table["wbc_at_diagnosis_1e9_per_l_missing_code"].to_pylist() == [None, "not done"]
