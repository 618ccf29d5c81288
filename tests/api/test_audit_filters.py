"""GET /audit's filters: patient, user, action and dates, beside the entity and cursor it had."""

from __future__ import annotations

from datetime import date, timedelta

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal

MONITOR = Principal(Role.MONITOR)


def _audit(api: Api, who: Principal = MONITOR, **params: object):
    return api.client.get(f"{API_PREFIX}/audit", params={"limit": 1000, **params}, headers=api.headers(who))


class TestAuditFilters:
    def test_patient_filter_keeps_only_that_patients_rows(self, api: Api) -> None:
        """Filtered by SEV's patient, every entry is about that patient or a row of theirs, none of SNU's."""
        sev, snu = api.patients["SEV"], api.patients["SNU"]
        answer = _audit(api, study_id="SEED-01")
        assert answer.status_code == 200
        entries = answer.json()
        assert ("patients", sev.id) in {(e["entity"], e["entity_id"]) for e in entries}
        assert ("patients", snu.id) not in {(e["entity"], e["entity_id"]) for e in entries}
        assert {e["site_id"] for e in entries} == {entries[0]["site_id"]}

    def test_user_action_and_dates_narrow_the_trail(self, api: Api) -> None:
        """Username and action match exactly; a range ending before the first entry is empty."""
        everything = _audit(api).json()
        first_day = date.fromisoformat(everything[0]["at"][:10])
        created = _audit(api, action="create").json()
        by_user = _audit(api, username=everything[0]["username"]).json()
        assert created
        assert {e["action"] for e in created} == {"create"}
        assert {e["username"] for e in by_user} == {everything[0]["username"]}
        assert _audit(api, until=(first_day - timedelta(days=1)).isoformat()).json() == []

    def test_an_unknown_patient_is_404_and_site_roles_403(self, api: Api) -> None:
        """A study id no one has is 404; a coordinator filtering by patient is still refused."""
        assert _audit(api, study_id="NO-SUCH").status_code == 404
        assert _audit(api, Principal(Role.COORDINATOR, "SEV"), study_id="SEED-01").status_code == 403
