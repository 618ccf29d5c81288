"""Data queries (discrepancy notes): open, read, answer, close and re-open; the store checks roles,
states and sites (another site's query is a 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query

from remission import store as study_store
from remission.api.deps import ActorDep, PatientId, StoreDep
from remission.api.schemas.queries import QueryCreate, QueryPublic, QueryStep
from remission.store import MAX_ID, Actor, DataQuery, QueryState, Store

router = APIRouter(tags=["queries"])
QueryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Query id.")]


def _public(query: DataQuery) -> QueryPublic:
    return QueryPublic.model_validate(query)


@router.get("/patients/{patient_id}/queries", response_model=list[QueryPublic])
def list_patient_queries(
    patient_id: PatientId,
    actor: ActorDep,
    store: StoreDep,
    state: Annotated[list[QueryState] | None, Query(description="Keep queries in these states.")] = None,
) -> list[QueryPublic]:
    """The patient's queries, oldest first."""
    with store.session(actor) as session:
        found = study_store.list_queries(session, patient_id=patient_id, states=state)
        return [_public(query) for query in found]


@router.post("/patients/{patient_id}/queries", response_model=QueryPublic, status_code=201)
def open_query(patient_id: PatientId, body: QueryCreate, actor: ActorDep, store: StoreDep) -> QueryPublic:
    """Open a query on an item of the patient's record (a data manager or monitor)."""
    with store.session(actor) as session:
        query = study_store.open_query(
            session,
            patient_id=patient_id,
            form=body.form,
            row_id=body.row_id,
            field=body.field,
            text=body.text,
        )
        return _public(query)


@router.get("/queries", response_model=list[QueryPublic])
def list_queries(
    actor: ActorDep,
    store: StoreDep,
    site: Annotated[str | None, Query(min_length=1, max_length=64, description="A site code.")] = None,
    state: Annotated[list[QueryState] | None, Query(description="Keep queries in these states.")] = None,
    waiting_for_me: Annotated[
        bool,
        Query(
            description="Only queries waiting for me: answered ones for a data manager or monitor, "
            "open and re-opened ones for site staff."
        ),
    ] = False,
) -> list[QueryPublic]:
    """The queries the caller may read, oldest first."""
    with store.session(actor) as session:
        found = study_store.list_queries(session, site_code=site, states=state, waiting_for_me=waiting_for_me)
        return [_public(query) for query in found]


@router.get("/queries/{query_id}", response_model=QueryPublic)
def get_query(query_id: QueryId, actor: ActorDep, store: StoreDep) -> QueryPublic:
    """One query with every step of its thread."""
    with store.session(actor) as session:
        return _public(study_store.get_query(session, query_id=query_id))


def _step(
    store: Store, actor: Actor, step: Callable[..., DataQuery], query_id: int, body: QueryStep
) -> QueryPublic:
    with store.session(actor) as session:
        return _public(step(session, query_id=query_id, version=body.version, text=body.text))


@router.post("/queries/{query_id}/answer", response_model=QueryPublic)
def answer_query(query_id: QueryId, body: QueryStep, actor: ActorDep, store: StoreDep) -> QueryPublic:
    """Answer an open or re-opened query (staff of the patient's site, or a data manager)."""
    return _step(store, actor, study_store.answer_query, query_id, body)


@router.post("/queries/{query_id}/close", response_model=QueryPublic)
def close_query(query_id: QueryId, body: QueryStep, actor: ActorDep, store: StoreDep) -> QueryPublic:
    """Close a query that is not closed (a data manager or monitor)."""
    return _step(store, actor, study_store.close_query, query_id, body)


@router.post("/queries/{query_id}/reopen", response_model=QueryPublic)
def reopen_query(query_id: QueryId, body: QueryStep, actor: ActorDep, store: StoreDep) -> QueryPublic:
    """Re-open an answered or closed query (a data manager or monitor)."""
    return _step(store, actor, study_store.reopen_query, query_id, body)
