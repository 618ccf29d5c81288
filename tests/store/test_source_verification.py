"""Source data verification in the store: a monitor's marks, reset by any change of their value in the
same transaction (audited), and the worklist of what the SDV plan requires."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect
from tests.store.helpers import AE, NCT, TODAY, World, attestations_of, example

from remission.errors import InputError
from remission.protocols import load_protocol
from remission.store import (
    describe_plan,
    events,
    list_marks,
    patients,
    read_sdv_status,
    sdv_plan_problems,
    sdv_worklist,
    verify_item,
)
from remission.store.actor import AccessDenied
from remission.store.enrollment import enroll_patient
from remission.store.errors import Conflict, NotFound
from remission.store.migrations_api import alembic_config, current_revision, head_revision, upgrade
from remission.store.models import AdverseEvent, MRDMeasurement
from remission.store.sdv_models import SDVState, SourceVerification
from remission.store.vocabulary import Role

MRD = {
    "time_point": "after consolidation 1",
    "method": "flow cytometry",
    "sample_date": date(2025, 3, 1),
    "value_fraction": 0.001,
    "sensitivity_fraction": 0.0001,
}


def _enrolled(world: World, study_id: str, site: str = "SEV") -> int:
    record = example("INF-01")
    patient = world.register(study_id, site, record=record)
    with world.session(world.actor(Role.INVESTIGATOR, site)) as session:
        enroll_patient(
            session,
            patient_id=patient,
            protocol_id=NCT,
            enrolled_on=date.fromisoformat(record["study_entry_date"]),
            attestations=attestations_of(record),
        )
    return patient


def _row(world: World, patient: int, model: type, values: dict[str, Any], site: str = "SEV") -> int:
    with world.session(world.actor(Role.COORDINATOR, site), reason="entered") as session:
        return events.create_row(session, model=model, patient_id=patient, values=values, today=TODAY).id


def _verify(world: World, patient: int, **item: Any) -> dict[str, Any]:
    with world.session(world.actor(Role.MONITOR)) as session:
        return verify_item(session, patient_id=patient, **item).to_dict()


def _marks(world: World, patient: int) -> dict[str, dict[str, Any]]:
    with world.session(world.actor(Role.MONITOR)) as session:
        return {mark.item: mark.to_dict() for mark in list_marks(session, patient_id=patient)}


def _edit_row(world: World, patient: int, model: type, row_id: int, values: dict[str, Any]) -> None:
    with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="typo in the source copy") as session:
        row = events.get_row(session, model=model, patient_id=patient, row_id=row_id)
        events.update_row(
            session,
            model=model,
            patient_id=patient,
            row_id=row_id,
            version=row.version,
            values=values,
            today=TODAY,
        )


class TestMarking:
    def test_a_monitor_marks_a_baseline_field_verified_and_the_trail_has_it(self, world: World):
        """The mark names the item, who verified it and that it is verified; its creation is audited."""
        patient = world.register("SDV-01", "SEV")
        mark = _verify(world, patient, form="baseline", field="genetics.kmt2a.status")
        assert (mark["item"], mark["state"], mark["verified_by"]) == (
            "baseline:genetics.kmt2a.status",
            "verified",
            "monitor-study",
        )
        (entry,) = world.audit_rows(entity="source_verifications", field="state")
        assert (entry["action"], entry["new_value"]) == ("create", '"verified"')

    @pytest.mark.parametrize(("role", "site"), [(Role.COORDINATOR, "SEV"), (Role.DATA_MANAGER, None)])
    def test_only_a_monitor_may_mark(self, world: World, role: Role, site: str | None):
        """A coordinator or a data manager (who may enter values) is refused; nothing is stored."""
        patient = world.register("SDV-02", "SEV")
        with pytest.raises(AccessDenied), world.session(world.actor(role, site)) as session:
            verify_item(session, patient_id=patient, form="patient", field="date_of_birth")
        assert _marks(world, patient) == {}

    @pytest.mark.parametrize(
        ("item", "field"),
        [
            ({"form": "labs", "field": "x"}, "form"),
            ({"form": "baseline", "field": "genetics.kmt2a.stat"}, "field"),
            ({"form": "baseline"}, "field"),
            ({"form": "patient", "field": "name"}, "field"),
            ({"form": "patient", "field": "sex", "row_id": 1}, "row_id"),
            ({"form": "adverse-events"}, "row_id"),
            ({"form": "adverse-events", "row_id": "AE", "field": "colour"}, "field"),
        ],
    )
    def test_an_item_that_does_not_exist_is_refused_naming_the_field(self, world: World, item, field):
        """A bad form, path, column or a missing row id is an InputError on that field; nothing is stored."""
        patient = world.register("SDV-03", "SEV")
        if item.get("row_id") == "AE":
            item = {**item, "row_id": _row(world, patient, AdverseEvent, AE)}
        with pytest.raises(InputError) as refused, world.session(world.actor(Role.MONITOR)) as session:
            verify_item(session, patient_id=patient, **item)
        assert [problem.field for problem in refused.value.problems] == [field]
        assert _marks(world, patient) == {}

    def test_a_verified_item_marked_again_is_a_conflict(self, world: World):
        """Verifying twice is refused, naming who verified it first."""
        patient = world.register("SDV-04", "SEV")
        _verify(world, patient, form="patient", field="sex")
        with pytest.raises(Conflict, match=r"already verified \(by monitor-study"):
            _verify(world, patient, form="patient", field="sex")

    def test_another_sites_staff_do_not_see_the_marks(self, world: World):
        """SNU's coordinator reads SEV's patient's marks as not found, like the patient."""
        patient = world.register("SDV-05", "SEV")
        _verify(world, patient, form="patient", field="sex")
        with pytest.raises(NotFound), world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            list_marks(session, patient_id=patient)


