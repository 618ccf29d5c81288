"""Missing-data codes in the store: one per item, a value or a code never both, site-isolated,
audited, read by every decision as unknown and by the calendar as *not done*."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.store.helpers import AE, NCT, TODAY, World, attestations_of, example

from remission.errors import InputError
from remission.protocols import PENDING, Verdict, load_protocol, screen_patient, stratify_patient
from remission.record.vocabulary import MissingCode
from remission.store import events, patients, read_calendar, site_worklist
from remission.store.actor import AccessDenied
from remission.store.enrollment import enroll_patient
from remission.store.errors import Conflict, NotFound
from remission.store.missing_data import clear_missing_code, list_missing_codes, set_missing_code
from remission.store.missing_data_models import MissingDataCode
from remission.store.models import AdverseEvent, MRDMeasurement, TreatmentPhaseRecord
from remission.store.patient_chart import read_record
from remission.store.vocabulary import Role


def _without_kmt2a_status() -> dict[str, Any]:
    record = example("INF-01")
    del record["genetics"]["kmt2a"]["status"]
    record.pop("wbc_at_diagnosis_1e9_per_l", None)
    return record


def _code(
    world: World, patient_id: int, role: Role = Role.COORDINATOR, site: str | None = "SEV", **item: Any
):
    with world.session(world.actor(role, site)) as session:
        return set_missing_code(session, patient_id=patient_id, **item).to_dict()


def _item(calendars: list[Any], assessment: str, occurrence: str = "") -> Any:
    (calendar,) = calendars
    (found,) = [i for i in calendar.items if (i.assessment, i.occurrence) == (assessment, occurrence)]
    return found


class TestRecording:
    def test_a_code_on_an_empty_baseline_field_is_stamped_and_audited(self, world: World):
        """A coordinator codes an empty field; the row says who and when, the trail has its creation."""
        patient = world.register("MD-01", "SEV", record=_without_kmt2a_status())
        stored = _code(
            world, patient, form="baseline", field="genetics.kmt2a.status", code="unknown", note="lab lost it"
        )
        assert (stored["item"], stored["code"], stored["note"]) == (
            "baseline:genetics.kmt2a.status",
            "unknown",
            "lab lost it",
        )
        assert (stored["recorded_by"], stored["version"]) == ("coordinator-sev", 1)
        assert world.audit_rows(entity="missing_data_codes", field="code")[0]["new_value"] == '"unknown"'

    def test_a_field_holding_a_value_is_refused_naming_it(self, world: World):
        """Coding WBC while it holds a value is a Conflict that names the field and says to clear it."""
        patient = world.register("MD-02", "SEV")
        with pytest.raises(Conflict) as refused:
            _code(world, patient, form="baseline", field="genetics.kmt2a.status", code="not done")
        assert refused.value.field == "genetics.kmt2a.status"
        assert "clear the value first" in refused.value.problem

    @pytest.mark.parametrize(
        ("item", "field", "words"),
        [
            ({"form": "baseline", "field": "wbc"}, "field", "'wbc' is not a baseline field"),
            (
                {"form": "baseline", "field": "genetics.kmt2a.stat"},
                "field",
                "genetics.kmt2a has no field 'stat'",
            ),
            ({"form": "labs", "field": "x"}, "form", "'labs' is not one of"),
            ({"form": "adverse-events", "row_id": 0, "field": "grade"}, "field", "required"),
            ({"form": "adverse-events", "row_id": 0, "field": "colour"}, "field", "no field 'colour'"),
            ({"form": "baseline", "field": "cns_status", "code": "maybe"}, "code", "not one of"),
        ],
    )
    def test_an_item_that_does_not_exist_is_refused_naming_the_field(
        self, world: World, item: dict[str, Any], field: str, words: str
    ):
        """A wrong form, record path, column or code is an InputError on that field; nothing is stored."""
        patient = world.register("MD-03", "SEV", record=_without_kmt2a_status())
        with world.session(world.system) as session:
            row = events.create_row(session, model=AdverseEvent, patient_id=patient, values=dict(AE))
        if item.get("row_id") == 0:
            item = {**item, "row_id": row.id}
        with pytest.raises(InputError) as refused:
            _code(world, patient, **({"code": "unknown"} | item))
        (problem,) = refused.value.problems
        assert problem.field == field
        assert words in problem.problem
        with world.session(world.system) as session:
            assert list_missing_codes(session, patient_id=patient) == []

    def test_one_code_per_item(self, world: World):
        """A second code on a coded item is a Conflict; clearing the first lets the second in."""
        patient = world.register("MD-04", "SEV", record=_without_kmt2a_status())
        first = _code(world, patient, form="baseline", field="wbc_at_diagnosis_1e9_per_l", code="not done")
        with pytest.raises(Conflict, match="already carries the code 'not done'"):
            _code(world, patient, form="baseline", field="wbc_at_diagnosis_1e9_per_l", code="unknown")
        with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="wrong code") as session:
            clear_missing_code(session, code_id=first["id"], version=first["version"], patient_id=patient)
        assert _code(world, patient, form="baseline", field="wbc_at_diagnosis_1e9_per_l", code="unknown")

    def test_roles_and_sites_decide_who_records_and_reads(self, world: World):
        """A monitor may not record; another site's coordinator finds neither the patient nor the code."""
        patient = world.register("MD-05", "SEV", record=_without_kmt2a_status())
        with pytest.raises(AccessDenied):
            _code(
                world,
                patient,
                Role.MONITOR,
                None,
                form="baseline",
                field="refractory_disease",
                code="not asked",
            )
        stored = _code(
            world,
            patient,
            Role.DATA_MANAGER,
            None,
            form="baseline",
            field="refractory_disease",
            code="not asked",
        )
        other = world.actor(Role.COORDINATOR, "SNU")
        with world.session(other) as session, pytest.raises(NotFound):
            list_missing_codes(session, patient_id=patient)
        with world.session(other, reason="x") as session, pytest.raises(NotFound):
            clear_missing_code(session, code_id=stored["id"], version=1)


