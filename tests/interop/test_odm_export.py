"""The CDISC ODM 1.3.2 export: schema-valid, every form and value once, codes never as values,
audit records and signatures carried, site-isolated and streamed one patient at a time."""

from __future__ import annotations

import importlib.resources
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import xmlschema
from tests.documents.casebook_world import CODE_NOTE, EDIT_REASON, STUDY_ID, build
from tests.store.conftest import world
from tests.store.helpers import PASSWORD, World
from tests.support.cli import run_cli

from remission.interop.odm_clinical import odm_value
from remission.interop.odm_export import export_odm
from remission.interop.odm_metadata import MISSING_CODE_LIST, study_metadata
from remission.store import (
    COURSE_KINDS,
    Actor,
    Casebook,
    Delivery,
    Refused,
    SignatureMeaning,
    SignedUnit,
    Store,
    StudyCasebooks,
    UnitRef,
    read_casebook,
    sign_units,
)
from remission.store.vocabulary import Role

__all__ = ["world"]

REPO = Path(__file__).resolve().parents[2]
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


@cache
def odm_schema() -> xmlschema.XMLSchema:
    """The ODM 1.3.2 schema as odmlib ships it (with the foundation, xmldsig and xml schemas)."""
    return xmlschema.XMLSchema(str(importlib.resources.files("odmlib") / "schemas/odm/1.3.2/ODM1-3-2.xsd"))


def assert_valid(path: Path) -> None:
    errors = [str(error) for error in odm_schema().iter_errors(str(path))]
    assert errors == [], errors[:3]


def q(path: str) -> str:
    return "/".join(f"odm:{part}" if part and part[0].isupper() else part for part in path.split("/"))


@pytest.fixture
def scenario(world: World) -> World:
    """The casebook PDF's scenario (SAE signed, then changed with a reason; a baseline code), the
    SAE signed again after the change, and a second patient at the other site."""
    built = build(world)
    investigator = world.actor(Role.INVESTIGATOR, "SNU")
    with world.session(investigator) as session:
        sign_units(
            session,
            units=[UnitRef(built.patient_id, SignedUnit.SERIOUS_ADVERSE_EVENT, built.sae_id)],
            meaning=SignatureMeaning.REVIEW,
            username=investigator.username,
            password=PASSWORD,
        )
    world.register("INF-01", "SEV")
    return world


def export(world: World, tmp_path: Path, role: Role | None = None, site: str | None = None) -> ET.Element:
    actor = world.system if role is None else world.actor(role, site)
    out = tmp_path / "study.xml"
    export_odm(world.store, actor=actor, out=out, overwrite=True)
    assert_valid(out)
    return ET.parse(out).getroot()


def casebook_of(world: World, study_id: str) -> Casebook:
    return read_casebook(
        world.store, actor=world.system, deliver=lambda _: Delivery("test"), study_id=study_id
    )


def subject(root: ET.Element, study_id: str) -> ET.Element:
    (found,) = [
        s for s in root.iterfind(q("ClinicalData/SubjectData"), NS) if s.get("SubjectKey") == study_id
    ]
    return found


class TestFile:
    def test_the_file_is_valid_odm_132_with_its_header(self, scenario: World, tmp_path: Path) -> None:
        """FileType Snapshot, Granularity All, ODMVersion 1.3.2, a UTC creation time; valid per the XSD."""
        root = export(scenario, tmp_path)
        assert root.get("FileType") == "Snapshot"
        assert root.get("Granularity") == "All"
        assert root.get("ODMVersion") == "1.3.2"
        assert root.get("CreationDateTime", "").endswith("+00:00")
        assert root.get("FileOID", "").startswith("F.remission.")

    def test_the_metadata_has_every_course_form_and_column(self, scenario: World, tmp_path: Path) -> None:
        """Each course kind is a FormDef; each of its create schema's fields is an ItemDef of its group."""
        root = export(scenario, tmp_path)
        mdv = root.find(q("Study/MetaDataVersion"), NS)
        assert mdv is not None
        forms = {f.get("OID") for f in mdv.iterfind(q("FormDef"), NS)}
        items = {i.get("OID") for i in mdv.iterfind(q("ItemDef"), NS)}
        for kind in COURSE_KINDS:
            assert f"F.{kind.segment}" in forms
            for name in kind.create.model_fields:
                assert f"IT.{kind.segment}.{name}" in items
        code_lists = {c.get("OID"): c for c in mdv.iterfind(q("CodeList"), NS)}
        missing = [e.get("CodedValue") for e in code_lists[MISSING_CODE_LIST]]
        assert "not done" in missing
        mrd_method = mdv.find(q("ItemDef[@OID='IT.mrd.method']/CodeListRef"), NS)
        assert mrd_method is not None
        assert mrd_method.get("CodeListOID") == "CL.MRDMethod"

    def test_an_existing_file_is_refused_without_overwrite(self, scenario: World, tmp_path: Path) -> None:
        out = tmp_path / "study.xml"
        out.write_text("keep")
        with pytest.raises(Refused) as refused:
            export_odm(scenario.store, actor=scenario.system, out=out)
        assert refused.value.field == "path"
        assert out.read_text() == "keep"

    def test_an_unknown_site_is_refused_and_nothing_written(self, scenario: World, tmp_path: Path) -> None:
        with pytest.raises(Refused) as refused:
            export_odm(scenario.store, actor=scenario.system, out=tmp_path / "study.xml", site_code="XXX")
        assert refused.value.field == "site_code"
        assert [p.name for p in tmp_path.iterdir() if "study.xml" in p.name] == []


