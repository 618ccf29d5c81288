"""The Dataset-JSON 1.1 export: SDTM-shaped domains of a small study built through the store, read back
and validated by dsjframe, round-tripped to Parquet, and written all or nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import dsjframe
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.store.helpers import NCT, World, attestations_of, example

from remission.demo import load_synthetic, synthetic_cohort
from remission.demo.consent import register_consent_versions
from remission.interop.dataset_json_export import DEFINE_FILE, DOMAINS, export_dataset_json
from remission.store import (
    Actor,
    AdverseEvent,
    AnthracyclineDose,
    MRDMeasurement,
    Refused,
    Store,
    dose_lines,
    events,
    set_missing_code,
)
from remission.store.enrollment import enroll_patient
from remission.store.vocabulary import Role

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STATISTICIAN = Actor(username="stat", study_roles=frozenset({Role.STATISTICIAN}))
DOSES = (("doxorubicin", 30.0, date(2025, 1, 10)), ("daunorubicin", 25.0, date(2025, 1, 17)))


def build(world: World) -> dict[str, int]:
    """INF-01 at SEV, enrolled, with two anthracycline doses, an AE, an MRD result and a coded
    prednisone response; INF-02 at SNU, registered only."""
    record = example("INF-01")
    record.pop("prednisone_response", None)
    sev = world.register("INF-01", "SEV", record=record)
    unknown_ph = example("INF-02")
    del unknown_ph["genetics"]["ph_status"]
    snu = world.register("INF-02", "SNU", record=unknown_ph)
    investigator = world.actor(Role.INVESTIGATOR, "SEV")
    coordinator = world.actor(Role.COORDINATOR, "SEV")
    with world.session(investigator) as session:
        enroll_patient(
            session,
            patient_id=sev,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )
    with world.session(coordinator) as session:
        for drug, dose, given in DOSES:
            values = {
                "drug": drug,
                "dose_mg_per_m2": dose,
                "date": given,
                "dexrazoxane": drug == "doxorubicin",
            }
            events.create_row(session, model=AnthracyclineDose, patient_id=sev, values=values)
        ae = {
            "term": "Febrile neutropenia",
            "grade": 3,
            "onset_date": date(2025, 1, 20),
            "serious": True,
            "attribution": "possible",
        }
        events.create_row(session, model=AdverseEvent, patient_id=sev, values=ae)
        mrd = {
            "time_point": "end of induction",
            "method": "flow cytometry",
            "sample_date": date(2025, 2, 7),
            "value_fraction": 0.0003,
            "sensitivity_fraction": 0.0001,
        }
        events.create_row(session, model=MRDMeasurement, patient_id=sev, values=mrd)
        set_missing_code(
            session,
            patient_id=sev,
            form="baseline",
            field="prednisone_response",
            code="not done",
            note="no smear",
        )
    with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
        set_missing_code(session, patient_id=snu, form="baseline", field="genetics.ph_status", code="unknown")
    return {"SEV": sev, "SNU": snu}


def export(world: World, folder: Path, **options: Any) -> Path:
    out = folder / "sdtm"
    export_dataset_json(world.store, actor=STATISTICIAN, out=out, **options)
    return out


def rows(path: Path) -> list[dict[str, Any]]:
    """A dataset's rows as dictionaries, read by dsjframe."""
    table = dsjframe.read_dataset(path)
    return table.to_pylist()


