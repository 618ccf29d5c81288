"""The adverse-event form refuses an onset in the future or before birth, named at the field (issue 15).

The rule is the store's (tests/store/test_course_dates.py); the form shows its message under the input.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import AdverseEvent

from .support import patient_id, sign_in, signed_in_csrf

BORN = date(2024, 1, 1)  # INF-01


def _count(store: Store) -> int:
    with store.session(Actor.for_system("web tests")) as session:
        target = patient_id(store, "INF-01")
        return len(list(session.scalars(select(AdverseEvent).where(AdverseEvent.patient_id == target))))


@pytest.mark.parametrize(
    ("onset", "words"),
    [(date.today() + timedelta(days=1), "in the future"), (BORN - timedelta(days=1), "before")],
)
def test_onset_in_the_future_or_before_birth_is_refused(
    client: TestClient, web_store: Store, onset: date, words: str
) -> None:
    """The form comes back (422) with the message under Onset, and no event is stored."""
    sign_in(client, "coordinator-sev")
    target = patient_id(web_store, "INF-01")
    before = _count(web_store)
    answer = client.post(
        f"/patients/{target}/adverse-events/new",
        data={
            "csrf_token": signed_in_csrf(client),
            "term": "Mucositis oral",
            "grade": "2",
            "onset_date": onset.isoformat(),
            "attribution": "possible",
            "terminology": "CTCAE v5.0",
        },
    )
    assert answer.status_code == 422
    match = re.search(r'<p class="field-error" id="f-onset-date-error">(.*?)</p>', answer.text, re.S)
    assert match
    assert words in match.group(1)
    assert _count(web_store) == before
