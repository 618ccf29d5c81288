"""The API refuses an adverse event dated in the future or before the child's birth (issue 15, item 4).

The store makes the check; the API answers 422 naming the field, and stores nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal, problems

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")
TODAY = date.today()


def _born(api: Api) -> date:
    return date.fromisoformat(api.patients["SEV"].record["patient"]["date_of_birth"])


class TestAdverseEventDates:
    @pytest.mark.parametrize("when", ["future", "before birth"])
    def test_post_is_422_naming_onset_date_and_stores_nothing(self, api: Api, when: str):
        """POST of an event whose onset is tomorrow, or the day before birth, is refused."""
        patient = api.patients["SEV"]
        onset = TODAY + timedelta(days=1) if when == "future" else _born(api) - timedelta(days=1)
        before = api.count_rows("adverse-events", patient.id)
        answer = api.client.post(
            f"{API_PREFIX}/patients/{patient.id}/adverse-events",
            json={
                "term": "Mucositis oral",
                "grade": 2,
                "onset_date": onset.isoformat(),
                "serious": False,
                "attribution": "possible",
            },
            headers=api.headers(INVESTIGATOR),
        )
        assert answer.status_code == 422, answer.text
        assert set(problems(answer)) == {"onset_date"}
        assert api.count_rows("adverse-events", patient.id) == before

    def test_patch_to_a_future_resolution_is_422_and_the_row_unchanged(self, api: Api):
        """PATCH of a resolution date after today is refused; the row keeps its version."""
        patient = api.patients["SEV"]
        url = f"{API_PREFIX}/patients/{patient.id}/adverse-events/{patient.rows['adverse-events']}"
        headers = api.headers(INVESTIGATOR)
        read = api.client.get(url, headers=headers).json()
        answer = api.client.patch(
            url,
            json={
                "version": read["version"],
                "reason": "resolved",
                "resolution_date": (TODAY + timedelta(days=5)).isoformat(),
            },
            headers=headers,
        )
        assert answer.status_code == 422, answer.text
        assert set(problems(answer)) == {"resolution_date"}
        assert api.client.get(url, headers=headers).json() == read
