"""Reading one patient's casebook: every form with its values, codes, queries, signatures and SDV
status, the lock, the protocol versions and, for its readers, the audit trail — audited as an export.

:func:`read_casebook` is the one way a casebook leaves the store (the PDF, whether written by the
command line or served by the API and the web page). Like
:func:`remission.store.dataset.read_endpoint_dataset` it reads in one study session (site-scoped:
another site's patient is :class:`NotFound`; one snapshot on PostgreSQL), hands the plain
:class:`Casebook` to the caller's ``deliver`` (render, write a file) and only then writes one
``export`` audit entry on the patient, so a delivery that fails leaves no entry.

Who sees what is decided here, not by the renderer: the date of birth only for roles of the
patient's site (:mod:`remission.store.minimum_necessary`; direct identifiers — name, record
number, contact — are never in a casebook), the audit appendix only for readers of the audit
trail (:func:`remission.store.may_read_audit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from remission.protocols.signature_plan import SignedUnit
from remission.store.actor import Actor
from remission.store.audit import record_event
from remission.store.audit_reading import may_read_audit, read_audit
from remission.store.base import PatientOwned
from remission.store.casebook_types import (
    NOTHING_REQUIRED,
    Casebook,
    CasebookCode,
    CasebookField,
    CasebookForm,
    CasebookLock,
    CasebookMessage,
    CasebookQuery,
    CasebookSDV,
    CasebookSignature,
    SDVLine,
)
from remission.store.course_kinds import BASELINE_FORM, COURSE_KINDS
from remission.store.database import Store
from remission.store.dataset import Delivery, read_snapshot
from remission.store.errors import NotFound
from remission.store.lock_models import DataLock, LockLevel
from remission.store.locks import list_locks, lock_on
from remission.store.minimum_necessary import WITHHELD, disclosed, disclosed_patient
from remission.store.missing_data import list_missing_codes
from remission.store.missing_data_models import CALENDAR_FORM, MissingDataCode
from remission.store.models import Enrollment, Patient, RiskAssignment, User
from remission.store.patient_chart import read_patient_chart
from remission.store.patients import find_patient, get_patient
from remission.store.queries import list_queries
from remission.store.query_models import DataQuery
from remission.store.sdv_requirements import read_sdv_status
from remission.store.session import StudySession
from remission.store.signature_models import Signature
from remission.store.signature_status import SignatureState, required_signatures
from remission.store.signatures import list_signatures
from remission.store.signed_content import UNIT_MODELS, row_values
from remission.store.vocabulary import AuditAction

#: The form of the patient's own pseudonymous fields (SDV's name for them too).
PATIENT_FORM = "patient"
#: Forms of the stored decisions, which are signed units but not course rows.
ENROLLMENT_FORM = "enrollments"
RISK_FORM = "risk-assignments"
#: Stored decision traces: long, derived by the engines, shown on the patient page, not printed.
TRACE_COLUMNS = frozenset({"screening", "result"})
_ROW_BOOKKEEPING = frozenset({"id", "patient_id"})
#: Audit entries read per query while gathering the appendix.
_AUDIT_BATCH = 1000
#: The signed unit of each table whose rows are signed one by one.
_UNIT_OF_MODEL = {model: unit for unit, model in UNIT_MODELS.items()}
#: What the audit note says to a reader who may not read the trail.
AUDIT_WITHHELD = (
    "The audit-trail appendix is withheld: only administrators, data managers and monitors "
    "read the audit trail."
)


def _plain_values(payload: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``(dotted path, value)`` of a nested record: dictionaries are opened, lists kept whole."""
    for key, value in payload.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _plain_values(value, f"{path}.")
        else:
            yield path, value


def _code(code: MissingDataCode) -> CasebookCode:
    return CasebookCode(code.item, code.field, code.code.value, code.note, code.recorded_by, code.recorded_at)


def _fields(
    values: Iterable[tuple[str, Any]], codes: Mapping[str, CasebookCode]
) -> tuple[CasebookField, ...]:
    """The values with their codes, then the coded fields that hold no value (a code replaces a value)."""
    shown = [CasebookField(name, value, codes.get(name)) for name, value in values]
    named = {item.name for item in shown}
    shown.extend(CasebookField(name, None, code) for name, code in codes.items() if name not in named)
    return tuple(shown)


def _query(query: DataQuery) -> CasebookQuery:
    messages = tuple(
        CasebookMessage(m.at, m.username, m.action.value, m.text, m.automatic) for m in query.messages
    )
    return CasebookQuery(
        query.id,
        query.form,
        query.row_id,
        query.field,
        query.state.value,
        query.opened_by,
        query.check_id,
        messages,
    )


