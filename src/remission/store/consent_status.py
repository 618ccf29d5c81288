"""Who must consent again, and which consents each child owes: read from the store, decided in
:mod:`remission.conduct.consent`.

- :func:`reconsent_list` — for one approved version, the enrolled patients (of the sites the actor
  reads) whose latest consent of that kind under the study is on an older version.
- :func:`patient_consent_actions` — per study a child is enrolled in, the parental permission,
  assent and own consent the child owes as of a date, from the study's ages (protocol parameters).
- :func:`site_consent_actions` — the actions *due* at one site.

Dates derived from a date of birth (the birthday of the assent age, of the age of majority) are
withheld from a reader who may not see the child's date of birth (:mod:`remission.store.minimum_necessary`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from remission.conduct.consent import (
    ConsentAction,
    ConsentState,
    FormVersion,
    GivenConsent,
    consent_actions,
    consent_ages,
    latest_consent,
    needs_reconsent,
)
from remission.protocols import load_protocol
from remission.record.vocabulary import ConsentGiver
from remission.store.accounts import site_by_code
from remission.store.actor import Actor
from remission.store.consent_models import ConsentFormVersion
from remission.store.consent_versions import get_consent_version, list_consent_versions
from remission.store.models import ConsentRecord, Death, Enrollment, Patient
from remission.store.patients import get_patient
from remission.store.session import StudySession


@dataclass(frozen=True, slots=True)
class ReconsentLine:
    """One enrolled patient whose latest consent of a kind is on an older version."""

    patient_id: int
    study_id: str
    latest_version: str
    latest_date: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "study_id": self.study_id,
            "latest_version": self.latest_version,
            "latest_date": self.latest_date.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ConsentActionLine:
    """One consent action of one patient under one study."""

    patient_id: int
    study_id: str
    protocol_id: str
    action: ConsentAction

    def to_dict(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "study_id": self.study_id, "protocol_id": self.protocol_id} | (
            self.action.to_dict()
        )


def _form_versions(rows: Iterable[ConsentFormVersion]) -> list[FormVersion]:
    return [FormVersion(v.kind, v.label, v.approved_on, v.retired_on, v.id) for v in rows]


def _given(rows: Iterable[ConsentRecord]) -> dict[int, list[GivenConsent]]:
    found: dict[int, list[GivenConsent]] = defaultdict(list)
    for row in rows:
        found[row.patient_id].append(
            GivenConsent(ConsentGiver(row.given_by).kind, row.form_version, row.date)
        )
    return found


def _enrolled(session: StudySession, protocol_id: str) -> list[Patient]:
    """The living patients enrolled in ``protocol_id`` that the actor reads, by study id."""
    query = (
        select(Patient)
        .join(Enrollment, Enrollment.patient_id == Patient.id)
        .where(Enrollment.protocol_id == protocol_id, Patient.id.not_in(select(Death.patient_id)))
        .order_by(Patient.study_id)
    )
    return list(session.scalars(query))


def _consents(
    session: StudySession, protocol_id: str, patient_ids: Sequence[int]
) -> dict[int, list[GivenConsent]]:
    return _given(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.protocol_id == protocol_id, ConsentRecord.patient_id.in_(patient_ids))
            .order_by(ConsentRecord.date, ConsentRecord.id)
        )
    )


def reconsent_list(session: StudySession, *, version_id: int) -> list[ReconsentLine]:
    """The enrolled, living patients the actor reads whose latest consent of the version's kind
    under its study is on an older approved version; empty for a version awaiting approval."""
    version = get_consent_version(session, version_id=version_id)
    versions = _form_versions(list_consent_versions(session, protocol_id=version.protocol_id))
    target = next(v for v in versions if v.order == version.id)
    patients = _enrolled(session, version.protocol_id)
    consents = _consents(session, version.protocol_id, [p.id for p in patients])
    lines = []
    for patient in patients:
        latest = latest_consent(consents.get(patient.id, []), version.kind)
        if latest is not None and needs_reconsent(latest, target, versions):
            lines.append(ReconsentLine(patient.id, patient.study_id, latest.label, latest.date))
    return lines


def _withheld(action: ConsentAction) -> ConsentAction:
    """The action without dates derived from the date of birth (a birthday gives the birth date away)."""
    if action.kind.value == "parental permission" or action.due_from is None:
        return action
    return replace(action, due_from=None)


def _actions(
    session: StudySession, protocol_id: str, patients: Sequence[Patient], as_of: date, actor: Actor
) -> list[ConsentActionLine]:
    ages = consent_ages(load_protocol(protocol_id).parameter_values())
    versions = _form_versions(list_consent_versions(session, protocol_id=protocol_id))
    consents = _consents(session, protocol_id, [p.id for p in patients])
    lines = []
    for patient in patients:
        shown = actor.sees_identifiers_at(patient.site_id)
        for action in consent_actions(
            ages=ages,
            born=patient.date_of_birth,
            as_of=as_of,
            versions=versions,
            consents=consents.get(patient.id, []),
        ):
            lines.append(
                ConsentActionLine(
                    patient.id, patient.study_id, protocol_id, action if shown else _withheld(action)
                )
            )
    return lines


def patient_consent_actions(
    session: StudySession, *, patient_id: int, as_of: date
) -> list[ConsentActionLine]:
    """The consent actions of one patient under every study they are enrolled in, as of ``as_of``.

    A deceased patient owes none (the list says *not applicable*).
    """
    patient = get_patient(session, patient_id=patient_id)
    protocols = sorted(
        session.scalars(select(Enrollment.protocol_id).where(Enrollment.patient_id == patient.id))
    )
    died = session.scalar(select(Death.id).where(Death.patient_id == patient.id)) is not None
    lines: list[ConsentActionLine] = []
    for protocol_id in protocols:
        if died:
            lines.extend(
                ConsentActionLine(patient.id, patient.study_id, protocol_id, action)
                for action in consent_actions(
                    ages=consent_ages({}), born=None, as_of=as_of, versions=(), consents=(), died=True
                )
            )
        else:
            lines.extend(_actions(session, protocol_id, [patient], as_of, session.actor))
    return lines


def site_consent_actions(session: StudySession, *, site_code: str, as_of: date) -> list[ConsentActionLine]:
    """The consent actions *due* at one site on ``as_of``, for its living enrolled patients."""
    site = site_by_code(session, code=site_code)
    protocols = sorted(
        set(session.scalars(select(Enrollment.protocol_id).where(Enrollment.site_id == site.id)))
    )
    lines: list[ConsentActionLine] = []
    for protocol_id in protocols:
        patients = [p for p in _enrolled(session, protocol_id) if p.site_id == site.id]
        lines.extend(
            line
            for line in _actions(session, protocol_id, patients, as_of, session.actor)
            if line.action.state is ConsentState.DUE
        )
    return sorted(lines, key=lambda line: (line.study_id, line.protocol_id))
