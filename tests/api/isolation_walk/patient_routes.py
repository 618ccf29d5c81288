"""The walk's patient routes: a patient, its parts (identifiers, record, enrollments, course rows),
its rows and missing codes, its casebook and required signatures."""

from __future__ import annotations

from typing import Any

from tests.documents.casebook_world import pdf_text

from remission.store.models import Patient

from ..helpers import (
    EVENT_BODIES,
    EVENT_CHANGES,
    MISSING_CODE_BODY,
    QUERY_BODY,
    SDV_BODY,
    SeededPatient,
    add_missing_code,
    column_values,
    enrollment_body,
    missing_code_version,
    row_version,
)
from .engine import (
    AUDIT_READERS,
    SDV_VERIFIERS,
    WalkEngine,
    field_is,
)


class PatientRoutes(WalkEngine):
    """How the walk calls ``/patients/{patient_id}`` and the routes below it."""

    def patient(self, method: str, template: str) -> bool:
        """``/patients/{patient_id}``: read and change a patient."""
        for target in self.targets:
            url = template.format(patient_id=target.id)
            if method == "GET":
                answer = self.call(
                    method, template, url, self.read_status(target), check=field_is("id", target.id)
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
                self.call(method, template, url, expected, check=field_is("full_name", target.full_name))
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
            self.call(method, template, url, self.read_status(target), check=field_is("id", row_id))
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
