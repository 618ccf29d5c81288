"""Loading the demo into a study store: the example patients and the synthetic cohort.

Everything is written through the store's public functions (registration, enrollment with
screening, MRD results that re-run risk stratification, course rows), so the audit trail covers
the demo like any other data.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from remission.demo.accounts import create_demo_accounts
from remission.demo.cohort import SYNTHETIC_PREFIX, SYNTHETIC_PROTOCOL, SYNTHETIC_SITES, SyntheticPatient
from remission.demo.conduct import load_conduct_examples
from remission.demo.consent import consent_label, register_consent_versions
from remission.demo.signing import load_signing_examples
from remission.demo.source_verification import load_sdv_examples
from remission.protocols import Protocol, Verdict
from remission.record.model import Attestation, PatientRecord
from remission.record.vocabulary import AttestedOutcome
from remission.store import (
    BASELINE_FIELDS,
    Actor,
    Store,
    StudySession,
    add_site,
    course_kind,
    create_row,
    current_risk_groups,
    enroll_patient,
    find_patient,
    list_patients,
    list_sites,
    register_patient,
    study_ids,
    upgrade,
)

#: Patients written per transaction: a failed batch leaves no half-written patient behind.
_BATCH = 40
_OPERATOR = Actor.for_system("demo")


def _load_one(store: Store, record: PatientRecord, protocol: Protocol, eligible: bool) -> None:
    with store.session(_OPERATOR) as session:
        if find_patient(session, study_id=record.patient.study_id) is not None:
            return
        sites = {site.code: site.id for site in list_sites(session)}
        code = record.patient.site or "DEMO"
        site_id = sites.get(code) or add_site(session, code=code, name=f"Demo site {code}").id
        baseline = record.model_dump(mode="json", include=set(BASELINE_FIELDS), exclude_none=True)
        patient = register_patient(
            session,
            study_id=record.patient.study_id,
            site_id=site_id,
            sex=record.patient.sex,
            date_of_birth=record.patient.date_of_birth,
            baseline=baseline,
            identifiers=None,
            today=date.today(),
        )
        if record.consent is not None:
            consents = course_kind("consents").model
            create_row(session, model=consents, patient_id=patient.id, values=record.consent.model_dump())
        if eligible and record.study_entry_date is not None:
            enroll_patient(
                session,
                patient_id=patient.id,
                protocol_id=protocol.id,
                enrolled_on=record.study_entry_date,
                attestations=record.attestations,
            )
        for result in record.mrd:
            create_row(
                session, model=course_kind("mrd").model, patient_id=patient.id, values=result.model_dump()
            )


def _write_synthetic(session: StudySession, child: SyntheticPatient, sites: dict[str, int]) -> None:
    """Register, consent and enroll one synthetic child, then write its course row by row."""
    patient = register_patient(
        session,
        study_id=child.study_id,
        site_id=sites[child.site],
        sex=child.sex,
        date_of_birth=child.born,
        baseline=child.baseline,
        identifiers=None,
        today=date.today(),
    )
    consent = {
        "given_by": "parents",
        "date": child.consented,
        "form_version": consent_label(child.consented),
        "protocol_id": SYNTHETIC_PROTOCOL,
    }
    create_row(session, model=course_kind("consents").model, patient_id=patient.id, values=consent)
    attestation = Attestation(
        protocol_id=SYNTHETIC_PROTOCOL,
        criterion_id="excl-contraindication",
        outcome=AttestedOutcome.NOT_MET,
        attested_by="Synthetic investigator",
        role="investigator",
        date=child.consented,
    )
    enroll_patient(
        session,
        patient_id=patient.id,
        protocol_id=SYNTHETIC_PROTOCOL,
        enrolled_on=child.consented + timedelta(days=1),
        attestations=[attestation],
    )
    for segment, values in child.rows:
        create_row(session, model=course_kind(segment).model, patient_id=patient.id, values=values)


def load_synthetic(store: Store, cohort: list[SyntheticPatient]) -> int:
    """Write the children of ``cohort`` not yet in the store, in batches; return how many were written."""
    with store.session(_OPERATOR) as session:
        present = study_ids(session, prefix=SYNTHETIC_PREFIX)
        sites = {site.code: site.id for site in list_sites(session)}
        for code in SYNTHETIC_SITES:
            if code not in sites:
                sites[code] = add_site(session, code=code, name=f"Synthetic demo site {code[-1]}").id
    missing = [child for child in cohort if child.study_id not in present]
    for start in range(0, len(missing), _BATCH):
        with store.session(_OPERATOR) as session:
            for child in missing[start : start + _BATCH]:
                _write_synthetic(session, child, sites)
    return len(missing)


def load_examples(
    store: Store,
    records: list[PatientRecord],
    verdicts: list[Verdict],
    protocol: Protocol,
    *,
    synthetic: list[SyntheticPatient] | None = None,
    accounts: bool = False,
) -> dict[str, object]:
    """Create the schema, load the records (enrolling the eligible) and the synthetic cohort; summarise.

    With ``accounts``, the demo accounts (:func:`create_demo_accounts`, development only) are made
    after the patients and before the daily-conduct examples: the bulk load tells nobody of its
    thousands of historical events, while the conduct examples' queries and serious adverse event
    reach the site's coordinator and investigator as live entries would.

    The summary counts ``patients`` (all), ``examples`` and ``synthetic`` patients, the current
    risk groups (``not enrolled`` for the others), and the audit trail's length and integrity;
    with ``accounts``, it lists them under ``accounts``.
    """
    upgrade(store.engine)
    for record, verdict in zip(records, verdicts, strict=True):
        _load_one(store, record, protocol, verdict is Verdict.ELIGIBLE)
    if synthetic:
        # After the examples, whose consents name no study: registering versions makes the study's
        # enrollments rest on a registered, approved form version.
        register_consent_versions(store, _OPERATOR)
        load_synthetic(store, synthetic)
    made = create_demo_accounts(store) if accounts else None
    if synthetic:
        load_conduct_examples(store)
        load_sdv_examples(store)
        load_signing_examples(store)
    with store.session(_OPERATOR) as session:
        patients = {patient.id: patient.study_id for patient in list_patients(session, limit=None)}
        current = current_risk_groups(session, patient_ids=patients)
    groups = Counter(current[pid].risk_group if pid in current else "not enrolled" for pid in patients)
    chain = store.verify_audit()
    synthetic_count = sum(study_id.startswith(SYNTHETIC_PREFIX) for study_id in patients.values())
    summary: dict[str, object] = {
        "patients": len(patients),
        "examples": len(patients) - synthetic_count,
        "synthetic": synthetic_count,
        "risk_groups": dict(sorted(groups.items())),
        "audit_entries": chain.entries,
        "audit_intact": chain.intact,
    }
    if made is not None:
        summary["accounts"] = made
    return summary