class TestValueOrCode:
    def test_a_value_written_to_a_coded_baseline_field_removes_the_code(self, world: World):
        """update_patient with a WBC deletes its code in the same transaction, audited with the reason."""
        patient = world.register("MD-06", "SEV", record=_without_kmt2a_status())
        _code(world, patient, form="baseline", field="wbc_at_diagnosis_1e9_per_l", code="not done")
        _code(world, patient, form="baseline", field="genetics.kmt2a.status", code="unknown")
        coordinator = world.actor(Role.COORDINATOR, "SEV")
        with world.session(coordinator, reason="count found") as session:
            version = patients.get_patient(session, patient_id=patient).version
            patients.update_patient(
                session,
                patient_id=patient,
                version=version,
                changes={"baseline": {"wbc_at_diagnosis_1e9_per_l": 320.0}},
                today=TODAY,
            )
        with world.session(coordinator) as session:
            assert [c.field for c in list_missing_codes(session, patient_id=patient)] == [
                "genetics.kmt2a.status"
            ]
        deleted = world.audit_rows(entity="missing_data_codes", action="delete", field="item")
        assert [(row["old_value"], row["reason"]) for row in deleted] == [
            ('"baseline:wbc_at_diagnosis_1e9_per_l"', "count found")
        ]

    def test_a_course_row_value_or_deletion_removes_its_codes(self, world: World):
        """A resolution date written to a coded AE removes its code; deleting an MRD row removes its codes."""
        patient = world.register("MD-07", "SEV", record=_without_kmt2a_status())
        record = example("INF-01")["mrd"][0]
        with world.session(world.system) as session:
            ae = events.create_row(session, model=AdverseEvent, patient_id=patient, values=dict(AE)).id
            mrd_values = {**record, "sample_date": date.fromisoformat(record["sample_date"])}
            mrd_values["sensitivity_fraction"] = None
            mrd = events.create_row(session, model=MRDMeasurement, patient_id=patient, values=mrd_values).id
        _code(world, patient, form="adverse-events", row_id=ae, field="resolution_date", code="unknown")
        _code(world, patient, form="mrd", row_id=mrd, field="sensitivity_fraction", code="not asked")
        coordinator = world.actor(Role.COORDINATOR, "SEV")
        with world.session(coordinator, reason="resolved") as session:
            events.update_row(
                session,
                model=AdverseEvent,
                patient_id=patient,
                row_id=ae,
                version=1,
                values={"resolution_date": date(2025, 2, 1)},
            )
        with world.session(coordinator) as session:
            assert [c.form for c in list_missing_codes(session, patient_id=patient)] == ["mrd"]
        with world.session(coordinator, reason="entered in error") as session:
            events.delete_row(session, model=MRDMeasurement, patient_id=patient, row_id=mrd, version=1)
        with world.session(coordinator) as session:
            assert list_missing_codes(session, patient_id=patient) == []


