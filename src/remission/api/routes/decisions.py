"""Decision support for one stored patient: therapy options and trial matches, with explanations.

Both read the record the store assembles (stored attestations included), so the API, the web
page and the CLI give one answer. Site isolation comes from the store (another site's patient
is 404), and the date of birth is withheld from readers without identifier access.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.knowledge import shipped_knowledge_base, therapy_options, therapy_rows
from remission.store import disclosed, get_patient, read_calendar, read_record, site_worklist
from remission.trials import match_trials, shipped_trials

router = APIRouter(tags=["decision support"])
AsOf = Annotated[date | None, Query(description="Decision date YYYY-MM-DD (default today).")]
SiteCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


@router.get("/patients/{patient_id}/therapy-options")
def read_therapy_options(patient_id: PatientId, actor: ActorDep, store: StoreDep, as_of: AsOf = None) -> Any:
    """Therapy options from the shipped knowledge base: ranked options with every check, and
    ``by_therapy``, one row per therapy grouped as *applies now*, *would apply if* or *does not
    apply*, with the condition in words."""
    with store.session(actor) as session:
        record = read_record(session, patient_id=patient_id)
        report = therapy_options(record, shipped_knowledge_base(), as_of=as_of or date.today())
        payload = report.to_dict() | {"by_therapy": [row.to_dict() for row in therapy_rows(report)]}
        return disclosed(session, get_patient(session, patient_id=patient_id), payload)


@router.get("/patients/{patient_id}/trial-matches")
def read_trial_matches(patient_id: PatientId, actor: ActorDep, store: StoreDep, as_of: AsOf = None) -> Any:
    """The shipped curated trials screened for the patient, ranked; each with its verdict and an
    ``explanation``: one sentence per deciding criterion."""
    with store.session(actor) as session:
        record = read_record(session, patient_id=patient_id)
        report = match_trials(record, shipped_trials(), as_of=as_of or date.today())
        return disclosed(session, get_patient(session, patient_id=patient_id), report.to_dict())


@router.get("/patients/{patient_id}/calendar", tags=["trial conduct"])
def read_patient_calendar(patient_id: PatientId, actor: ActorDep, store: StoreDep, as_of: AsOf = None) -> Any:
    """Every assessment the protocols owe the patient on their arm, with its window and state:
    not applicable on this arm, not scheduled yet, upcoming, due, overdue, done, or not done (an
    occurrence with a missing-data code, given in ``missing_code``)."""
    with store.session(actor) as session:
        calendars = read_calendar(session, patient_id=patient_id, as_of=as_of or date.today())
        return [calendar.to_dict() for calendar in calendars]


#: The most lines one worklist answer carries (``remission due`` lists every line).
WORKLIST_MAX = 10_000


@router.get("/sites/{site_code}/worklist", tags=["trial conduct"])
def read_site_worklist(
    site_code: SiteCode,
    actor: ActorDep,
    store: StoreDep,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=WORKLIST_MAX, description="At most this many lines.")] = 500,
) -> Any:
    """What is overdue (oldest window first), then due, across the site's patients (those the caller
    may read): the first ``limit`` lines."""
    with store.session(actor) as session:
        lines = site_worklist(session, site_code=site_code, as_of=as_of or date.today(), limit=limit)
        return [line.to_dict() for line in lines]
