"""Exporting the endpoint dataset: roles, audit entry, CSV and Parquet round trips, overwrites."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from remission.cli.export_commands import export
from remission.store import AUDIT_ENTITY, ExportFormat, accounts, events, export_dataset, patients
from remission.store.actor import AccessDenied, Actor
from remission.store.audit_verification import verify_chain
from remission.store.database import Store
from remission.store.endpoint_columns import SCHEMA
from remission.store.endpoints import derive_endpoints
from remission.store.errors import Refused
from remission.store.models import AuditEntry, Death, FollowUp, Relapse
from remission.store.vocabulary import AuditAction, Role

SYSTEM = Actor.for_system("seed")
TODAY = date(2026, 11, 21)


def study_actor(role: Role) -> Actor:
    return Actor(username=f"{role.value}-study", study_roles=frozenset({role}))


STATISTICIAN = study_actor(Role.STATISTICIAN)


def seed(store: Store) -> dict[str, int]:
    """Two sites, three patients: relapse then death, alive, no diagnosis date."""
    with store.session(SYSTEM) as s:
        sites = {code: accounts.add_site(s, code=code, name=code).id for code in ("SEV", "SNU")}

        def register(study_id: str, site: str, diagnosed: str | None) -> int:
            base = {"diagnosis": {"date": diagnosed}} if diagnosed else {}
            return patients.register_patient(
                s,
                study_id=study_id,
                site_id=sites[site],
                sex="female",
                date_of_birth=date(2021, 1, 1),
                baseline={**base, "wbc_at_diagnosis_1e9_per_l": 310.5, "cns_status": "CNS1"},
                identifiers={"full_name": f"Name of {study_id}"},
                today=TODAY,
            ).id

        first = register("SEV-001", "SEV", "2021-04-01")
        events.create_row(
            s,
            model=Relapse,
            patient_id=first,
            values={"date": date(2021, 10, 1), "site": "marrow", "timing": "no HSCT"},
        )
        events.create_row(
            s, model=Death, patient_id=first, values={"date": date(2022, 1, 1), "cause": "relapse"}
        )
        second = register("SNU-001", "SNU", "2021-05-01")
        events.create_row(
            s,
            model=FollowUp,
            patient_id=second,
            values={"date": date(2023, 5, 1), "status": "alive in remission"},
        )
        register("SNU-002", "SNU", None)
    return sites


def export_entries(store: Store) -> list[dict]:
    with store.engine.connect() as connection:
        query = select(AuditEntry.__table__).where(AuditEntry.action == AuditAction.EXPORT.value)
        return [dict(row) for row in connection.execute(query.order_by(AuditEntry.seq)).mappings()]


def derived(store: Store) -> pa.Table:
    with store.session(STATISTICIAN) as session:
        return derive_endpoints(session)


def test_parquet_round_trip(store, tmp_path):
    seed(store)
    path = tmp_path / "endpoints.parquet"
    result = export_dataset(store, actor=STATISTICIAN, path=path, format="parquet")
    assert (result.path, result.format, result.rows) == (path, ExportFormat.PARQUET, 3)
    assert path.stat().st_mode & 0o077 == 0  # confidential study data: owner only
    back = pq.read_table(path)
    assert back.equals(derived(store), check_metadata=True)
    assert back.schema.field("os_time_days").metadata[b"unit"] == b"days"
    assert back.schema.metadata[b"time_origin"] == b"diagnosis"
    assert [(r["patient_key"], r["os_time_days"], r["os_event"]) for r in back.to_pylist()] == [
        ("SEV-001", 275, 1),  # 2021-04-01 → 2022-01-01: 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 = 275
        ("SNU-001", 730, 0),  # 2021-05-01 → 2023-05-01: 365 + 365
        ("SNU-002", None, None),
    ]


def test_csv_round_trip(store, tmp_path):
    seed(store)
    path = tmp_path / "endpoints.csv"
    assert export_dataset(store, actor=STATISTICIAN, path=path, format=ExportFormat.CSV).rows == 3
    header = path.read_text("utf-8").splitlines()[0]
    assert header.replace('"', "").split(",") == SCHEMA.names
    back = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types={field.name: field.type for field in SCHEMA}, strings_can_be_null=True
        ),
    )
    assert back.to_pylist() == derived(store).to_pylist()
    assert back.to_pylist()[0]["efs_time_days"] == 183  # 2021-04-01 → 2021-10-01 (relapse)
    assert back.to_pylist()[0]["relapse_cause"] == 1


def test_export_writes_one_audit_entry(store, tmp_path):
    seed(store)
    path = tmp_path / "endpoints.parquet"
    export_dataset(store, actor=STATISTICIAN, path=path, format="parquet")
    (entry,) = export_entries(store)
    assert entry["username"] == "statistician-study"
    assert entry["entity"] == AUDIT_ENTITY
    assert entry["entity_id"] is None
    assert entry["site_id"] is None
    assert entry["new_value"] == f"format=parquet rows=3 path={path.resolve()}"
    with store.engine.connect() as connection:
        assert verify_chain(connection).intact


@pytest.mark.parametrize("role", [Role.STATISTICIAN, Role.DATA_MANAGER, Role.ADMIN, Role.MONITOR])
def test_study_roles_may_export_every_site(store, tmp_path, role):
    seed(store)
    path = tmp_path / "out.csv"
    assert export_dataset(store, actor=study_actor(role), path=path, format="csv").rows == 3
    assert len(export_entries(store)) == 1


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INVESTIGATOR])
def test_site_roles_may_not_export(store, tmp_path, role):
    sites = seed(store)
    actor = Actor.from_assignments(f"{role.value}-sev", 7, [(role, sites["SEV"])])
    with store.session(actor) as session:  # they do read their own site's rows...
        assert derive_endpoints(session).column("patient_key").to_pylist() == ["SEV-001"]
    path = tmp_path / "out.csv"
    with pytest.raises(AccessDenied):  # ...but may not export them
        export_dataset(store, actor=actor, path=path, format="csv")
    assert not path.exists()
    assert export_entries(store) == []


def test_an_existing_file_is_refused_unless_overwrite(store, tmp_path):
    seed(store)
    folder = tmp_path / "exports"
    folder.mkdir()
    path = folder / "endpoints.csv"
    path.write_text("keep me", "utf-8")
    with pytest.raises(Refused, match="exists"):
        export_dataset(store, actor=STATISTICIAN, path=path, format="csv")
    assert path.read_text("utf-8") == "keep me"
    assert export_entries(store) == []
    export_dataset(store, actor=STATISTICIAN, path=path, format="csv", overwrite=True)
    assert pa_csv.read_csv(path).num_rows == 3
    assert len(export_entries(store)) == 1
    assert [p.name for p in folder.iterdir()] == ["endpoints.csv"]  # no temporary file left


def test_bad_format_and_missing_directory_are_refused(store, tmp_path):
    seed(store)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(Refused, match="format"):
        export_dataset(store, actor=STATISTICIAN, path=folder / "x.xlsx", format="xlsx")
    with pytest.raises(Refused, match="does not exist"):
        export_dataset(store, actor=STATISTICIAN, path=folder / "missing" / "x.csv", format="csv")
    with pytest.raises(Refused, match="directory"):
        export_dataset(store, actor=STATISTICIAN, path=folder, format="csv", overwrite=True)
    assert list(folder.iterdir()) == []
    assert export_entries(store) == []


def test_a_failed_export_leaves_no_file_and_no_entry(store, tmp_path, monkeypatch):
    seed(store)
    folder = tmp_path / "exports"
    folder.mkdir()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("remission.store.export.pq.write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        export_dataset(store, actor=STATISTICIAN, path=folder / "endpoints.parquet", format="parquet")
    assert list(folder.iterdir()) == []
    assert export_entries(store) == []


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(export)
    return app


def test_the_command_exports_as_the_operator(store, database_url, tmp_path):
    seed(store)
    path = tmp_path / "endpoints.parquet"
    args = ["--database", database_url, "--format", "parquet", "--out", str(path), "--as-user", "alice"]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output
    assert f"exported 3 rows to {path} (parquet)" in " ".join(result.output.split())
    assert pq.read_table(path).num_rows == 3
    (entry,) = export_entries(store)
    assert entry["username"] == "alice"


def test_the_command_rejects_an_unknown_format(database_url, tmp_path):
    path = tmp_path / "x.xlsx"
    result = CliRunner().invoke(cli(), ["--database", database_url, "--format", "xlsx", "--out", str(path)])
    assert result.exit_code == 2
    assert not path.exists()