class TestReset:
    def test_a_changed_mrd_value_resets_its_field_and_row_marks_only(self, world: World):
        """The value's mark and the whole-row mark reset, saying what changed; the sample date's stays."""
        patient = _enrolled(world, "SDV-10")
        row = _row(world, patient, MRDMeasurement, MRD)
        for field in ("value_fraction", "sample_date", None):
            _verify(world, patient, form="mrd", row_id=row, field=field)
        _edit_row(world, patient, MRDMeasurement, row, {"value_fraction": 0.002})
        marks = _marks(world, patient)
        assert marks[f"mrd#{row}:value_fraction"]["state"] == "reset"
        assert marks[f"mrd#{row}:value_fraction"]["reset_note"] == (
            "value_fraction changed from 0.001 to 0.002 after verification"
        )
        assert marks[f"mrd#{row}:"]["state"] == "reset"
        assert marks[f"mrd#{row}:sample_date"]["state"] == "verified"

    def test_the_reset_is_in_the_audit_trail_with_the_writes_reason(self, world: World):
        """The trail shows verified → reset and the note, by the coordinator, with the edit's reason."""
        patient = _enrolled(world, "SDV-11")
        row = _row(world, patient, MRDMeasurement, MRD)
        _verify(world, patient, form="mrd", row_id=row, field="value_fraction")
        _edit_row(world, patient, MRDMeasurement, row, {"value_fraction": 0.002})
        state, note = (
            world.audit_rows(entity="source_verifications", field=name, action="update")[-1]
            for name in ("state", "reset_note")
        )
        assert (state["old_value"], state["new_value"]) == ('"verified"', '"reset"')
        assert note["new_value"] == '"value_fraction changed from 0.001 to 0.002 after verification"'
        assert (state["username"], state["reason"]) == ("coordinator-sev", "typo in the source copy")

    def test_a_baseline_change_resets_the_marks_of_changed_paths_and_their_parents(self, world: World):
        """KMT2A status changed: its mark and the genetics mark reset; the WHO type's mark stays."""
        patient = world.register("SDV-12", "SEV")
        for path in ("genetics.kmt2a.status", "genetics", "diagnosis.who_type"):
            _verify(world, patient, form="baseline", field=path)
        with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="lab report corrected") as session:
            stored = patients.get_patient(session, patient_id=patient)
            genetics = {**stored.baseline["genetics"], "kmt2a": {"status": "rearranged", "method": "FISH"}}
            patients.update_patient(
                session,
                patient_id=patient,
                version=stored.version,
                changes={"baseline": {"genetics": genetics}},
                today=TODAY,
            )
        marks = _marks(world, patient)
        assert marks["baseline:genetics.kmt2a.status"]["reset_note"] == (
            "genetics.kmt2a.status changed from germline to rearranged after verification"
        )
        assert marks["baseline:genetics"]["state"] == "reset"
        assert marks["baseline:diagnosis.who_type"]["state"] == "verified"

    def test_a_changed_date_of_birth_resets_without_showing_the_dates(self, world: World):
        """The date of birth is an identifier: the note says it changed, not from what to what."""
        patient = world.register("SDV-13", "SEV")
        _verify(world, patient, form="patient", field="date_of_birth")
        with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="birth certificate") as session:
            stored = patients.get_patient(session, patient_id=patient)
            patients.update_patient(
                session,
                patient_id=patient,
                version=stored.version,
                changes={"date_of_birth": date(2024, 1, 2)},
                today=TODAY,
            )
        mark = _marks(world, patient)["patient:date_of_birth"]
        assert (mark["state"], mark["reset_note"]) == (
            "reset",
            "date_of_birth changed (identifier: values not shown) after verification",
        )
        shown = [(e["old_value"], e["new_value"]) for e in world.audit_rows(entity="source_verifications")]
        assert not [pair for pair in shown if "2024-01-0" in str(pair)]

    def test_a_deleted_row_takes_its_marks_in_the_same_audited_transaction(self, world: World):
        """Deleting an adverse event deletes its marks; the trail has their deletion with the reason."""
        patient = _enrolled(world, "SDV-14")
        row = _row(world, patient, AdverseEvent, AE)
        _verify(world, patient, form="adverse-events", row_id=row)
        with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="entered twice") as session:
            events.delete_row(session, model=AdverseEvent, patient_id=patient, row_id=row, version=1)
        assert _marks(world, patient) == {}
        deleted = world.audit_rows(entity="source_verifications", action="delete", field="item")
        assert (deleted[0]["old_value"], deleted[0]["reason"]) == (
            f'"adverse-events#{row}:"',
            "entered twice",
        )

    def test_a_reset_mark_is_verified_again_by_the_monitor(self, world: World):
        """Re-verifying a reset mark makes it verified and clears the note, audited with a reason."""
        patient = world.register("SDV-15", "SEV")
        row = _row(world, patient, AdverseEvent, AE)
        _verify(world, patient, form="adverse-events", row_id=row, field="grade")
        _edit_row(world, patient, AdverseEvent, row, {"grade": 4})
        again = _verify(world, patient, form="adverse-events", row_id=row, field="grade")
        assert (again["state"], again["reset_note"], again["version"]) == ("verified", None, 3)
        last = world.audit_rows(entity="source_verifications", field="state")[-1]
        assert (last["new_value"], last["reason"]) == ('"verified"', "verified again against the source")

    def test_the_session_refuses_a_mark_reset_by_hand(self, world: World):
        """Only the store's own reset passes the write check: a coordinator cannot change a mark."""
        patient = world.register("SDV-16", "SEV")
        mark_id = _verify(world, patient, form="patient", field="sex")["id"]
        with world.session(world.actor(Role.COORDINATOR, "SEV"), reason="x") as session:
            session.get(SourceVerification, mark_id).state = SDVState.RESET
            with pytest.raises(AccessDenied):
                session.flush()
            session.rollback()