def _signature(signature: Signature) -> CasebookSignature:
    state = SignatureState.VALID if signature.valid else SignatureState.INVALIDATED
    return CasebookSignature(
        unit=signature.label,
        meaning=signature.meaning.value,
        state=state.value,
        signer_name=signature.signer_name,
        signer_username=signature.signer_username,
        signed_at=signature.signed_at,
        invalidated_at=signature.invalidated_at,
        invalidated_because=signature.invalidated_because,
    )


def _lock(lock: DataLock | None) -> CasebookLock | None:
    if lock is None:
        return None
    return CasebookLock(lock.level.value, lock.state.value, lock.set_by, lock.set_at, lock.reason)


class _Gatherer:
    """The casebook's parts read in one session, then put together form by form."""

    def __init__(self, session: StudySession, patient: Patient, sdv: CasebookSDV) -> None:
        self.session = session
        self.patient = patient
        self.sdv = sdv
        codes = list_missing_codes(session, patient_id=patient.id)
        self.codes: dict[tuple[str, int | None], dict[str, CasebookCode]] = {}
        self.calendar_codes = tuple(_code(code) for code in codes if code.form == CALENDAR_FORM)
        for code in codes:
            if code.form != CALENDAR_FORM:
                self.codes.setdefault((code.form, code.row_id), {})[code.field or ""] = _code(code)
        self.queries: dict[tuple[str, int | None], list[CasebookQuery]] = {}
        for query in list_queries(session, patient_id=patient.id):
            self.queries.setdefault((query.form, query.row_id), []).append(_query(query))
        self.signatures = list_signatures(session, patient_id=patient.id)
        self.form_locks = {
            (lock.form, lock.row_id): lock
            for lock in reversed(list_locks(session, patient_id=patient.id))
            if lock.level is LockLevel.FORM and lock.patient_id == patient.id
        }
        self.used: set[tuple[str, int | None]] = set()

    def form(
        self,
        form: str,
        row_id: int | None,
        title: str,
        values: Iterable[tuple[str, Any]],
        *,
        unit: SignedUnit | None = None,
        omitted: tuple[str, ...] = (),
    ) -> CasebookForm:
        where = (form, row_id)
        self.used.add(where)
        signed = (
            tuple(_signature(s) for s in self.signatures if s.unit is unit and s.row_id == row_id)
            if unit is not None
            else ()
        )
        return CasebookForm(
            key=form if row_id is None else f"{form}#{row_id}",
            form=form,
            row_id=row_id,
            title=title,
            fields=_fields(values, self.codes.get(where, {})),
            queries=tuple(self.queries.get(where, [])),
            signatures=signed,
            sdv=tuple(line for line in self.sdv.lines if (line.form, line.row_id) == where),
            lock=_lock(self.form_locks.get(where)),
            omitted=omitted,
        )

    def row_form(self, form: str, title: str, row: PatientOwned) -> CasebookForm:
        values = row_values(row)
        kept = {k: v for k, v in values.items() if k not in _ROW_BOOKKEEPING and k not in TRACE_COLUMNS}
        omitted = tuple(sorted(k for k in values if k in TRACE_COLUMNS))
        return self.form(
            form,
            row.id,
            f"{title} {row.id}",
            disclosed(self.session, self.patient, kept).items(),
            unit=_UNIT_OF_MODEL.get(type(row)),
            omitted=omitted,
        )

    def other_queries(self) -> tuple[CasebookQuery, ...]:
        """Queries on forms no longer stored (a deleted row's), so no query is left out."""
        return tuple(q for where, found in self.queries.items() if where not in self.used for q in found)


def _patient_values(session: StudySession, patient: Patient, site: str) -> list[tuple[str, Any]]:
    shown = disclosed_patient(session, patient)
    born = shown["date_of_birth"]
    return [
        ("study_id", patient.study_id),
        ("site", site),
        ("sex", patient.sex),
        ("date_of_birth", born if born is not None or patient.date_of_birth is None else WITHHELD),
        ("birth_month", shown["birth_month"]),
        ("age_at_diagnosis_days", shown["age_at_diagnosis_days"]),
    ]


def _protocols(
    enrollments: list[Enrollment], assignments: list[RiskAssignment]
) -> tuple[tuple[str, str], ...]:
    found = [(e.protocol_id, e.protocol_version) for e in enrollments]
    found += [(a.protocol_id, a.protocol_version) for a in assignments]
    return tuple(dict.fromkeys(found))


def _required(session: StudySession, patient: Patient) -> list[CasebookSignature]:
    """The required signatures not given yet (given ones are listed as stored)."""
    return [
        CasebookSignature(
            unit=status.label,
            meaning=status.meaning.value,
            state=status.state.value,
            protocol_id=status.protocol_id,
        )
        for status in required_signatures(session, patient=patient)
        if status.state is SignatureState.UNSIGNED
    ]


