"""The schedule of assessments as protocol data: what NCT06516679 declares, and what a file may not say."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from remission.conduct import child_calendar
from remission.protocols import ProtocolError, load_protocol, parse_protocol
from remission.protocols.schedule import CourseForm
from remission.rules.expressions import ParamRef

NCT = load_protocol("NCT06516679")


def _with_schedule(*items: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    data = NCT.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["schedule"] = list(items)
    for name, value in parameters.items():
        data["parameters"][name] = {"value": value, "description": "test", "assumption": True}
    return data


def _item(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "x",
        "label": "x",
        "collects": {"form": "mrd", "time_point": "end of induction"},
        "anchor": {"phases": ["induction"], "at": "end"},
        "window": {"before_days": 0, "after_days": 7},
        "source": "registry",
    } | overrides


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(data, source="test")
    return [f"{p.field}: {p.problem}" for p in caught.value.problems]


class TestShippedSchedule:
    def test_nct06516679_declares_its_assessments(self) -> None:
        ids = [item.id for item in NCT.schedule]
        assert ids == [
            "mrd-end-of-induction",
            "mrd-after-consolidation-1",
            "anthracycline-doses",
            "hsct-record",
            "follow-up-visits",
            "end-of-phase-report",
            "cardiac-assessment-end-of-therapy",
        ]
        stratifying = NCT.schedule[1]
        assert stratifying.collects.form is CourseForm.MRD
        assert stratifying.anchor.phases == ["lr_consolidation_1", "hr_consolidation_1"]

    def test_every_window_is_a_parameter_marked_as_an_assumption(self) -> None:
        """The trial publishes no windows (CLINICAL_FACTS.md): none may be a bare number but 0."""
        for item in NCT.schedule:
            bounds = [item.window.before_days, item.window.after_days]
            if item.repeat is not None:
                bounds += [item.repeat.every_days, item.repeat.times]
            for bound in bounds:
                if isinstance(bound, ParamRef):
                    assert NCT.parameters[bound.param].assumption, (item.id, bound.param)
                else:
                    assert bound == 0, item.id

    def test_an_assessment_the_registry_does_not_name_is_marked(self) -> None:
        end_of_induction = NCT.schedule[0]
        assert end_of_induction.assumption
        assert end_of_induction.source == "clinical-facts"


class TestRefusedSchedules:
    def test_unknown_phase_and_parameter(self) -> None:
        item = _item(
            anchor={"phases": ["consolidation_9"]}, window={"before_days": {"param": "nope"}, "after_days": 1}
        )
        problems = _problems(_with_schedule(item))
        assert "schedule[0].anchor.phases[0]: unknown phase 'consolidation_9'" in problems
        assert "schedule[0].window.before_days: unknown parameter 'nope'" in problems

    def test_a_window_parameter_must_be_whole_days(self) -> None:
        item = _item(window={"before_days": 0, "after_days": {"param": "odd"}})
        problems = _problems(_with_schedule(item, odd=2.5))
        assert (
            "schedule[0].window.after_days: parameter 'odd' must be a whole number ≥ 0, not 2.5" in problems
        )

    def test_only_mrd_names_a_time_point_and_ids_are_unique(self) -> None:
        doses = _item(id="d", collects={"form": "anthracycline-doses", "time_point": "end of induction"})
        problems = _problems(_with_schedule(_item(), _item(), doses))
        assert "schedule: id 'x' is used 2 times" in problems
        assert "schedule[2].collects.time_point: only an MRD assessment names a time point" in problems

    def test_an_anchor_has_exactly_one_kind(self) -> None:
        both = _item(anchor={"phases": ["induction"], "milestone": "diagnosis"})
        assert any(
            "give exactly one of phases, each_phase, milestone" in p for p in _problems(_with_schedule(both))
        )

    def test_a_negative_window_is_refused(self) -> None:
        item = _item(window={"before_days": -3, "after_days": 1})
        assert any(p.startswith("schedule[0].window.before_days") for p in _problems(_with_schedule(item)))


class TestInterfant06:
    """INTERFANT-06 encodes no phases: its assessments count from the diagnosis, days as assumptions."""

    protocol = load_protocol("INTERFANT-06")

    def test_the_end_of_induction_mrd_is_due_a_parameter_s_days_after_diagnosis(self) -> None:
        day = self.protocol.parameters["mrd_end_of_induction_day"]
        window = self.protocol.parameters["mrd_window_days"]
        assert day.assumption
        assert window.assumption
        diagnosed = date(2026, 1, 5)
        items = child_calendar(
            self.protocol, phases=[], phase_dates={}, collected=[], as_of=diagnosed, diagnosed=diagnosed
        )
        (mrd,) = [item for item in items if item.assessment == "mrd-end-of-induction"]
        due = diagnosed + timedelta(days=day.value)
        assert (mrd.due_from, mrd.due_until) == (
            due - timedelta(days=window.value),
            due + timedelta(days=window.value),
        )
        visits = [item for item in items if item.assessment == "follow-up-visits"]
        assert len(visits) == self.protocol.parameters["follow_up_visits"].value

    def test_a_days_after_parameter_must_be_whole_days(self) -> None:
        item = _item(anchor={"milestone": "diagnosis", "days_after": {"param": "d"}})
        assert (
            "schedule[0].anchor.days_after: parameter 'd' must be a whole number ≥ 0, not 1.5"
            in _problems(_with_schedule(item, d=1.5))
        )
