"""The phase form offers the phases of the child's arm or track, from the protocol files (issue 15)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from remission.protocols import load_protocol
from remission.store import CurrentRisk
from remission.store.database import Store
from remission.web.phase_choices import phase_choices

from .support import patient_id, sign_in, signed_in_csrf

PROTOCOL = load_protocol("NCT06516679")
LOW_RISK_ONLY = {
    "lr_consolidation_1",
    "lr_consolidation_2",
    "lr_consolidation_3",
    "consolidation_4_without_daunorubicin",
}


def _risk(
    protocol_id: str = "NCT06516679", group: str = "pending", arm: str | None = None, track: str | None = None
):
    return CurrentRisk(1, protocol_id, date(2025, 1, 1), True, group, arm, track, None)


def _offered(client: TestClient, target: int) -> list[str]:
    page = client.get(f"/patients/{target}/treatment-phases/new").text
    select = page.split('name="phase_id"')[1].split("</select>")[0]
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


class TestFromTheProtocol:
    @pytest.mark.parametrize("arm", [arm.id for arm in PROTOCOL.arms])
    def test_an_assigned_arm_offers_exactly_its_phases(self, arm: str) -> None:
        """Each arm of the protocol file offers its own phases, in order."""
        phases = next(a.phases for a in PROTOCOL.arms if a.id == arm)
        assert list(phase_choices([_risk(group="X", arm=arm)]).phases) == phases

    def test_a_final_group_without_a_stored_arm_uses_the_groups_arm(self) -> None:
        """A risk group's arm (stratification.risk_groups[].arm) decides when the assignment names none."""
        assert "maintenance" in phase_choices([_risk(group="IR")]).phases
        assert not LOW_RISK_ONLY & set(phase_choices([_risk(group="IR")]).phases)

    @pytest.mark.parametrize("track", [t.id for t in PROTOCOL.stratification.provisional_tracks])
    def test_a_provisional_track_offers_its_phases(self, track: str) -> None:
        """Before the final group the track's phases are offered, and the note says so."""
        offer = phase_choices([_risk(track=track)])
        phases = next(t.phases for t in PROTOCOL.stratification.provisional_tracks if t.id == track)
        assert list(offer.phases) == phases
        assert "provisional track" in offer.help

    def test_the_kmt2a_rearranged_track_offers_no_low_risk_phase(self) -> None:
        """A KMT2A-rearranged infant's track holds no low-risk consolidation."""
        assert not LOW_RISK_ONLY & set(phase_choices([_risk(track="rearranged-track")]).phases)

    def test_without_arm_or_track_only_shared_phases_are_offered(self) -> None:
        """Pending with no track: only the phases every arm shares, and the note says no arm is assigned."""
        offer = phase_choices([_risk()])
        shared = [p for p in PROTOCOL.arms[0].phases if all(p in arm.phases for arm in PROTOCOL.arms)]
        assert list(offer.phases) == shared
        assert "no arm is assigned yet" in offer.help

    def test_a_protocol_without_phases_offers_none_and_says_why(self) -> None:
        """INTERFANT-06's file encodes no phases: none is offered and the note explains it."""
        offer = phase_choices([_risk("INTERFANT-06", group="MR")])
        assert offer.phases == {}
        assert "encodes no treatment phases" in offer.help

    def test_a_patient_not_enrolled_is_told_to_enroll(self) -> None:
        """With no enrollment there is no protocol to offer phases from."""
        offer = phase_choices([])
        assert offer.phases == {}
        assert "not enrolled" in offer.help


class TestOnTheForm:
    def test_a_kmt2a_rearranged_child_is_not_offered_low_risk_phases(
        self, client: TestClient, web_store: Store
    ) -> None:
        """INF-04 (KMT2A-r, HR) sees the HR arm's phases and no low-risk block."""
        sign_in(client, "coordinator-sev")
        offered = _offered(client, patient_id(web_store, "INF-04"))
        assert "hr_consolidation_1" in offered
        assert not LOW_RISK_ONLY & set(offered)

    def test_a_low_risk_child_is_offered_the_low_risk_arm(self, client: TestClient, web_store: Store) -> None:
        """INF-01 (germline, LR) is offered the LR arm's phases and no high-risk block."""
        sign_in(client, "coordinator-sev")
        offered = _offered(client, patient_id(web_store, "INF-01"))
        assert "lr_consolidation_1" in offered
        assert "hr_consolidation_1" not in offered

    def test_a_phase_not_offered_is_refused_by_name(self, client: TestClient, web_store: Store) -> None:
        """Posting a low-risk phase for INF-04 is refused under the phase input."""
        sign_in(client, "coordinator-sev")
        target = patient_id(web_store, "INF-04")
        answer = client.post(
            f"/patients/{target}/treatment-phases/new",
            data={
                "csrf_token": signed_in_csrf(client),
                "phase_id": "lr_consolidation_1",
                "actual_start": "2025-09-01",
            },
        )
        assert answer.status_code == 422
        assert 'id="f-phase-id-error"' in answer.text
