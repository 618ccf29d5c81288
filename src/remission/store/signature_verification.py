"""Checking that every signature is still bound to its record (21 CFR Part 11 §11.70).

The audit trail holds each signature's creation, field by field, in its hash-chained, keyed entries
(and its invalidation, when one came). :func:`verify_signatures` replays those entries and compares
them with the stored signature rows: a signature whose row was deleted (excised), whose row differs
from what was audited (moved to another record, another signer, another time or meaning), or that
exists without an audited creation (copied in) is reported. A valid signature whose digest no longer
matches its record's content means the content changed past the store (not through a study
session); that is reported too. The audit chain's own integrity is :func:`remission.store.verify_chain`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select

from remission.store.actor import AccessDenied
from remission.store.audit import audit_text
from remission.store.audit_reading import may_read_audit
from remission.store.models import AuditEntry, Patient
from remission.store.session import StudySession
from remission.store.signature_models import Signature
from remission.store.signed_content import unit_digest

_NOT_AUDITED = frozenset({"id", "version", "created_at"})


@dataclass(frozen=True)
class SignatureProblem:
    """One signature that is not bound to its record as audited."""

    signature_id: int
    problem: str


def _audited(session: StudySession) -> dict[int, dict[str, str | None]]:
    """Each signature's fields as the audit trail last recorded them, by signature id."""
    table = AuditEntry.__table__
    rows = session.connection().execute(
        select(table.c.entity_id, table.c.action, table.c.field, table.c.new_value)
        .where(table.c.entity == Signature.__tablename__)
        .order_by(table.c.seq)
    )
    audited: dict[int, dict[str, str | None]] = {}
    for entity_id, action, field, new_value in rows:
        if action == "create":
            audited.setdefault(entity_id, {})[field] = new_value
        elif action == "update" and entity_id in audited:
            audited[entity_id][field] = new_value
        elif action == "delete":
            audited.setdefault(entity_id, {})["(deleted)"] = "yes"
    return audited


def _stored(signature: Signature) -> dict[str, Any]:
    mapper = inspect(Signature)
    return {
        a.key: audit_text(getattr(signature, a.key)) for a in mapper.column_attrs if a.key not in _NOT_AUDITED
    }


def verify_signatures(session: StudySession) -> list[SignatureProblem]:
    """Every signature not bound to its record as the audit trail recorded it; empty when all are.

    Only readers of the audit trail (admin, data manager, monitor) may run it.
    """
    if not may_read_audit(session.actor):
        raise AccessDenied(f"{session.actor.username} may not verify signatures (an audit reader does)")
    audited = _audited(session)
    problems = []
    stored = {s.id: s for s in session.scalars(select(Signature).order_by(Signature.id))}
    for signature_id in sorted(audited):
        if signature_id not in stored:
            problems.append(SignatureProblem(signature_id, "audited as signed, but the signature is gone"))
    for signature_id, signature in stored.items():
        fields = audited.get(signature_id)
        if fields is None:
            problems.append(SignatureProblem(signature_id, "stored without an audited signing"))
            continue
        values = _stored(signature)
        differing = sorted(k for k, v in values.items() if fields.get(k) != v)
        if differing:
            problems.append(
                SignatureProblem(signature_id, f"differs from its audited signing in {', '.join(differing)}")
            )
            continue
        patient = session.get(Patient, signature.patient_id)
        if signature.valid and patient is not None:
            digest = unit_digest(session, patient=patient, unit=signature.unit, row_id=signature.row_id)
            if digest != signature.content_digest:
                problems.append(
                    SignatureProblem(signature_id, "valid, but its record's content changed past the store")
                )
    return problems