class TestDecisions:
    def test_a_coded_kmt2a_status_leaves_stratification_pending(self, world: World):
        """The record read for decisions has no KMT2A status: the risk group waits for it, never a guess."""
        patient = world.register("MD-08", "SEV", record=_without_kmt2a_status())
        _code(world, patient, form="baseline", field="genetics.kmt2a.status", code="not done")
        with world.session(world.system) as session:
            record = read_record(session, patient_id=patient)
        assert record.genetics is not None
        assert record.genetics.kmt2a is not None
        assert record.genetics.kmt2a.status is None
        result = stratify_patient(record, load_protocol(NCT), as_of=TODAY)
        assert result.risk_group == PENDING
        assert "genetics.kmt2a.status" in result.missing

    def test_a_code_beside_a_value_still_reads_as_unknown(self, world: World):
        """Should a value and a code ever both be stored (a race the rule cannot see), the record
        read for decisions leaves the field out: the code wins, never a guess."""
        patient = world.register("MD-12", "SEV")
        with world.session(world.system) as session:
            site = patients.get_patient(session, patient_id=patient).site_id
            session.add(  # beside set_missing_code's check, as a concurrent writer could
                MissingDataCode(
                    patient_id=patient,
                    site_id=site,
                    item="baseline:genetics.kmt2a.status",
                    form="baseline",
                    field="genetics.kmt2a.status",
                    code=MissingCode.UNKNOWN,
                    recorded_by="race",
                )
            )
        with world.session(world.system) as session:
            record = read_record(session, patient_id=patient)
        assert record.genetics is not None
        assert record.genetics.kmt2a is not None
        assert (record.genetics.kmt2a.status, record.genetics.kmt2a.method) == (None, "FISH")
        assert stratify_patient(record, load_protocol(NCT), as_of=TODAY).risk_group == PENDING

    def test_a_coded_wbc_leaves_interfant_high_risk_undecided(self, world: World):
        """Interfant-06 reads the WBC: coded *not done* it is missing, and the group is not decided on it."""
        record = _without_kmt2a_status()
        record["genetics"]["kmt2a"]["status"] = "rearranged"
        record["patient"]["date_of_birth"] = "2024-08-15"  # under 6 months at diagnosis: WBC decides HR
        patient = world.register("MD-09", "SEV", record=record)
        _code(world, patient, form="baseline", field="wbc_at_diagnosis_1e9_per_l", code="not done")
        with world.session(world.system) as session:
            stored = read_record(session, patient_id=patient)
        assert stored.wbc_at_diagnosis_1e9_per_l is None
        result = stratify_patient(stored, load_protocol("INTERFANT-06"), as_of=TODAY)
        assert "wbc_at_diagnosis_1e9_per_l" in result.missing
        assert result.risk_group not in ("HR", "MR")

    def test_a_coded_diagnosis_leaves_screening_in_review(self, world: World):
        """A WHO type coded *unknown* makes eligibility *needs review* naming it, not eligible."""
        record = example("INF-01")
        del record["diagnosis"]["who_type"]
        patient = world.register("MD-10", "SEV", record=record)
        _code(world, patient, form="baseline", field="diagnosis.who_type", code="unknown")
        with world.session(world.system) as session:
            stored = read_record(session, patient_id=patient)
        result = screen_patient(stored, load_protocol(NCT), as_of=TODAY)
        assert result.verdict is Verdict.NEEDS_REVIEW
        assert "diagnosis.who_type" in result.missing


class TestCalendar:
    def test_an_assessment_coded_not_done_leaves_the_worklist(self, world: World):
        """An enrolled child's overdue MRD coded *not done* shows *not done* and leaves the worklist."""
        record = example("INF-01")
        patient = world.register("MD-11", "SEV", record=record)
        with world.session(world.actor(Role.INVESTIGATOR, "SEV")) as session:
            enroll_patient(
                session,
                patient_id=patient,
                protocol_id=NCT,
                enrolled_on=date.fromisoformat(record["study_entry_date"]),
                attestations=attestations_of(record),
            )
            events.create_row(
                session,
                model=TreatmentPhaseRecord,
                patient_id=patient,
                values={
                    "phase_id": "induction",
                    "actual_start": date(2025, 1, 3),
                    "actual_end": date(2025, 2, 6),
                },
            )
        as_of = date(2025, 6, 1)
        with world.session(world.system) as session:
            before = _item(read_calendar(session, patient_id=patient, as_of=as_of), "mrd-end-of-induction")
            assert before.state.value == "overdue"
            assert any(
                line.patient_id == patient for line in site_worklist(session, site_code="SEV", as_of=as_of)
            )
        with pytest.raises(InputError, match="occurrence"):
            _code(
                world,
                patient,
                form="calendar",
                protocol_id=NCT,
                assessment="mrd-end-of-induction",
                occurrence="x",
                code="not done",
            )
        _code(
            world,
            patient,
            form="calendar",
            protocol_id=NCT,
            assessment="mrd-end-of-induction",
            code="not done",
        )
        with world.session(world.system) as session:
            after = _item(read_calendar(session, patient_id=patient, as_of=as_of), "mrd-end-of-induction")
            assert (after.state.value, after.missing_code) == ("not done", MissingCode.NOT_DONE)
            lines = site_worklist(session, site_code="SEV", as_of=as_of)
            assert not any(
                line.item.assessment == "mrd-end-of-induction" for line in lines if line.patient_id == patient
            )
            assert session.query(MissingDataCode).count() == 1
