"""Course rows record what happened: a date after today or before the child's birth is refused.

The store checks every course row it writes (:func:`remission.store.create_row` and
:func:`remission.store.update_row`), so the API, the web forms and the demo loader are held to
the same rule; planned dates of a treatment phase may lie ahead (issue 15, item 4).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from tests.store.helpers import World, example

from remission.errors import InputError
from remission.store import course_kind, create_row, list_rows, update_row
from remission.store.vocabulary import Role

TODAY = date.today()
BORN = date.fromisoformat(example("INF-01")["patient"]["date_of_birth"])
AE = course_kind("adverse-events").model


def event(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "term": "Mucositis oral",
        "grade": 2,
        "onset_date": BORN + timedelta(days=40),
        "serious": False,
        "attribution": "possible",
    }
    return values | changes


def fields(error: InputError) -> list[str]:
    return [problem.field for problem in error.problems]


class TestAdverseEventDates:
    @pytest.mark.parametrize(
        ("name", "value", "words"),
        [
            ("onset_date", TODAY + timedelta(days=1), "in the future"),
            ("onset_date", BORN - timedelta(days=1), "before patient.date_of_birth"),
            ("resolution_date", TODAY + timedelta(days=30), "in the future"),
        ],
    )
    def test_a_date_in_the_future_or_before_birth_is_refused_naming_the_field(
        self, world: World, name: str, value: date, words: str
    ):
        """The new event is refused with the date's field named, and nothing is stored."""
        patient = world.register("P-1", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        with pytest.raises(InputError) as refused, world.session(actor) as session:
            create_row(session, model=AE, patient_id=patient, values=event(**{name: value}))
        assert fields(refused.value) == [name]
        assert words in refused.value.problems[0].problem
        with world.session(actor) as session:
            assert list_rows(session, model=AE, patient_id=patient) == []

    def test_today_and_the_birthday_are_accepted(self, world: World):
        """The limits themselves are recorded dates a child can have."""
        patient = world.register("P-1", "SEV")
        with world.session(world.actor(Role.COORDINATOR, "SEV")) as session:
            create_row(
                session, model=AE, patient_id=patient, values=event(onset_date=BORN, resolution_date=TODAY)
            )

    def test_a_change_to_a_future_date_is_refused_and_the_row_kept(self, world: World):
        """An update moving the onset past today is refused; the stored row keeps its date and version."""
        patient = world.register("P-1", "SEV")
        actor = world.actor(Role.COORDINATOR, "SEV")
        with world.session(actor) as session:
            row = create_row(session, model=AE, patient_id=patient, values=event())
            row_id, onset = row.id, row.onset_date
        with pytest.raises(InputError) as refused, world.session(actor, reason="typo") as session:
            update_row(
                session,
                model=AE,
                patient_id=patient,
                row_id=row_id,
                version=1,
                values={"onset_date": TODAY + timedelta(days=3)},
            )
        assert fields(refused.value) == ["onset_date"]
        with world.session(actor) as session:
            (stored,) = list_rows(session, model=AE, patient_id=patient)
            assert (stored.onset_date, stored.version) == (onset, 1)


class TestOtherCourseRows:
    def test_every_kind_is_held_to_the_rule(self, world: World):
        """A death dated tomorrow is refused like an adverse event (one rule for course rows)."""
        patient = world.register("P-1", "SEV")
        with pytest.raises(InputError) as refused, world.session(world.system) as session:
            create_row(
                session,
                model=course_kind("deaths").model,
                patient_id=patient,
                values={"date": TODAY + timedelta(days=1), "cause": "infection"},
            )
        assert fields(refused.value) == ["date"]

    def test_planned_phase_dates_may_lie_ahead(self, world: World):
        """A treatment phase planned for next month is stored; its actual start may not be in the future."""
        patient = world.register("P-1", "SEV")
        phases = course_kind("treatment-phases").model
        ahead = TODAY + timedelta(days=30)
        with world.session(world.system) as session:
            create_row(
                session,
                model=phases,
                patient_id=patient,
                values={"phase_id": "induction", "planned_start": ahead, "planned_end": ahead},
            )
        with pytest.raises(InputError) as refused, world.session(world.system) as session:
            create_row(
                session,
                model=phases,
                patient_id=patient,
                values={"phase_id": "induction", "actual_start": ahead},
            )
        assert fields(refused.value) == ["actual_start"]
