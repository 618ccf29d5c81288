"""The walk's routes without path parameters: the patient list, sites, users, the audit trail,
queries, signatures, locks and consent versions."""

from __future__ import annotations

from typing import Any

from remission.api.app import API_PREFIX
from remission.store.vocabulary import Role

from ..helpers import (
    EVENT_BODIES,
    PASSWORD,
    SITES,
    column_values,
    patient_body,
)
from .engine import (
    AUDIT_READERS,
    CONSENT_MANAGERS,
    CONSENT_STUDY,
    PLAIN,
    WalkEngine,
    ids_are,
)


class PlainRoutes(WalkEngine):
    """How the walk calls each route without path parameters."""

    def plain(self, method: str, template: str) -> bool:
        """Routes without path parameters: sites, users, the patient list, the audit trail."""
        url = template
        admin = self.who.role is Role.ADMIN
        if (method, template) == ("GET", f"{API_PREFIX}/patients"):
            expected_ids = sorted(p.id for p in self.targets if self.read_status(p) == 200)
            self.call(method, template, url, 200, check=ids_are(expected_ids))
            if self.who.site is not None:
                other = next(code for code in SITES if code != self.who.site)
                self.call(method, template, url, 200, params={"site": other}, check=ids_are([]))
            return True
        if (method, template) == ("POST", f"{API_PREFIX}/patients"):
            for target in self.targets:
                body = patient_body(target.record, self.unique("WALK"), site=target.site)
                expected = self.write_status(target, 201)
                if self.who.site is not None and not self.own(target):
                    expected = 403  # the sites are public; writing at another one is refused
                self.call(method, template, url, expected, json=body)
            return True
        if (method, template) == ("GET", f"{API_PREFIX}/audit"):
            expected = 200 if self.who.role in AUDIT_READERS else 403
            self.call(method, template, url, expected, params={"limit": 5})
            return True
        if (method, template) == ("POST", f"{API_PREFIX}/sites"):
            code = self.unique("S")[-40:].lstrip("-")
            self.call(method, template, url, 201 if admin else 403, json={"code": code, "name": "New site"})
            return True
        if (method, template) == ("POST", f"{API_PREFIX}/users"):
            body = {
                "username": self.unique("u"),
                "full_name": "New user",
                "password": "plinth gravel mango sofa",
                "role": "coordinator",
                "site": "SEV",
            }
            self.call(method, template, url, 201 if admin else 403, json=body)
            return True
        if (method, template) == ("GET", f"{API_PREFIX}/users"):
            self.call(method, template, url, 200 if admin else 403)
            return True
        if (method, template) == ("GET", f"{API_PREFIX}/queries"):
            readable = {p.id for p in self.targets if self.read_status(p) == 200}

            def only_readable(answer: Any) -> str | None:
                shown = {query["patient_id"] for query in answer.json()}
                return None if shown <= readable else f"lists queries of patients {sorted(shown - readable)}"

            self.call(method, template, url, 200, check=only_readable)
            for code in SITES:
                params = {"site": code, "state": ["open", "answered"], "waiting_for_me": "true"}
                self.call(method, template, url, 200, params=params, check=only_readable)
            return True
        if (method, template) == ("POST", f"{API_PREFIX}/signatures"):
            for target in self.targets:
                expected = 404 if self.who.site not in (None, target.site) else 422
                if self.who.role is Role.INVESTIGATOR and self.own(target):
                    expected = 201
                body = {
                    "units": [{"patient_id": target.id, "unit": "casebook"}],
                    "meaning": "approval",
                    "username": self.who.username,
                    "password": PASSWORD,
                }
                self.call(method, template, url, expected, json=body)
            return True
        if (method, template) == ("POST", f"{API_PREFIX}/locks"):
            for target in self.targets:
                row_id = self.api.add_row(
                    "adverse-events",
                    target.id,
                    column_values("adverse-events", EVENT_BODIES["adverse-events"]),
                )
                body = {
                    "level": "form",
                    "state": "frozen",
                    "patient_id": target.id,
                    "form": "adverse-events",
                    "row_id": row_id,
                    "reason": "walk",
                }
                self.call(method, template, url, self.lock_status(target, 201), json=body)
            return True
        if (method, template) == ("POST", f"{API_PREFIX}/consent-versions"):
            body = {
                "protocol_id": CONSENT_STUDY,
                "kind": "parental permission",
                "label": self.unique("v")[-60:],
            }
            self.call(method, template, url, 201 if self.who.role in CONSENT_MANAGERS else 403, json=body)
            return True
        if method == "GET" and PLAIN.match(template):
            # Any other plain read (sites, who am I, ...) is open to every signed-in user.
            self.call(method, template, url, 200)
            return True
        return False
