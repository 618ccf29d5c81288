"""The cumulative doxorubicin-equivalent anthracycline dose of a patient."""

from __future__ import annotations

import pytest

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from .helpers import Api, Principal

INVESTIGATOR = Principal(Role.INVESTIGATOR, "SEV")


def _add(api: Api, drug: str, dose: float, on: str, *, dexrazoxane: bool = False) -> None:
    url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}/anthracycline-doses"
    body = {"drug": drug, "dose_mg_per_m2": dose, "date": on, "dexrazoxane": dexrazoxane}
    answer = api.client.post(url, json=body, headers=api.headers(INVESTIGATOR))
    assert answer.status_code == 201, answer.text


def _exposure(api: Api) -> dict:
    url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}/anthracycline-exposure"
    answer = api.client.get(url, headers=api.headers(INVESTIGATOR))
    assert answer.status_code == 200, answer.text
    return answer.json()


class TestAnthracyclineExposure:
    def test_running_total_uses_the_conversion_factors_in_date_order(self, api: Api):
        """Daunorubicin counts 0.6 and mitoxantrone 10.5 doxorubicin equivalents, summed by date."""
        _add(api, "mitoxantrone", 10, "2025-03-01")
        _add(api, "daunorubicin", 30, "2025-01-10", dexrazoxane=True)
        _add(api, "daunorubicin", 30, "2025-01-17")
        exposure = _exposure(api)
        assert [line["running_total_mg_per_m2"] for line in exposure["doses"]] == pytest.approx([18, 36, 141])
        assert exposure["cumulative_doxorubicin_equivalent_mg_per_m2"] == pytest.approx(141)
        assert exposure["doses_with_dexrazoxane"] == 1

    def test_identical_doses_on_one_day_keep_their_own_dexrazoxane_flags(self, api: Api):
        """Two equal doses of one drug on one day, one with dexrazoxane, stay two lines with their flags."""
        _add(api, "daunorubicin", 30, "2025-01-10", dexrazoxane=True)
        _add(api, "daunorubicin", 30, "2025-01-10", dexrazoxane=False)
        exposure = _exposure(api)
        assert [line["dexrazoxane"] for line in exposure["doses"]] == [True, False]
        assert exposure["doses_with_dexrazoxane"] == 1

    def test_a_drug_without_an_agreed_factor_makes_the_total_unknown(self, api: Api):
        """After an idarubicin dose (no agreed factor) the running total is null, never guessed."""
        _add(api, "daunorubicin", 30, "2025-01-10")
        _add(api, "idarubicin", 10, "2025-02-01")
        _add(api, "daunorubicin", 30, "2025-03-01")
        exposure = _exposure(api)
        assert [line["running_total_mg_per_m2"] for line in exposure["doses"]] == [
            pytest.approx(18),
            None,
            None,
        ]
        assert exposure["cumulative_doxorubicin_equivalent_mg_per_m2"] is None

    def test_unknown_drug_is_refused(self, api: Api):
        """A dose of a drug outside the conversion table is refused on ``drug``."""
        url = f"{API_PREFIX}/patients/{api.patients['SEV'].id}/anthracycline-doses"
        body = {"drug": "aspirin", "dose_mg_per_m2": 10, "date": "2025-01-01"}
        answer = api.client.post(url, json=body, headers=api.headers(INVESTIGATOR))
        assert answer.status_code == 422