def _audit(session: StudySession, study_id: str) -> tuple[dict[str, Any], ...]:
    entries: list[dict[str, Any]] = []
    after = 0
    while True:
        batch = read_audit(session, study_id=study_id, after_seq=after, limit=_AUDIT_BATCH)
        entries.extend(batch)
        if len(batch) < _AUDIT_BATCH:
            return tuple(entries)
        after = batch[-1]["seq"]


def _generated_by(session: StudySession, actor: Actor) -> str:
    if actor.user_id is None:
        return f"{actor.username} (operator)"
    user = session.get(User, actor.user_id)
    return f"{user.full_name} ({actor.username})" if user is not None else actor.username


def casebook_sdv(session: StudySession, patient: Patient) -> CasebookSDV:
    """Each item the SDV plans require of the patient with its state and who verified it when, or
    what changed since (:func:`remission.store.read_sdv_status`)."""
    status = read_sdv_status(session, patient_id=patient.id)
    lines = tuple(
        SDVLine(
            item=item.item,
            form=item.form,
            row_id=item.row_id,
            field=item.field,
            state=item.state,
            detail=(
                ""
                if item.mark is None
                else item.mark.reset_note
                if item.mark.reset_note
                else f"by {item.mark.verified_by} on {item.mark.verified_at:%Y-%m-%d %H:%M:%S} UTC"
            ),
        )
        for item in status.items
    )
    return CasebookSDV(lines=lines, note=None if lines else NOTHING_REQUIRED)


def gather_casebook(session: StudySession, *, patient: Patient) -> Casebook:
    """The casebook of ``patient`` as the session's actor may read it (no audit entry: see read_casebook)."""
    chart = read_patient_chart(session, patient_id=patient.id)
    site_code = chart.site
    gatherer = _Gatherer(session, patient, casebook_sdv(session, patient))
    enrollments, assignments = chart.enrollments, chart.assignments
    forms = [
        gatherer.form(PATIENT_FORM, None, "patient", _patient_values(session, patient, site_code)),
        gatherer.form(
            BASELINE_FORM,
            None,
            "baseline record",
            _plain_values(disclosed(session, patient, patient.baseline)),
        ),
        *(gatherer.row_form(ENROLLMENT_FORM, "enrollment (eligibility)", row) for row in enrollments),
        *(gatherer.row_form(RISK_FORM, "risk assignment", row) for row in assignments),
        *(
            gatherer.row_form(kind.segment, kind.title, row)
            for kind in COURSE_KINDS
            for row in chart.rows[kind.segment]
        ),
    ]
    readable = may_read_audit(session.actor)
    return Casebook(
        patient_id=patient.id,
        study_id=patient.study_id,
        site=site_code,
        generated_at=datetime.now(UTC),
        generated_by=_generated_by(session, session.actor),
        protocols=_protocols(enrollments, assignments),
        lock=_lock(lock_on(session, patient=patient)),
        forms=tuple(forms),
        signatures=(*(_signature(s) for s in gatherer.signatures), *_required(session, patient)),
        calendar_codes=gatherer.calendar_codes,
        other_queries=gatherer.other_queries(),
        sdv=gatherer.sdv,
        identifiers_shown=session.actor.sees_identifiers_at(patient.site_id),
        audit=_audit(session, patient.study_id) if readable else None,
        audit_note="" if readable else AUDIT_WITHHELD,
    )


def _patient(session: StudySession, patient_id: int | None, study_id: str | None) -> Patient:
    if (patient_id is None) == (study_id is None):
        raise ValueError("give exactly one of patient_id and study_id")
    if patient_id is not None:
        return get_patient(session, patient_id=patient_id)
    found = find_patient(session, study_id=study_id or "")
    if found is None:
        raise NotFound("patient", study_id)
    return found


def _note(casebook: Casebook, delivery: Delivery) -> str:
    parts = [f"casebook of {casebook.study_id}", f"format={delivery.format}", f"forms={len(casebook.forms)}"]
    if delivery.path is not None:
        parts.append(f"path={delivery.path.resolve()}")
    parts.append("audit appendix included" if casebook.audit is not None else "audit appendix withheld")
    return " ".join(parts)


def read_casebook(
    store: Store,
    *,
    actor: Actor,
    deliver: Callable[[Casebook], Delivery],
    patient_id: int | None = None,
    study_id: str | None = None,
) -> Casebook:
    """The casebook of one patient (by ``patient_id`` or ``study_id``), handed to ``deliver``, then
    logged as an ``export`` audit entry on the patient.

    Raises :class:`NotFound` for a patient the actor may not read (another site's, like a missing one).
    """
    with store.session(actor) as session:
        read_snapshot(store, session)
        patient = _patient(session, patient_id, study_id)
        casebook = gather_casebook(session, patient=patient)
        site_id = patient.site_id
    delivery = deliver(casebook)
    with store.session(actor) as session:
        note = _note(casebook, delivery)
        record_event(
            session, AuditAction.EXPORT, Patient.__tablename__, casebook.patient_id, site_id, note=note
        )
    return casebook
