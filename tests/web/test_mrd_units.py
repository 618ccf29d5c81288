"""MRD entry in percent or as a fraction (issue 15, item 4): converted to the stored fraction, echoed
back for confirmation before saving, and refused under the value's input when out of range."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import MRDMeasurement

from .support import patient_id, sign_in, signed_in_csrf

MRD = {
    "time_point": "end of induction",
    "method": "flow cytometry",
    "sample_date": "2025-12-01",
    "sensitivity_fraction": "0.0001",
}


def _values(store: Store, study_id: str) -> list[float | None]:
    target = patient_id(store, study_id)
    with store.session(Actor.for_system("web tests")) as session:
        rows = session.scalars(select(MRDMeasurement).where(MRDMeasurement.patient_id == target))
        return [row.value_fraction for row in rows]


def _post(client: TestClient, target: int, data: dict[str, str]):
    return client.post(
        f"/patients/{target}/mrd/new",
        data={"csrf_token": signed_in_csrf(client), **MRD, **data},
        follow_redirects=False,
    )


def _error(html: str) -> str:
    match = re.search(r'<p class="field-error" id="f-value-fraction-error">(.*?)</p>', html, re.S)
    assert match, "no message under the MRD value"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error: ", "").strip()


class TestConfirmation:
    def test_a_percentage_is_echoed_and_nothing_saved_until_confirmed(
        self, client: TestClient, web_store: Store
    ) -> None:
        """0.05 % is shown back as 5 × 10⁻⁴ (fraction) with a Confirm button; the row waits for it."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        before = _values(web_store, "INF-05")
        answer = _post(client, target, {"value_fraction": "0.05", "value_unit": "percent"})
        assert answer.status_code == 200
        assert "You entered 0.05 % = 5 × 10⁻⁴ (fraction)" in answer.text
        assert 'name="confirmed_value" value="percent:0.05"' in answer.text
        assert "Confirm and save" in answer.text
        assert _values(web_store, "INF-05") == before

    def test_the_confirmed_percentage_is_stored_as_a_fraction(
        self, client: TestClient, web_store: Store
    ) -> None:
        """Confirming 0.05 % stores the fraction 0.0005."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        data = {"value_fraction": "0.05", "value_unit": "percent", "confirmed_value": "percent:0.05"}
        assert _post(client, target, data).status_code == 303
        assert _values(web_store, "INF-05")[-1] == pytest.approx(5e-4, rel=1e-12)

    def test_a_value_changed_after_the_echo_is_echoed_again(
        self, client: TestClient, web_store: Store
    ) -> None:
        """A confirmation names the text and unit it confirmed; another value (or unit) is not saved."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        before = _values(web_store, "INF-05")
        data = {"value_fraction": "0.5", "value_unit": "percent", "confirmed_value": "percent:0.05"}
        answer = _post(client, target, data)
        assert answer.status_code == 200
        assert "You entered 0.5 % = 5 × 10⁻³ (fraction)" in answer.text
        answer = _post(
            client,
            target,
            {"value_fraction": "0.05", "value_unit": "fraction", "confirmed_value": "percent:0.05"},
        )
        assert "You entered 0.05 (fraction) = 5 × 10⁻² = 5 %" in answer.text
        assert _values(web_store, "INF-05") == before

    def test_not_quantifiable_needs_no_echo(self, client: TestClient, web_store: Store) -> None:
        """Positive, not quantifiable has no value to echo and is saved at once."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        answer = _post(client, target, {"positive_not_quantifiable": "on"})
        assert answer.status_code == 303
        assert _values(web_store, "INF-05")[-1] is None


class TestRange:
    @pytest.mark.parametrize(
        ("value", "unit", "words"),
        [
            ("-0.01", "percent", "cannot be negative"),
            ("-1e-4", "fraction", "cannot be negative"),
            ("100.5", "percent", "at most 100 %"),
            ("5", "fraction", "choose percent"),
            ("0.1%", "percent", "Enter a number"),
        ],
    )
    def test_out_of_range_values_are_refused_under_the_value(
        self, client: TestClient, web_store: Store, value: str, unit: str, words: str
    ) -> None:
        """Negative, over 100 % and a fraction over 1 come back (422) named at the value; nothing stored."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        before = _values(web_store, "INF-05")
        answer = _post(
            client,
            target,
            {"value_fraction": value, "value_unit": unit, "confirmed_value": f"{unit}:{value}"},
        )
        assert answer.status_code == 422
        assert words in _error(answer.text)
        assert _values(web_store, "INF-05") == before

    def test_100_percent_is_the_upper_limit(self, client: TestClient, web_store: Store) -> None:
        """100 % is accepted and stored as 1."""
        sign_in(client, "coordinator-snu")
        target = patient_id(web_store, "INF-05")
        data = {"value_fraction": "100", "value_unit": "percent", "confirmed_value": "percent:100"}
        assert _post(client, target, data).status_code == 303
        assert _values(web_store, "INF-05")[-1] == 1.0

    def test_an_unknown_unit_is_refused_by_name(self, client: TestClient, web_store: Store) -> None:
        """A unit other than percent or fraction is reported under the unit."""
        sign_in(client, "coordinator-snu")
        answer = _post(
            client, patient_id(web_store, "INF-05"), {"value_fraction": "0.01", "value_unit": "ppm"}
        )
        assert answer.status_code == 422
        assert 'id="f-value-unit-error"' in answer.text