_COLUMNS = {
    "term": ["Sepsis", "Mucositis oral"],
    "grade": [2, 4],
    "onset_date": [date(2025, 1, 21), date(2025, 2, 1)],
    "resolution_date": [date(2025, 3, 1), None],
    "serious": [False],
    "attribution": ["unlikely", "definite"],
}
_SERIAL = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(sorted(_COLUMNS)), st.integers(0, 1), min_size=1))
def test_any_change_of_a_verified_row_resets_exactly_the_marks_of_the_changed_fields(world: World, changes):
    """With every column and the row marked, an edit resets the changed columns' and the row's marks only."""
    patient = world.register(f"SDV-P{next(_SERIAL)}", "SEV")
    row = _row(world, patient, AdverseEvent, AE)
    for field in [*_COLUMNS, None]:
        _verify(world, patient, form="adverse-events", row_id=row, field=field)
    values = {name: _COLUMNS[name][pick % len(_COLUMNS[name])] for name, pick in changes.items()}
    _edit_row(world, patient, AdverseEvent, row, values)
    reset = {item for item, mark in _marks(world, patient).items() if mark["state"] == "reset"}
    changed = {name for name, value in values.items() if value != AE.get(name)}
    expected = {f"adverse-events#{row}:{name}" for name in changed}
    assert reset == (expected | {f"adverse-events#{row}:"} if changed else set())


