"""Every readable patient's casebook, one at a time, for the whole-study exports (ODM, FHIR,
Dataset-JSON) — audited as one ``export`` entry.

:func:`read_study_casebooks` is the study-wide sibling of :func:`remission.store.read_casebook`:
one study session (site-scoped; one read-only snapshot on PostgreSQL), the casebooks handed to the
caller's ``deliver`` as a lazy stream, so a writer holds one patient in memory at a time, and only
after ``deliver`` returns one ``export`` audit entry naming the format, the patients written and the
file. A delivery that raises leaves no entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from remission.store.actor import Actor
from remission.store.audit import record_event
from remission.store.casebook import gather_casebook
from remission.store.casebook_types import Casebook
from remission.store.database import Store
from remission.store.dataset import Delivery, read_snapshot
from remission.store.models import Patient, Site
from remission.store.session import StudySession
from remission.store.vocabulary import AuditAction

#: The audit entity of a whole-study export (no single row is its subject).
STUDY_EXPORT_ENTITY = "study"
#: Patient ids read per query while streaming.
_ID_BATCH = 500


@dataclass(frozen=True)
class StudyCasebooks:
    """The casebooks a whole-study export reads: ``total`` patients, streamed by iterating.

    Iterate once, inside ``deliver``: each casebook is read when it is reached, and the session
    forgets the rows behind it, so memory stays flat however many patients the study has.
    """

    total: int
    _session: StudySession
    _site_code: str | None

    def __iter__(self) -> Iterator[Casebook]:
        last = 0
        while True:
            query = select(Patient.id).where(Patient.id > last).order_by(Patient.id).limit(_ID_BATCH)
            query = _at_site(query, self._site_code)
            ids = list(self._session.scalars(query))
            if not ids:
                return
            for patient_id in ids:
                patient = self._session.get(Patient, patient_id)
                if patient is None:  # pragma: no cover - read in the same snapshot
                    continue
                yield gather_casebook(self._session, patient=patient)
                self._session.expunge_all()
            last = ids[-1]


@dataclass(frozen=True)
class StudyExport:
    """What :func:`read_study_casebooks` delivered: the delivery and how many casebooks it read."""

    delivery: Delivery
    patients: int


def _at_site(query: Select[Any], site_code: str | None) -> Select[Any]:
    if site_code is None:
        return query
    return query.join(Site, Site.id == Patient.site_id).where(Site.code == site_code)


def read_study_casebooks(
    store: Store,
    *,
    actor: Actor,
    deliver: Callable[[StudyCasebooks], Delivery],
    site_code: str | None = None,
) -> StudyExport:
    """Hand every patient's casebook the actor may read (of ``site_code`` only, if given) to
    ``deliver`` as a stream, then write one ``export`` audit entry for the whole delivery.

    The casebooks are those of :func:`remission.store.read_casebook`: site-scoped, the date of
    birth only for roles of the patient's site, the audit trail only for its readers.
    """
    with store.session(actor) as session:
        read_snapshot(store, session)
        total = session.scalar(_at_site(select(func.count(Patient.id)), site_code)) or 0
        casebooks = StudyCasebooks(total, session, site_code)
        delivery = deliver(casebooks)
    with store.session(actor) as session:
        parts = [f"format={delivery.format}", f"patients={total}"]
        if site_code is not None:
            parts.append(f"site={site_code}")
        if delivery.path is not None:
            parts.append(f"path={delivery.path.resolve()}")
        record_event(session, AuditAction.EXPORT, STUDY_EXPORT_ENTITY, None, None, note=" ".join(parts))
    return StudyExport(delivery, total)
