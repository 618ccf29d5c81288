"""The route × role × site walk: every route of the API, for every role, on both sites' patients.

The routes come from the app's OpenAPI document; the walk only knows how to make a
valid body per route *family*. A route it cannot walk is left out of the walked set,
and the walked set must equal the OpenAPI set (less sign-in and health), so a route
added without coverage here fails the walk.

Rules checked:

- a site role gets 404 (never 403, never 200) for every method on another site's
  patient ids and row ids, and succeeds on its own site's;
- study-level roles read everything except direct identifiers (404);
- statistician, monitor and admin get 403 on clinical writes; the data manager writes;
- the audit trail is read by admin, data manager and monitor only (403 for the rest);
- data queries are opened, closed and re-opened by the data manager and monitor, answered by
  whoever writes the patient's data; another site's query is a 404 for a site role;
- source data is marked verified by the monitor only (403 for the other roles, 404 on another
  site's patient for a site role); a site's SDV worklist lists only patients the caller may read;
- sites and users are made by the admin only; consent form versions are registered and changed by
  the admin and the data manager only, read by everyone, and their re-consent lists hold only
  patients the principal may read;
- a signature is made by a signer the patient's protocol names (the investigator, after the walk
  enrolled the patient) at the patient's site, with the password; anyone else is refused (422,
  or 404 for another site's patient); the required signatures read like the patient;
- freezes and locks are set and released by the data manager and admin only (403), another
  site's patient or lock is a 404 to a site role;
- each principal reads, marks and sets only their own notifications and preferences; another
  user's notification id is a 404;
- a casebook PDF is read like the patient (another site's is a 404); read back as text it names the
  patient's study id, holds the audit appendix only for audit readers and the date of birth only for
  roles of the patient's site;
- a child's date of birth appears in no answer (patient, list, record, enrollment, risk
  trace, audit trail) to a principal without a role at the child's site.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from tests.documents.casebook_world import pdf_text

from remission.api.app import API_PREFIX
from remission.store import NotificationKind, notify
from remission.store.models import Patient
from remission.store.notification_models import Notification
from remission.store.vocabulary import Role

from .helpers import (
    EVENT_BODIES,
    EVENT_CHANGES,
    MISSING_CODE_BODY,
    PASSWORD,
    PRINCIPALS,
    QUERY_BODY,
    SDV_BODY,
    SITES,
    Api,
    Principal,
    SeededPatient,
    add_missing_code,
    column_values,
    enrollment_body,
    missing_code_version,
    openapi_operations,
    patient_body,
    row_version,
)

#: Operations the walk leaves to other tests: signing in and the health check.
NOT_WALKED = re.compile(rf"^{re.escape(API_PREFIX)}/(auth/|health$)")
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
AUDIT_READERS = frozenset({Role.ADMIN, Role.DATA_MANAGER, Role.MONITOR})
CLINICAL_WRITERS = frozenset({Role.DATA_MANAGER, Role.INVESTIGATOR, Role.COORDINATOR})
QUERY_REVIEWERS = frozenset({Role.DATA_MANAGER, Role.MONITOR})
SDV_VERIFIERS = frozenset({Role.MONITOR})

P = re.escape(API_PREFIX)
PATIENTS = re.compile(rf"^{P}/patients$")
PATIENT = re.compile(rf"^{P}/patients/\{{patient_id\}}$")
PATIENT_PART = re.compile(rf"^{P}/patients/\{{patient_id\}}/(?P<part>[a-z-]+)$")
EVENT_ROW = re.compile(rf"^{P}/patients/\{{patient_id\}}/(?P<part>[a-z-]+)/\{{row_id\}}$")
PLAIN = re.compile(rf"^{P}/[a-z/-]+$")
USER = re.compile(rf"^{P}/users/\{{user_id\}}/(?P<part>active|roles)$")
CODE_ROW = re.compile(rf"^{P}/patients/\{{patient_id\}}/missing-codes/\{{code_id\}}$")
SITE_PART = re.compile(rf"^{P}/sites/\{{site_code\}}/(?P<part>worklist|consent-actions|sdv)$")
CONSENT_VERSION = re.compile(rf"^{P}/consent-versions/\{{version_id\}}(/(?P<part>reconsent))?$")
CONSENT_MANAGERS = frozenset({Role.ADMIN, Role.DATA_MANAGER})
#: The walk registers consent versions of a study its patients are not enrolled in, so the
#: enrollments it walks (NCT06516679, on consents naming no study) are not refused for them.
CONSENT_STUDY = "INTERFANT-06"
QUERY = re.compile(rf"^{P}/queries/\{{query_id\}}(/(?P<step>answer|close|reopen))?$")
REQUIRED_SIGNATURES = re.compile(rf"^{P}/patients/\{{patient_id\}}/signatures/required$")
LOCK_RELEASE = re.compile(rf"^{P}/locks/\{{lock_id\}}/release$")
LOCK_SETTERS = frozenset({Role.DATA_MANAGER, Role.ADMIN})
NOTIFICATION = re.compile(rf"^{P}/notifications/\{{notification_id\}}/read$")
CASEBOOK = re.compile(rf"^{P}/patients/\{{patient_id\}}/casebook\.pdf$")


def walked_operations(app: Any) -> set[tuple[str, str]]:
    """The operations the walk must cover: the OpenAPI set less sign-in and health."""
    return {op for op in openapi_operations(app) if not NOT_WALKED.match(op[1])}


@dataclass
class Walk:
    """One principal's walk: the operations walked and every answer that broke a rule."""

    api: Api
    who: Principal
    walked: set[tuple[str, str]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    counter: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return self.api.headers(self.who)

    @property
    def targets(self) -> list[SeededPatient]:
        """Own site's patient first, then the other site's; both for study-level roles."""
        patients = sorted(self.api.patients.values(), key=lambda p: p.site != self.who.site)
        return patients

    def unique(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}-{self.who.username}-{self.counter}"

    def call(
        self,
        method: str,
        template: str,
        url: str,
        expected: int,
        *,
        check: Callable[[Any], str | None] | None = None,
        **options: Any,
    ) -> Any:
        """Make one request; record the operation as walked and any broken rule."""
        self.walked.add((method, template))
        answer = self.api.client.request(method, url, headers=self.headers, **options)
        if answer.status_code != expected:
            self.failures.append(
                f"{self.who.label} {method} {url} {options.get('json') or options.get('params') or ''}: "
                f"got {answer.status_code}, expected {expected}: {answer.text[:300]}"
            )
        elif check is not None and answer.is_success and (problem := check(answer)) is not None:
            self.failures.append(f"{self.who.label} {method} {url}: {problem}")
        if answer.is_success and (leaked := self.birth_dates_seen(answer.text)):
            self.failures.append(
                f"{self.who.label} {method} {url}: shows the date of birth of {', '.join(leaked)}"
            )
        return answer

    def birth_dates_seen(self, text: str) -> list[str]:
        """Seeded patients of sites where the principal holds no role whose date of birth is in ``text``."""
        return [
            f"{target.site} patient {target.id}"
            for target in self.targets
            if not self.own(target) and target.record["patient"]["date_of_birth"] in text
        ]

    # -- expectations -------------------------------------------------------------

    def own(self, target: SeededPatient) -> bool:
        return self.who.site == target.site

    def read_status(self, target: SeededPatient) -> int:
        return 200 if self.who.site is None or self.own(target) else 404

    def write_status(self, target: SeededPatient, success: int) -> int:
        if self.who.site is not None:
            return success if self.own(target) else 404
        return success if self.who.role in CLINICAL_WRITERS else 403

    def review_status(self, target: SeededPatient, success: int) -> int:
        """Opening, closing and re-opening a query: data managers and monitors only."""
        if self.who.site is not None and not self.own(target):
            return 404
        return success if self.who.role in QUERY_REVIEWERS else 403

    def lock_status(self, target: SeededPatient, success: int) -> int:
        """Freezing, locking and releasing: data managers and admins; another site's patient is a 404."""
        if self.who.site is not None and not self.own(target):
            return 404
        return success if self.who.role in LOCK_SETTERS else 403

    def wrote(self, target: SeededPatient) -> bool:
        return self.write_status(target, 200) == 200

    # -- route families -----------------------------------------------------------

    def plain(self, method: str, template: str) -> bool:
        """Routes without path parameters: sites, users, the patient list, the audit trail."""
        url = template
        admin = self.who.role is Role.ADMIN
        if (method, template) == ("GET", f"{API_PREFIX}/patients"):
            expected_ids = sorted(p.id for p in self.targets if self.read_status(p) == 200)
            self.call(method, template, url, 200, check=_ids_are(expected_ids))
            if self.who.site is not None:
                other = next(code for code in SITES if code != self.who.site)
                self.call(method, template, url, 200, params={"site": other}, check=_ids_are([]))
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
        if template.startswith(f"{API_PREFIX}/notifications"):
            return self.own_notifications(method, template)
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

    def own_notifications(self, method: str, template: str) -> bool:
        """The inbox, marking all read and the preferences: every principal, their own only."""
        mine = self._notification(self.who)

        def only_mine(answer: Any) -> str | None:
            shown = {line["id"] for line in answer.json()["notifications"]}
            return None if mine in shown and shown <= self.api.notifications[self.who] else f"shows {shown}"

        if (method, template) == ("GET", f"{API_PREFIX}/notifications"):
            self.call(method, template, template, 200, check=only_mine)
        elif (method, template) == ("POST", f"{API_PREFIX}/notifications/read-all") or (method, template) == (
            "GET",
            f"{API_PREFIX}/notifications/preferences",
        ):
            self.call(method, template, template, 200)
        elif (method, template) == ("PUT", f"{API_PREFIX}/notifications/preferences"):
            body = {"email": f"{self.who.username}@walk.example", "kinds": [
                {"kind": "risk group", "in_app": False, "by_email": False}
            ]}  # fmt: skip
            self.call(method, template, template, 200, json=body, check=_field_is("email", body["email"]))
        else:
            return False
        return True

    def notification(self, method: str, template: str) -> bool:
        """``/notifications/{id}/read``: one's own is marked; another principal's is a 404."""
        if method != "POST":
            return False
        mine = self._notification(self.who)
        other = next(who for who in PRINCIPALS if who != self.who)
        theirs = self._notification(other)
        self.call(method, template, template.format(notification_id=mine), 200, check=_field_is("id", mine))
        self.call(method, template, template.format(notification_id=theirs), 404)
        return True

    def _notification(self, who: Principal) -> int:
        """A notification in ``who``'s inbox, written by the system."""
        user_id = self.api.user_id(who)
        with self.api.store.session(self.api.system) as session:
            notify(session, kind=NotificationKind.TRIAL_MATCH, summary="walk", recipients=[user_id])
        with self.api.store.session(self.api.system) as session:
            found = session.scalars(select(Notification.id).where(Notification.user_id == user_id)).all()
        self.api.notifications[who] = set(found)
        return max(found)

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

    def patient(self, method: str, template: str) -> bool:
        """``/patients/{patient_id}``: read and change a patient."""
        for target in self.targets:
            url = template.format(patient_id=target.id)
            if method == "GET":
                answer = self.call(
                    method, template, url, self.read_status(target), check=_field_is("id", target.id)
                )
                if answer.status_code == 404:
                    # Another site's patient must look exactly like a patient that does not exist.
                    missing = template.format(patient_id=10**6)
                    absent = self.api.client.get(missing, headers=self.headers)
                    if (absent.status_code, absent.json()) != (404, answer.json()):
                        self.failures.append(f"{self.who.label}: 404 of {url} differs from {missing}")
            elif method == "PATCH":
                version = self._patient_version(target)
                body = {
                    "version": version,
                    "reason": "walk: corrected count",
                    "baseline": {"wbc_at_diagnosis_1e9_per_l": 100.0 + self.counter},
                }
                self.counter += 1
                answer = self.call(method, template, url, self.write_status(target, 200), json=body)
                if answer.status_code == 200 and answer.json()["version"] != version + 1:
                    self.failures.append(f"{self.who.label} PATCH {url}: version did not go up")
            else:
                return False
        return True

    def patient_part(self, method: str, template: str, part: str) -> bool:
        """``/patients/{patient_id}/<part>``: identifiers, record, enrollments, course rows."""
        for target in self.targets:
            url = template.format(patient_id=target.id)
            if method == "GET" and part == "identifiers":
                expected = 200 if self.own(target) else 404
                self.call(method, template, url, expected, check=_field_is("full_name", target.full_name))
            elif method == "GET":
                self.call(method, template, url, self.read_status(target))
            elif method == "POST" and part == "enrollments":
                body = enrollment_body(target.record)
                self.call(method, template, url, self.write_status(target, 201), json=body)
            elif method == "POST" and part == "sdv":
                expected = 404 if self.who.site is not None and not self.own(target) else 403
                expected = 201 if self.who.role in SDV_VERIFIERS else expected
                self.call(method, template, url, expected, json=SDV_BODY)
            elif method == "POST" and part == "queries":
                self.call(method, template, url, self.review_status(target, 201), json=QUERY_BODY)
            elif method == "POST" and part == "missing-codes":
                answer = self.call(
                    method, template, url, self.write_status(target, 201), json=MISSING_CODE_BODY
                )
                if answer.status_code == 201:
                    self.rows[part, target.site] = answer.json()["id"]
            elif method == "POST" and part in EVENT_BODIES:
                expected = self.write_status(target, 201)
                answer = self.call(method, template, url, expected, json=EVENT_BODIES[part])
                if answer.status_code == 201:
                    self.rows[part, target.site] = answer.json()["id"]
            else:
                return False
        return True

    def event_row(self, method: str, template: str, part: str) -> bool:
        """``/patients/{patient_id}/<part>/{row_id}``: read, change, delete a course row."""
        if part not in EVENT_BODIES or method not in ("GET", "PATCH", "DELETE"):
            return False
        for target in self.targets:
            row_id = self._row(part, target)
            url = template.format(patient_id=target.id, row_id=row_id)
            self._row_call(method, template, url, part, target, row_id)
            if self.who.site is not None and not self.own(target):
                # Another site's row id under the principal's own patient id: not found either.
                own = self.targets[0]
                url = template.format(patient_id=own.id, row_id=row_id)
                self._row_call(method, template, url, part, target, row_id)
        return True

    def query(self, method: str, template: str, step: str | None) -> bool:
        """``/queries/{query_id}`` and its steps, on a fresh query of each site's patient."""
        for target in self.targets:
            query_id = self.api.add_query(target.id, closed=step == "reopen")
            url = template.format(query_id=query_id)
            if method == "GET" and step is None:
                self.call(method, template, url, self.read_status(target), check=_field_is("id", query_id))
            elif method == "POST" and step == "answer":
                body = {"version": 1, "text": "Checked against the lab report"}
                self.call(method, template, url, self.write_status(target, 200), json=body)
            elif method == "POST" and step in ("close", "reopen"):
                body = {"version": 2 if step == "reopen" else 1, "text": "walk"}
                self.call(method, template, url, self.review_status(target, 200), json=body)
            else:
                return False
        return True

    def required_signatures(self, method: str, template: str) -> bool:
        """``/patients/{patient_id}/signatures/required``: read like the patient."""
        for target in self.targets:
            self.call(method, template, template.format(patient_id=target.id), self.read_status(target))
        return True

    def casebook(self, method: str, template: str) -> bool:
        """``/patients/{patient_id}/casebook.pdf``: read like the patient; its content follows the role."""
        for target in self.targets:
            self.call(
                method,
                template,
                template.format(patient_id=target.id),
                self.read_status(target),
                check=lambda answer, target=target: self._casebook_problem(answer, target),
            )
        return True

    def _casebook_problem(self, answer: Any, target: SeededPatient) -> str | None:
        """What is wrong with a casebook PDF for this principal: the patient, the date of birth, the trail."""
        text = pdf_text(answer.content)
        with self.api.store.session(self.api.system) as session:
            study_id = session.get(Patient, target.id).study_id
        born = target.record["patient"]["date_of_birth"]
        withheld = "The audit-trail appendix is withheld" in text
        problems = [
            (f"Casebook of {study_id}" not in text, f"names no {study_id}"),
            (not self.own(target) and born in text, "prints the date of birth"),
            (self.own(target) and born not in text, "misses the date of birth"),
            (withheld == (self.who.role in AUDIT_READERS), "has the audit appendix wrongly in or out"),
        ]
        return "; ".join(problem for wrong, problem in problems if wrong) or None

    def lock_release(self, method: str, template: str) -> bool:
        """``/locks/{lock_id}/release``: a fresh freeze of a form of each site's patient, released."""
        for target in self.targets:
            lock_id = self.api.add_freeze(target.id)
            body = {"version": 1, "reason": "walk: entered in error"}
            self.call(
                method, template, template.format(lock_id=lock_id), self.lock_status(target, 200), json=body
            )
        return True

    def missing_code(self, method: str, template: str) -> bool:
        """``/patients/{patient_id}/missing-codes/{code_id}``: clear a code, with its version and a reason."""
        if method != "DELETE":
            return False
        for target in self.targets:
            if ("missing-codes", target.site) not in self.rows:
                self.rows["missing-codes", target.site] = add_missing_code(self.api, target.id)
            code_id = self.rows["missing-codes", target.site]
            urls = [template.format(patient_id=target.id, code_id=code_id)]
            if self.who.site is not None and not self.own(target):
                # Another site's code under the principal's own patient id: not found either.
                urls.append(template.format(patient_id=self.targets[0].id, code_id=code_id))
            for url in urls:
                params = {
                    "version": missing_code_version(self.api, code_id) or 1,
                    "reason": "walk: coded in error",
                }
                answer = self.call(method, template, url, self.write_status(target, 204), params=params)
                if answer.status_code == 204:
                    self.rows.pop(("missing-codes", target.site), None)
        return True

    def _row_call(
        self, method: str, template: str, url: str, part: str, target: SeededPatient, row_id: int
    ) -> None:
        version = row_version(self.api, part, row_id)
        if version is None:
            self.failures.append(
                f"{self.who.label} {method} {url}: row {row_id} was deleted by an earlier call"
            )
            version = 1
        if method == "GET":
            self.call(method, template, url, self.read_status(target), check=_field_is("id", row_id))
        elif method == "PATCH":
            body = {"version": version, "reason": "walk: corrected", **EVENT_CHANGES[part]}
            self.call(method, template, url, self.write_status(target, 200), json=body)
        else:
            params = {"version": version, "reason": "walk: entered in error"}
            answer = self.call(method, template, url, self.write_status(target, 204), params=params)
            if answer.status_code == 204:
                self.rows.pop((part, target.site), None)

    def _row(self, part: str, target: SeededPatient) -> int:
        """The row the walk made for ``target``, or one made now by the system."""
        if (part, target.site) not in self.rows:
            values = column_values(part, EVENT_BODIES[part])
            self.rows[part, target.site] = self.api.add_row(part, target.id, values)
        return self.rows[part, target.site]

    def _patient_version(self, target: SeededPatient) -> int:
        with self.api.store.session(self.api.system) as session:
            return session.get(Patient, target.id).version

    def run(self, operations: set[tuple[str, str]]) -> None:
        for method, template in sorted(operations, key=lambda op: (op[1], METHOD_ORDER.get(op[0], 9))):
            if PATIENTS.match(template) or PLAIN.match(template):
                self.plain(method, template)
            elif PATIENT.match(template):
                self.patient(method, template)
            elif CASEBOOK.match(template):
                self.casebook(method, template)
            elif match := PATIENT_PART.match(template):
                self.patient_part(method, template, match["part"])
            elif CODE_ROW.match(template):
                self.missing_code(method, template)
            elif match := EVENT_ROW.match(template):
                self.event_row(method, template, match["part"])
            elif match := USER.match(template):
                self.user(method, template, match["part"])
            elif SITE_PART.match(template):
                self.site_part(method, template)
            elif match := CONSENT_VERSION.match(template):
                self.consent_version(method, template, match["part"])
            elif match := QUERY.match(template):
                self.query(method, template, match["step"])
            elif REQUIRED_SIGNATURES.match(template):
                self.required_signatures(method, template)
            elif LOCK_RELEASE.match(template):
                self.lock_release(method, template)
            elif NOTIFICATION.match(template):
                self.notification(method, template)
            # Anything else is not walked, and the coverage assertion names it.


def registered_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every API route, looking into included routers (FastAPI may keep
    them unflattened in ``app.routes``)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from registered_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield from ((method, prefix + route.path) for method in route.methods if method != "HEAD")


def _ids_are(expected: list[int]) -> Callable[[Any], str | None]:
    def check(answer: Any) -> str | None:
        got = sorted(item["id"] for item in answer.json())
        return None if got == expected else f"listed ids {got}, expected {expected}"

    return check


def _field_is(name: str, value: object) -> Callable[[Any], str | None]:
    def check(answer: Any) -> str | None:
        got = answer.json().get(name)
        return None if got == value else f"{name} is {got!r}, expected {value!r}"

    return check


class TestRouteTable:
    def test_every_api_route_is_in_the_openapi_document(self, api: Api):
        """Every route registered under /api/v1 is documented, so the walk, reading the document, sees it."""
        app = api.client.app
        registered = {
            (method, path)
            for method, path in registered_routes(app.routes)
            if path.startswith(f"{API_PREFIX}/")
        }
        assert registered == openapi_operations(app)

    def test_the_walk_has_something_to_walk(self, api: Api):
        """The walked set includes patient, course-row, account and audit routes."""
        operations = walked_operations(api.client.app)
        paths = {path for _, path in operations}
        assert f"{API_PREFIX}/patients/{{patient_id}}/mrd/{{row_id}}" in paths
        assert f"{API_PREFIX}/audit" in paths
        assert ("POST", f"{API_PREFIX}/auth/token") not in operations
        assert len(operations) > 40

    def test_a_route_the_walk_cannot_walk_is_left_out_of_the_walked_set(self, api: Api):
        """Routes of a family the walk has no body or rule for are not walked, so the coverage check fails."""
        extra = {
            ("POST", f"{API_PREFIX}/patients/{{patient_id}}/vaccinations"),
            ("PATCH", f"{API_PREFIX}/patients/{{patient_id}}/vaccinations/{{row_id}}"),
            ("GET", f"{API_PREFIX}/reports/{{report_id}}"),
            ("DELETE", f"{API_PREFIX}/sites"),
        }
        walk = Walk(api, Principal(Role.ADMIN))
        walk.run(extra)
        assert walk.walked == set()
        assert walk.failures == []

    def test_the_walk_notices_answers_of_the_wrong_site(self, api: Api):
        """A walk expecting SEV's answers while signed in at SNU reports the swapped 200s and 404s."""
        walk = ImpostorWalk(api, Principal(Role.INVESTIGATOR, "SEV"))
        walk.run(walked_operations(api.client.app))
        own, other = api.patients["SEV"].id, api.patients["SNU"].id
        assert any(
            f"GET {API_PREFIX}/patients/{own} " in f and "got 404, expected 200" in f for f in walk.failures
        )
        assert any(
            f"GET {API_PREFIX}/patients/{other} " in f and "got 200, expected 404" in f for f in walk.failures
        )
        # SNU's child's date of birth, which the impostor may see, counts as a leak to SEV.
        assert any(f"shows the date of birth of SNU patient {other}" in f for f in walk.failures)


class ImpostorWalk(Walk):
    """A walk that expects one principal's answers but sends another principal's token."""

    impostor: Principal = Principal(Role.INVESTIGATOR, "SNU")

    @property
    def headers(self) -> dict[str, str]:
        return self.api.headers(self.impostor)


@pytest.mark.parametrize("who", PRINCIPALS, ids=lambda who: who.label)
class TestIsolationWalk:
    def test_every_route_answers_by_role_and_site(self, api: Api, who: Principal):
        """Every route, on both sites' patients and rows, answers as the principal's role and site allow."""
        operations = walked_operations(api.client.app)
        walk = Walk(api, who)
        walk.run(operations)
        assert walk.failures == [], "\n".join(walk.failures)
        assert walk.walked == operations, f"not walked: {sorted(operations - walk.walked)}"