class TestValues:
    def test_every_stored_value_appears_once_with_its_oids(self, scenario: World, tmp_path: Path) -> None:
        """Each course row's recorded values are ItemData of FormOID F.<kind>, repeat key the row id."""
        root = export(scenario, tmp_path)
        casebook = casebook_of(scenario, STUDY_ID)
        sub = subject(root, STUDY_ID)
        metadata = study_metadata()
        expected = 0
        for form in casebook.forms:
            described = metadata.form(form.form)
            assert described is not None
            if not described.repeating:
                continue
            (form_data,) = [
                f
                for f in sub.iterfind(q("StudyEventData/FormData"), NS)
                if f.get("FormOID") == described.oid and f.get("FormRepeatKey") == str(form.row_id)
            ]
            for field in form.fields:
                if field.value is None:
                    continue
                expected += 1
                found = [
                    i
                    for i in form_data.iterfind(q("ItemGroupData/ItemData"), NS)
                    if i.get("ItemOID") == f"IT.{form.form}.{field.name}"
                ]
                assert [i.get("Value") for i in found] == [odm_value(field.value)]
        assert expected > 5

    def test_a_missing_data_code_is_a_flag_on_a_null_item_never_a_value(
        self, scenario: World, tmp_path: Path
    ) -> None:
        root = export(scenario, tmp_path)
        sub = subject(root, STUDY_ID)
        (item,) = [
            i
            for i in sub.iter(f"{{{NS['odm']}}}ItemData")
            if i.get("ItemOID") == "IT.baseline.prednisone_response"
        ]
        assert item.get("IsNull") == "Yes"
        assert item.get("Value") is None
        flag = item.find(q("Annotation/Flag/FlagValue"), NS)
        assert flag is not None
        assert flag.text == "not done"
        assert flag.get("CodeListOID") == MISSING_CODE_LIST
        comment = item.find(q("Annotation/Comment"), NS)
        assert comment is not None
        assert CODE_NOTE in (comment.text or "")
        values = {i.get("Value") for i in root.iter(f"{{{NS['odm']}}}ItemData")}
        assert "not done" not in values


class TestAuditAndSignatures:
    def test_an_edit_carries_who_when_reason_and_old_value(self, scenario: World, tmp_path: Path) -> None:
        root = export(scenario, tmp_path)
        sub = subject(root, STUDY_ID)
        (item,) = [
            i
            for i in sub.iter(f"{{{NS['odm']}}}ItemData")
            if i.get("ItemOID") == "IT.adverse-events.resolution_date"
        ]
        assert item.get("Value") == date(2025, 4, 20).isoformat()
        record = item.find(q("AuditRecord"), NS)
        assert record is not None
        user = record.find(q("UserRef"), NS)
        assert user is not None
        assert user.get("UserOID") == "USR.coordinator-snu"
        assert (record.findtext(q("ReasonForChange"), namespaces=NS) or "") == EDIT_REASON
        assert record.findtext(q("DateTimeStamp"), namespaces=NS)
        source = json.loads(record.findtext(q("SourceID"), namespaces=NS) or "{}")
        assert source["field"] == "resolution_date"
        assert source["old_value"] is None
        assert "2025-04-20" in source["new_value"]
        # The whole trail is in the patient's AuditRecords, the users in AdminData.
        trail = root.findall(q("ClinicalData/AuditRecords/AuditRecord"), NS)
        assert any(r.findtext(q("ReasonForChange"), namespaces=NS) == EDIT_REASON for r in trail)
        users = {u.get("OID") for u in root.iterfind(q("AdminData/User"), NS)}
        assert "USR.coordinator-snu" in users

    def test_a_valid_signature_refers_to_its_signature_def(self, scenario: World, tmp_path: Path) -> None:
        root = export(scenario, tmp_path)
        sub = subject(root, STUDY_ID)
        (form,) = [
            f
            for f in sub.iterfind(q("StudyEventData/FormData"), NS)
            if f.get("FormOID") == "F.adverse-events"
        ]
        signature = form.find(q("Signature"), NS)
        assert signature is not None
        ref = signature.find(q("SignatureRef"), NS)
        assert ref is not None
        assert ref.get("SignatureOID") == "SD.review"
        defs = {d.get("OID"): d for d in root.iterfind(q("AdminData/SignatureDef"), NS)}
        assert defs["SD.review"].findtext(q("Meaning"), namespaces=NS) == "review"
        signer = signature.find(q("UserRef"), NS)
        assert signer is not None
        (user,) = [u for u in root.iterfind(q("AdminData/User"), NS) if u.get("OID") == signer.get("UserOID")]
        assert user.findtext(q("FullName"), namespaces=NS) == "김민준 Kim Min-jun"


