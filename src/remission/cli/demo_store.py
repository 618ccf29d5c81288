"""Loading the example patients into the embedded study store for the demo."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select

from remission.protocols import Protocol, Verdict
from remission.record.model import PatientRecord
from remission.store.accounts import add_site
from remission.store.actor import Actor
from remission.store.audit import verify_chain
from remission.store.database import Store
from remission.store.enrollment import enroll_patient
from remission.store.events import create_row
from remission.store.migrations_api import upgrade
from remission.store.models import ConsentRecord, MRDMeasurement, Patient, Site
from remission.store.patients import BASELINE_FIELDS, register_patient
from remission.store.risk import latest_assignment


def _load_one(store: Store, record: PatientRecord, protocol: Protocol, eligible: bool) -> None:
    operator = Actor.for_system("demo")
    with store.session(operator) as session:
        if session.scalar(select(Patient).where(Patient.study_id == record.patient.study_id)):
            return
        site = session.scalar(select(Site).where(Site.code == record.patient.site))
        site = site or add_site(
            session, code=record.patient.site or "DEMO", name=f"Demo site {record.patient.site}"
        )
        baseline = record.model_dump(mode="json", include=set(BASELINE_FIELDS), exclude_none=True)
        patient = register_patient(
            session,
            study_id=record.patient.study_id,
            site_id=site.id,
            sex=record.patient.sex,
            date_of_birth=record.patient.date_of_birth,
            baseline=baseline,
            identifiers=None,
            today=date.today(),
        )
        if record.consent is not None:
            create_row(session, ConsentRecord, patient.id, record.consent.model_dump())
        if eligible and record.study_entry_date is not None:
            enroll_patient(
                session,
                patient.id,
                protocol_id=protocol.id,
                enrolled_on=record.study_entry_date,
                attestations=record.attestations,
            )
        for result in record.mrd:
            create_row(session, MRDMeasurement, patient.id, result.model_dump())


def load_examples(
    store: Store, records: list[PatientRecord], verdicts: list[Verdict], protocol: Protocol
) -> dict[str, object]:
    """Create the schema, load the records (enrolling the eligible), and summarise the store."""
    upgrade(store.engine)
    for record, verdict in zip(records, verdicts, strict=True):
        _load_one(store, record, protocol, verdict is Verdict.ELIGIBLE)
    with store.session(Actor.for_system("demo")) as session:
        patients = list(session.scalars(select(Patient)))
        groups = Counter(
            (
                assignment.risk_group
                if (assignment := latest_assignment(session, p.id, protocol.id))
                else "not enrolled"
            )
            for p in patients
        )
    with store.engine.connect() as connection:
        chain = verify_chain(connection)
    return {
        "patients": len(patients),
        "risk_groups": dict(sorted(groups.items())),
        "audit_entries": chain.entries,
        "audit_intact": chain.intact,
    }