class TestPlan:
    def test_the_nct06516679_plan_maps_onto_the_store(self):
        """Every record path the shipped plan reads is an item of a form, or named as not one."""
        assert sdv_plan_problems(load_protocol(NCT)) == []

    def test_the_plan_reads_eligibility_and_risk_inputs(self):
        """Eligibility brings the date of birth and the diagnosis date; risk, KMT2A and MRD after block 1."""
        eligibility, risk, serious = describe_plan(load_protocol(NCT))
        assert {"patient.date_of_birth", "diagnosis.date", "consent.given_by"} <= set(eligibility.paths)
        assert (risk.paths, risk.mrd_time_points) == (("genetics.kmt2a.status",), ("after consolidation 1",))
        assert serious.entry.kind == "form adverse-events where serious = true"

    def test_a_protocol_without_a_plan_requires_nothing(self, world: World):
        """A child enrolled in nothing with a plan has no required items."""
        patient = world.register("SDV-20", "SEV")
        with world.session(world.actor(Role.MONITOR)) as session:
            assert read_sdv_status(session, patient_id=patient).items == ()


class TestWorklist:
    def test_an_enrolled_childs_required_items_and_their_states(self, world: World):
        """KMT2A, MRD after block 1 and the SAE are required; a non-serious AE and other MRD are not."""
        patient = _enrolled(world, "SDV-30")
        mrd = _row(world, patient, MRDMeasurement, MRD)
        early = _row(world, patient, MRDMeasurement, {**MRD, "time_point": "end of induction"})
        serious = _row(world, patient, AdverseEvent, AE)
        mild = _row(world, patient, AdverseEvent, {**AE, "serious": False, "grade": 2})
        _verify(world, patient, form="baseline", field="genetics")
        with world.session(world.actor(Role.MONITOR)) as session:
            status = read_sdv_status(session, patient_id=patient)
        states = {item.item: item.state for item in status.items}
        assert states["baseline:genetics.kmt2a.status"] == "verified"
        assert states[f"mrd#{mrd}:"] == states[f"adverse-events#{serious}:"] == "unverified"
        assert f"mrd#{early}:" not in states
        assert f"adverse-events#{mild}:" not in states
        assert states["patient:date_of_birth"] == "unverified"
        assert states["baseline:diagnosis.date"] == "unverified"
        assert (
            [i for i in states if i.startswith("consents#")]
            == [i for i in states if i.startswith("consents#") and i.endswith((":given_by", ":date"))]
            != []
        )

    def test_an_empty_input_is_not_recorded_never_verified(self, world: World):
        """A required baseline path without a value is listed as not recorded."""
        patient = _enrolled(world, "SDV-31")
        with world.session(world.actor(Role.MONITOR)) as session:
            states = {i.item: i.state for i in read_sdv_status(session, patient_id=patient).items}
        assert states["baseline:diagnosis.alal_predominant_lineage"] == "not recorded"

    def test_the_site_worklist_lists_only_its_own_patients_and_counts_states(self, world: World):
        """SEV's worklist holds SEV's enrolled child with its counts; SNU's child is not in it."""
        sev = _enrolled(world, "SDV-32")
        _enrolled(world, "SDV-33", site="SNU")
        _verify(world, sev, form="patient", field="date_of_birth")
        with world.session(world.actor(Role.MONITOR)) as session:
            worklist = sdv_worklist(session, site_code="SEV")
        assert [p.study_id for p in worklist.patients] == ["SDV-32"]
        assert worklist.counts["verified"] == 1
        assert worklist.counts["unverified"] > 1

    def test_a_site_the_reader_may_not_read_lists_nothing(self, world: World):
        """SNU's coordinator asking for SEV's worklist gets no patient of SEV."""
        _enrolled(world, "SDV-34")
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            assert sdv_worklist(session, site_code="SEV").patients == ()


class TestMigration0015:
    def test_downgrade_drops_and_upgrade_restores_the_table(self, world: World):
        """Migration 0015 adds ``source_verifications``; downgrading to 0011 removes it, on both back ends."""
        patient = world.register("SDV-40", "SEV")
        config = alembic_config(world.store.engine)
        with world.store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        assert "source_verifications" not in set(inspect(world.store.engine).get_table_names())
        upgrade(world.store.engine)
        assert current_revision(world.store.engine) == head_revision(world.store.engine) == "0016"
        assert _verify(world, patient, form="patient", field="sex")["state"] == "verified"