class TestScope:
    def test_a_site_coordinators_export_holds_only_their_site(self, scenario: World, tmp_path: Path) -> None:
        """A coordinator of SEV exports INF-01 only, without the audit trail they may not read."""
        root = export(scenario, tmp_path, Role.COORDINATOR, "SEV")
        keys = [s.get("SubjectKey") for s in root.iterfind(q("ClinicalData/SubjectData"), NS)]
        assert keys == ["INF-01"]
        assert [loc.get("OID") for loc in root.iterfind(q("AdminData/Location"), NS)] == ["LOC.SEV"]
        assert root.find(q("ClinicalData/AuditRecords"), NS) is None

    def test_the_writer_holds_one_casebook_at_a_time(
        self, scenario: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each casebook is written before the next is read: the stream is consumed lazily."""
        events: list[str] = []
        real_iter = StudyCasebooks.__iter__

        def tracing(self: StudyCasebooks) -> Iterator[Casebook]:
            for casebook in real_iter(self):
                events.append(f"read {casebook.study_id}")
                yield casebook

        from remission.interop import odm_clinical

        real_write = odm_clinical.ClinicalWriter.write

        def write(self: odm_clinical.ClinicalWriter, casebook: Casebook) -> None:
            real_write(self, casebook)
            events.append(f"wrote {casebook.study_id}")

        monkeypatch.setattr(StudyCasebooks, "__iter__", tracing)
        monkeypatch.setattr(odm_clinical.ClinicalWriter, "write", write)
        export(scenario, tmp_path)
        assert events == ["read INF-02", "wrote INF-02", "read INF-01", "wrote INF-01"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database loaded by ``remission demo``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    result = run_cli("demo", "--database", url, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return url


class TestDemo:
    def test_the_demo_study_exports_and_validates(self, demo: str, tmp_path: Path) -> None:
        """Every demo patient (read as a statistician: no audit trail) is in a schema-valid file."""
        store = Store.open(demo, migrated=True)
        try:
            actor = Actor(username="statistician", study_roles=frozenset({Role.STATISTICIAN}))
            out = tmp_path / "study.xml"
            seen: list[tuple[int, int]] = []
            summary = export_odm(
                store, actor=actor, out=out, progress=lambda done, total: seen.append((done, total))
            )
        finally:
            store.engine.dispose()
        assert_valid(out)
        root = ET.parse(out).getroot()
        assert len(root.findall(q("ClinicalData/SubjectData"), NS)) == summary.patients > 200
        assert seen[-1] == (summary.patients, summary.patients)


class TestCommand:
    def test_export_format_odm_writes_the_file_and_refuses_to_overwrite(self, tmp_path: Path) -> None:
        """``remission export --format odm --out study.xml`` writes a valid file; again without
        ``--overwrite`` it exits 2 naming --out and leaves the file as it was."""
        url = f"sqlite:///{tmp_path / 'study.sqlite'}"
        assert run_cli("db", "upgrade", "--database", url, cwd=REPO).returncode == 0
        out = tmp_path / "study.xml"
        result = run_cli("export", "--format", "odm", "--out", str(out), "--database", url, cwd=REPO)
        assert result.returncode == 0, result.stderr
        assert "(odm, 1 files)" in result.stdout
        assert_valid(out)
        before = out.read_bytes()
        again = run_cli("export", "--format", "odm", "--out", str(out), "--database", url, cwd=REPO)
        assert again.returncode == 2
        assert "--out" in again.stderr
        assert "--overwrite" in again.stderr
        assert out.read_bytes() == before

    def test_an_unknown_site_exits_2_naming_the_option(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'study.sqlite'}"
        assert run_cli("db", "upgrade", "--database", url, cwd=REPO).returncode == 0
        out = tmp_path / "study.xml"
        result = run_cli(
            "export", "--format", "odm", "--out", str(out), "--database", url, "--site", "NOPE", cwd=REPO
        )
        assert result.returncode == 2
        assert "--site" in result.stderr
        assert not out.exists()
