"""Signing through the API under the sign-in throttle: wrong signing passwords lock the account, the next
signature is a 429 with ``Retry-After`` even with the right password, and the token endpoint is locked too."""

from __future__ import annotations

from remission.api.settings import SIGN_IN_DEFAULTS

from .helpers import PASSWORD, Api, problems
from .test_signatures_and_locks import INVESTIGATOR, call, enrolled_with_sae, sign


class TestSigningThrottle:
    def test_wrong_signing_passwords_then_429_for_signing_and_sign_in(self, api: Api) -> None:
        """The free wrong passwords are 422s; then the right one is a 429 signing nothing; sign-in is 429."""
        patient, sae = enrolled_with_sae(api, "API-SIG-T1")
        credentials = {"username": INVESTIGATOR.username}
        for _ in range(SIGN_IN_DEFAULTS.free_attempts):
            answer = sign(api, patient, "serious-adverse-event", sae, password="wrong one", **credentials)
            assert answer.status_code == 422
            assert "password" in problems(answer)
        locked = sign(api, patient, "serious-adverse-event", sae, password=PASSWORD, **credentials)
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= SIGN_IN_DEFAULTS.base_delay_seconds
        assert "try again in" in problems(locked)["password"]
        assert call(api, INVESTIGATOR, "GET", f"/patients/{patient}/signatures").json() == []
        assert api.sign_in(INVESTIGATOR).status_code == 429

    def test_a_right_signing_password_resets_the_count(self, api: Api) -> None:
        """Wrong passwords short of the limit, then a right one: as many wrong ones are free again."""
        patient, sae = enrolled_with_sae(api, "API-SIG-T2")
        credentials = {"username": INVESTIGATOR.username}
        for _ in range(SIGN_IN_DEFAULTS.free_attempts - 1):
            assert (
                sign(api, patient, "casebook", None, password="wrong one", **credentials).status_code == 422
            )
        assert sign(api, patient, "casebook", None, password=PASSWORD, **credentials).status_code == 201
        for _ in range(SIGN_IN_DEFAULTS.free_attempts - 1):
            answer = sign(api, patient, "serious-adverse-event", sae, password="wrong one", **credentials)
            assert answer.status_code == 422
        assert sign(api, patient, "serious-adverse-event", sae, password=PASSWORD).status_code == 201