@ON_SQLITE
class TestDomains:
    @pytest.fixture
    def ids(self, world: World) -> dict[str, int]:
        return build(world)

    @pytest.fixture
    def out(self, world: World, ids: dict[str, int], tmp_path: Path) -> Path:
        return export(world, tmp_path)

    def test_every_file_is_read_and_validated_by_dsjframe(self, out: Path) -> None:
        """Each domain's file passes dsjframe's metadata and data validation, records counted right."""
        for domain in DOMAINS:
            path = out / f"{domain.name.lower()}.json"
            report = dsjframe.validate_dataset(path)
            assert report["ok"], (domain.name, report)
            document = json.loads(path.read_text("utf-8"))
            assert document["datasetJSONVersion"] == "1.1.0"
            assert document["records"] == len(document["rows"]) == dsjframe.read_dataset(path).num_rows
            assert [c["name"] for c in document["columns"]] == list(domain.names)
        define = json.loads((out / DEFINE_FILE).read_text("utf-8"))
        assert [group["name"] for group in define["itemGroups"]] == [d.name for d in DOMAINS]

    def test_dm_has_one_row_per_patient_with_arm_sex_and_age_in_days(self, out: Path) -> None:
        """DM: USUBJID is study + study id; SEX from CT; AGE in DAYS; an unenrolled child NOT ASSIGNED."""
        by_id = {row["SUBJID"]: row for row in rows(out / "dm.json")}
        enrolled, registered = by_id["INF-01"], by_id["INF-02"]
        assert enrolled["USUBJID"] == f"{NCT}-INF-01"
        assert enrolled["SEX"] == "F"
        assert enrolled["AGEU"] == "DAYS"
        assert enrolled["AGE"] > 0
        assert enrolled["BRTHDTC"] is None  # a statistician does not see the date of birth
        assert registered["ARMNRS"] == "NOT ASSIGNED"
        assert registered["ARM"] is None

    def test_suppex_dose_equals_the_stores_doxorubicin_equivalent(
        self, world: World, ids: dict[str, int], out: Path
    ) -> None:
        """SUPPEX.DOXEQDOS of each EX row equals dose_lines' doxorubicin equivalent of that dose."""
        exposures = rows(out / "ex.json")
        supp = [row for row in rows(out / "suppex.json") if row["QNAM"] == "DOXEQDOS"]
        with world.session(world.system) as session:
            lines = dose_lines(session, patient_id=ids["SEV"])
            expected = {
                (line.row.drug, line.row.date.isoformat()): line.doxorubicin_equivalent_mg_per_m2
                for line in lines
            }
        by_seq = {str(row["EXSEQ"]): row for row in exposures}
        assert len(supp) == len(exposures) == len(DOSES)
        for row in supp:
            exposure = by_seq[row["IDVARVAL"]]
            assert exposure["EXDOSU"] == "mg/m2"
            assert float(row["QVAL"]) == expected[(exposure["EXTRT"], exposure["EXSTDTC"])]

    def test_a_coded_prednisone_response_is_not_done_with_the_code_as_reason(self, out: Path) -> None:
        """A missing-data code gives an empty RSORRES, RSSTAT NOT DONE and the code in RSREASND."""
        (row,) = [
            r
            for r in rows(out / "rs.json")
            if r["RSTESTCD"] == "PREDRESP" and r["USUBJID"].endswith("INF-01")
        ]
        assert row["RSORRES"] is None
        assert row["RSSTAT"] == "NOT DONE"
        assert row["RSREASND"] == "not done: no smear"

    def test_genetics_are_in_gf_and_a_coded_finding_is_not_done(self, out: Path) -> None:
        """GF holds each recorded genetics field verbatim; a coded one is empty and NOT DONE."""
        found = {(r["USUBJID"][-6:], r["GFTEST"]): r for r in rows(out / "gf.json")}
        assert found[("INF-02", "kmt2a.partner")]["GFORRES"] == "AFF1"
        assert found[("INF-02", "fusions")]["GFORRES"] == "KMT2A::AFF1"
        coded = found[("INF-02", "ph_status")]
        assert (coded["GFORRES"], coded["GFSTAT"], coded["GFREASND"]) == (None, "NOT DONE", "unknown")

    def test_mrd_is_in_lb_with_its_study_day(self, out: Path) -> None:
        """LB holds the MRD fraction (numeric and text), method, time point and LBDY from RFSTDTC."""
        (dm,) = [r for r in rows(out / "dm.json") if r["SUBJID"] == "INF-01"]
        (row,) = rows(out / "lb.json")
        assert (row["LBTESTCD"], row["LBSTRESN"], row["LBORRES"]) == ("MRD", 0.0003, "0.0003")
        assert row["LBLLOQ"] == 0.0001
        assert row["LBMETHOD"] == "flow cytometry"
        day = (date(2025, 2, 7) - date.fromisoformat(dm["RFSTDTC"])).days + 1
        assert row["LBDY"] == day

    def test_ae_keeps_grade_and_ctcae_version(self, out: Path) -> None:
        """AE: term, grade, serious Y; SUPPAE.AETOXVER names the CTCAE version."""
        (ae,) = rows(out / "ae.json")
        assert (ae["AETERM"], ae["AETOXGR"], ae["AESER"], ae["AEDECOD"]) == (
            "Febrile neutropenia",
            "3",
            "Y",
            None,
        )
        (supp,) = rows(out / "suppae.json")
        assert (supp["QNAM"], supp["QVAL"], supp["IDVARVAL"]) == ("AETOXVER", "CTCAE v5.0", str(ae["AESEQ"]))

    def test_parquet_round_trip_keeps_values_and_types(self, out: Path, tmp_path: Path) -> None:
        """Dataset-JSON → Arrow (dsjframe) → Parquet → Arrow gives the same values and types."""
        for domain in DOMAINS:
            table = dsjframe.read_dataset(out / f"{domain.name.lower()}.json")
            parquet = tmp_path / f"{domain.name}.parquet"
            pq.write_table(table, parquet)
            back = pq.read_table(parquet)
            assert back.schema.remove_metadata().equals(table.schema.remove_metadata()), domain.name
            assert back.to_pylist() == table.to_pylist(), domain.name
        dm = pq.read_table(tmp_path / "DM.parquet")
        assert dm.schema.field("AGE").type == pa.int64()


