"""Every readable patient's record at once: the engines' records for a cohort file or a study flow.

Each table is read with one SELECT through the session's site scope (no query per patient);
the records are built by :func:`remission.store.assembly.record_from_rows`, the same builder
the one-patient :func:`remission.store.patient_chart.read_record` uses, so both give the same
record. The study entry date is the first enrollment's, as in ``read_record``.

Minimum necessary identifiers: the date of birth is kept only for patients at a site where the
actor sees identifiers (:meth:`Actor.sees_identifiers_at`); for the others it is left out of
the record (null: not available to this reader), never replaced by a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select

from remission.record.model import PatientRecord
from remission.store.assembly import attestations_of, record_from_rows
from remission.store.audit import record_event
from remission.store.consent_versions import is_parental_permission
from remission.store.models import (
    ConsentRecord,
    Enrollment,
    MRDMeasurement,
    Patient,
    Site,
    TreatmentPhaseRecord,
)
from remission.store.session import StudySession
from remission.store.vocabulary import AuditAction

_Row = TypeVar("_Row", ConsentRecord, Enrollment, MRDMeasurement, TreatmentPhaseRecord)


def _by_patient(rows: Iterable[_Row]) -> dict[int, list[_Row]]:
    grouped: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        grouped[row.patient_id].append(row)
    return grouped


def read_patient_records(
    session: StudySession, *, withhold: bool = True
) -> list[tuple[Patient, PatientRecord]]:
    """Every patient the actor may read with their record, ordered by study id.

    With ``withhold`` (the default) the date of birth is left out where the actor may not see
    identifiers; ``withhold=False`` is for decisions made inside the store (a screening whose
    verdict alone leaves it, as when enrolling). The patient rows are returned for callers that
    need the site or the baseline; read them inside the session.
    """
    patients = list(session.scalars(select(Patient).order_by(Patient.study_id)))
    sites = {site.id: site.code for site in session.scalars(select(Site))}
    consents = _by_patient(
        session.scalars(
            select(ConsentRecord)
            .where(is_parental_permission())
            .order_by(ConsentRecord.date.desc(), ConsentRecord.id)
        )
    )
    enrollments = _by_patient(session.scalars(select(Enrollment).order_by(Enrollment.id)))
    mrd = _by_patient(session.scalars(select(MRDMeasurement).order_by(MRDMeasurement.id)))
    phases = _by_patient(
        session.scalars(
            select(TreatmentPhaseRecord)
            .where(TreatmentPhaseRecord.actual_start.is_not(None))
            .order_by(TreatmentPhaseRecord.id)
        )
    )
    found = []
    for patient in patients:
        own = enrollments.get(patient.id, [])
        first = min(own, key=lambda e: (e.enrolled_on, e.id), default=None)
        record = record_from_rows(
            patient,
            site_code=sites.get(patient.site_id),
            consent=next(iter(consents.get(patient.id, [])), None),
            mrd=mrd.get(patient.id, []),
            phases=phases.get(patient.id, []),
            attestations=attestations_of(own),
            study_entry_date=first.enrolled_on if first is not None else None,
        )
        if (
            withhold
            and record.patient.date_of_birth
            and not session.actor.sees_identifiers_at(patient.site_id)
        ):
            record = record.model_copy(
                update={"patient": record.patient.model_copy(update={"date_of_birth": None})}
            )
        found.append((patient, record))
    return found


def read_cohort_records(session: StudySession, *, purpose: str = "cohort") -> list[PatientRecord]:
    """The records of :func:`read_patient_records` alone, ordered by study id: the rows of a
    cohort file (``remission cohort build``), dates of birth withheld as that function does.

    The read is written to the audit trail (action ``export``, entity ``cohort_records``, the
    number of records, how many with a date of birth, and ``purpose``).
    """
    records = [record for _, record in read_patient_records(session)]
    born = sum(record.patient.date_of_birth is not None for record in records)
    note = f"records={len(records)} with_date_of_birth={born} purpose={purpose}"
    record_event(session, AuditAction.EXPORT, "cohort_records", None, None, note=note)
    return records
