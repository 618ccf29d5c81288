"""The walk's study routes with a path parameter other than a patient: a site's lists, a consent
version, a user's account, a query and a lock."""

from __future__ import annotations

from typing import Any

from remission.store.vocabulary import Role

from ..helpers import (
    SITES,
    Principal,
)
from .engine import (
    CONSENT_MANAGERS,
    CONSENT_STUDY,
    WalkEngine,
    field_is,
)


class StudyRoutes(WalkEngine):
    """How the walk calls the routes of sites, consent versions, users, queries and locks."""

    def site_part(self, method: str, template: str) -> bool:
        """``/sites/{site_code}/worklist`` and ``/sdv``: every signed-in user, listing only patients they
        may read."""
        readable = {p.id for p in self.targets if self.read_status(p) == 200}

        def only_readable(answer: Any) -> str | None:
            body = answer.json()
            lines = body["patients"] if isinstance(body, dict) else body
            shown = {line["patient_id"] for line in lines}
            return None if shown <= readable else f"lists patients {sorted(shown - readable)}"

        for code in SITES:
            self.call(method, template, template.format(site_code=code), 200, check=only_readable)
        return True

    def consent_version(self, method: str, template: str, part: str | None) -> bool:
        """``/consent-versions/{version_id}`` (changed by administrators and data managers) and its
        re-consent list (read by everyone, listing only patients the principal may read)."""
        version_id = self.api.add_consent_version(self.unique("walk")[-60:], CONSENT_STUDY)
        url = template.format(version_id=version_id)
        if method == "PATCH" and part is None:
            body = {"version": 1, "reason": "walk", "note": "walk"}
            self.call(method, template, url, 200 if self.who.role in CONSENT_MANAGERS else 403, json=body)
            return True
        if method == "GET" and part == "reconsent":
            readable = {p.id for p in self.targets if self.read_status(p) == 200}

            def only_readable(answer: Any) -> str | None:
                shown = {line["patient_id"] for line in answer.json()}
                return None if shown <= readable else f"lists patients {sorted(shown - readable)}"

            self.call(method, template, url, 200, check=only_readable)
            return True
        return False

    def user(self, method: str, template: str, part: str) -> bool:
        """``/users/{user_id}/active`` and ``/roles``: administrators only, on a user made for the walk."""
        target = self.api.user_id(Principal(Role.INVESTIGATOR, "SNU"))
        url = template.format(user_id=target)
        body: dict[str, Any] = (
            {"active": True, "reason": "walk"}
            if part == "active"
            else {"roles": [{"role": "investigator", "site": "SNU"}], "reason": "walk"}
        )
        self.call(method, template, url, 200 if self.who.role is Role.ADMIN else 403, json=body)
        return True

    def query(self, method: str, template: str, step: str | None) -> bool:
        """``/queries/{query_id}`` and its steps, on a fresh query of each site's patient."""
        for target in self.targets:
            query_id = self.api.add_query(target.id, closed=step == "reopen")
            url = template.format(query_id=query_id)
            if method == "GET" and step is None:
                self.call(method, template, url, self.read_status(target), check=field_is("id", query_id))
            elif method == "POST" and step == "answer":
                body = {"version": 1, "text": "Checked against the lab report"}
                self.call(method, template, url, self.write_status(target, 200), json=body)
            elif method == "POST" and step in ("close", "reopen"):
                body = {"version": 2 if step == "reopen" else 1, "text": "walk"}
                self.call(method, template, url, self.review_status(target, 200), json=body)
            else:
                return False
        return True

    def lock_release(self, method: str, template: str) -> bool:
        """``/locks/{lock_id}/release``: a fresh freeze of a form of each site's patient, released."""
        for target in self.targets:
            lock_id = self.api.add_freeze(target.id)
            body = {"version": 1, "reason": "walk: entered in error"}
            self.call(
                method, template, template.format(lock_id=lock_id), self.lock_status(target, 200), json=body
            )
        return True