@ON_SQLITE
class TestScopeAndSafety:
    def test_a_site_export_holds_only_that_sites_patients(self, world: World, tmp_path: Path) -> None:
        """--site SNU (or a SNU coordinator) gives SNU's patient only, in every domain."""
        build(world)
        out = export(world, tmp_path, site_code="SNU")
        assert [row["SUBJID"] for row in rows(out / "dm.json")] == ["INF-02"]
        for domain in DOMAINS:
            assert all("INF-01" not in str(row) for row in rows(out / f"{domain.name.lower()}.json"))
        coordinator = world.actor(Role.COORDINATOR, "SNU")
        mine = tmp_path / "mine"
        export_dataset_json(world.store, actor=coordinator, out=mine)
        assert [row["SUBJID"] for row in rows(mine / "dm.json")] == ["INF-02"]

    def test_an_existing_directory_is_refused_and_kept(self, world: World, tmp_path: Path) -> None:
        """Without overwrite an existing directory is refused, untouched and nothing else is left."""
        build(world)
        folder = tmp_path / "exports"
        folder.mkdir()
        out = folder / "sdtm"
        out.mkdir()
        (out / "keep.txt").write_text("mine")
        with pytest.raises(Refused):
            export_dataset_json(world.store, actor=STATISTICIAN, out=out)
        assert [p.name for p in folder.iterdir()] == ["sdtm"]
        assert [p.name for p in out.iterdir()] == ["keep.txt"]
        export_dataset_json(world.store, actor=STATISTICIAN, out=out, overwrite=True)
        assert (out / "dm.json").exists()
        assert not (out / "keep.txt").exists()

    def test_a_failure_midway_leaves_nothing_and_no_audit_entry(self, world: World, tmp_path: Path) -> None:
        """An export interrupted after the first patient leaves no directory, scratch file or entry."""
        build(world)
        folder = tmp_path / "exports"
        folder.mkdir()
        before = world.audit_count()

        def interrupted(done: int, total: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            export_dataset_json(world.store, actor=STATISTICIAN, out=folder / "sdtm", progress=interrupted)
        assert list(folder.iterdir()) == []
        assert world.audit_count() == before

    def test_progress_counts_every_patient(self, world: World, tmp_path: Path) -> None:
        """The progress callback hears (1, 2) then (2, 2)."""
        build(world)
        heard: list[tuple[int, int]] = []
        export_dataset_json(
            world.store, actor=STATISTICIAN, out=tmp_path / "x", progress=lambda d, t: heard.append((d, t))
        )
        assert heard == [(1, 2), (2, 2)]


@ON_SQLITE
def test_the_synthetic_demo_cohort_exports_and_validates(store: Store, tmp_path: Path) -> None:
    """24 children of the demo's synthetic cohort (loaded as `remission demo` loads them): every file
    validates, DM has one row per child and the risk groups are in RS."""
    register_consent_versions(store, Actor.for_system("test"))
    load_synthetic(store, synthetic_cohort(size=24, seed=3))
    out = tmp_path / "demo-sdtm"
    summary = export_dataset_json(store, actor=STATISTICIAN, out=out)
    assert summary.patients == 24
    assert summary.files == len(DOMAINS) + 1
    for domain in DOMAINS:
        report = dsjframe.validate_dataset(out / f"{domain.name.lower()}.json")
        assert report["ok"], (domain.name, report)
    assert len(rows(out / "dm.json")) == 24
    groups = {row["RSORRES"] for row in rows(out / "rs.json") if row["RSTESTCD"] == "RISKGRP"}
    assert groups & {"LR", "IR", "HR"}
