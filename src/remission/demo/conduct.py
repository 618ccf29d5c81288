"""The daily conduct of the demo study: data queries, a missing-data code and a serious adverse
event, so the pages and the inboxes show them.

At the first synthetic site, written through the store like any entry (edit checks, audit trail):

- an MRD result at the end of induction without a sensitivity, sampled after its window: the two
  soft edit checks open their data queries automatically;
- a data query on a baseline value, opened by the data manager and answered by the coordinator
  (waiting for the data manager to close it);
- the end-of-induction MRD of another child marked *not done* with a missing-data code;
- a serious adverse event in the induction of the first child, entered by the coordinator: the
  inboxes show its reporting clock (the protocol's ``sae_report_hours`` from the entry).

Written after the demo accounts exist (:func:`remission.demo.load_examples` with ``accounts``),
so the site's coordinator and investigator find the queries and the serious adverse event in
their inboxes, and the data manager and the monitor the serious adverse event.

None of it changes a risk group: NCT06516679 stratifies on MRD after consolidation 1 only.
Written once: a store that already holds a data query is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta

from remission.demo.cohort import SYNTHETIC_PROTOCOL, SYNTHETIC_SITES
from remission.record.vocabulary import MissingCode
from remission.store import (
    CALENDAR_FORM,
    Actor,
    AdverseEvent,
    MRDMeasurement,
    Store,
    TreatmentPhaseRecord,
    answer_query,
    create_row,
    list_patients,
    list_queries,
    list_rows,
    open_query,
    set_missing_code,
)

_DATA_MANAGER = Actor.for_system("Demo Data Manager")
_COORDINATOR = Actor.for_system("Demo Coordinator")


def _induction_end(store: Store, patient_id: int) -> date | None:
    with store.session(_COORDINATOR) as session:
        phases = list_rows(session, model=TreatmentPhaseRecord, patient_id=patient_id)
    return next((row.actual_end for row in phases if row.phase_id == "induction"), None)


def load_conduct_examples(store: Store) -> bool:
    """Write the demo's queries and missing-data code unless the store holds a query; True if written."""
    with store.session(_DATA_MANAGER) as session:
        if list_queries(session):
            return False
        patients = [p.id for p in list_patients(session, site_code=SYNTHETIC_SITES[0], limit=None)]
    ended = [(pid, end) for pid in patients if (end := _induction_end(store, pid)) is not None]
    if len(ended) < 3:
        return False
    (first, end), (second, _), (third, _) = ended[:3]
    with store.session(_COORDINATOR, reason="demo: MRD result entered late") as session:
        late = {
            "time_point": "end of induction",
            "method": "flow cytometry",
            "sample_date": min(end + timedelta(days=40), date.today()),
            "value_fraction": 0.002,
        }
        create_row(session, model=MRDMeasurement, patient_id=first, values=late)
    with store.session(_DATA_MANAGER) as session:
        query = open_query(
            session,
            patient_id=second,
            form="baseline",
            row_id=None,
            field="wbc_at_diagnosis_1e9_per_l",
            text="Please confirm the WBC at diagnosis against the laboratory report.",
        )
        query_id = query.id
    with store.session(_COORDINATOR) as session:
        answer_query(
            session, query_id=query_id, version=1, text="Confirmed against the laboratory report of the day."
        )
    with store.session(_COORDINATOR, reason="demo: sample not taken") as session:
        set_missing_code(
            session,
            patient_id=third,
            form=CALENDAR_FORM,
            protocol_id=SYNTHETIC_PROTOCOL,
            assessment="mrd-end-of-induction",
            occurrence="",
            code=MissingCode.NOT_DONE,
            note="No marrow sample at the end of induction: the child was in intensive care.",
        )
    with store.session(_COORDINATOR, reason="demo: serious adverse event reported") as session:
        serious = {
            "term": "Febrile neutropenia",
            "grade": 3,
            "onset_date": end - timedelta(days=10),
            "resolution_date": end - timedelta(days=4),
            "serious": True,
            "attribution": "probable",
        }
        create_row(session, model=AdverseEvent, patient_id=first, values=serious)
    return True
