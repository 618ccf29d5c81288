"""Data query pages: the worklist, a query's thread with its steps, and opening a query on an item.

Every read and step goes through the store (:mod:`remission.store.queries`), which checks the
viewer's role, the query's state and its site (another site's query is not found). A step made
on a stale version, or one the state does not allow, comes back with the thread and a message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from remission.errors import InputError
from remission.store import (
    MAX_ID,
    QUERY_FORMS,
    AccessDenied,
    Conflict,
    NotFound,
    QueryState,
    VersionConflict,
    allowed_steps,
    answer_query,
    awaiting_states,
    close_query,
    get_patient,
    get_query,
    list_queries,
    may_review_queries,
    open_query,
    reopen_query,
)
from remission.web.forms import version_of
from remission.web.pages import redirect, render
from remission.web.query_view import FORM_TITLES, field_choices, item_text, item_url
from remission.web.viewer import FormDep, ViewerDep

router = APIRouter(include_in_schema=False)
QueryId = Annotated[int, Path(ge=1, le=MAX_ID)]
STEPS = {"answer": answer_query, "close": close_query, "reopen": reopen_query}
STEP_LABELS = {"answer": "Answer", "close": "Close", "re-open": "Re-open"}
MAX_TEXT = 2000


def _line(query: Any) -> dict[str, Any]:
    last = query.messages[-1] if query.messages else None
    return {
        "id": query.id,
        "study_id": query.study_id,
        "patient_id": query.patient_id,
        "item": item_text(query),
        "state": query.state.value,
        "opened_by": query.opened_by,
        "opened_at": query.created_at,
        "last": last,
        "check_id": query.check_id,
    }


@router.get("/queries")
def worklist(
    request: Request,
    viewer: ViewerDep,
    state: Annotated[list[str] | None, Query(max_length=20)] = None,
    show: Annotated[str, Query(max_length=10)] = "mine",
) -> Response:
    """Site staff: open queries of their sites; data managers and monitors: answered ones waiting
    for them. ``show=all`` lists every query, filtered by ``state``."""
    chosen = [QueryState(value) for value in state or [] if value in {s.value for s in QueryState}]
    waiting = show != "all"
    with request.app.state.store.session(viewer.actor) as session:
        found = list_queries(session, states=chosen or None, waiting_for_me=waiting)
        lines = [_line(query) for query in found]
        awaiting = sorted(state.value for state in awaiting_states(viewer.actor))
    context = {
        "nav": "queries",
        "lines": lines,
        "show": "mine" if waiting else "all",
        "chosen": [state.value for state in chosen],
        "states": [state.value for state in QueryState],
        "awaiting": awaiting,
        "reviewer": may_review_queries(viewer.actor),
    }
    return render(request, "queries.html", context)


def _new_page(
    request: Request,
    patient: Any,
    form: str,
    row_id: int | None,
    field: str,
    text: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "nav": "queries",
        "patient": patient,
        "form": form,
        "form_title": FORM_TITLES[form],
        "row_id": row_id,
        "field": field,
        "choices": field_choices(form),
        "text": text,
        "errors": errors or {},
    }
    return render(request, "query_new.html", context, status=status)


@router.get("/queries/new")
def new_query(
    request: Request,
    viewer: ViewerDep,
    patient_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    form: Annotated[str, Query(max_length=40)],
    row_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    field: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The form to open a query on an item (data managers and monitors)."""
    if not may_review_queries(viewer.actor):
        raise AccessDenied(f"{viewer.username} may not open queries")
    if form not in QUERY_FORMS:
        raise NotFound("form", form)
    with request.app.state.store.session(viewer.actor) as session:
        patient = get_patient(session, patient_id=patient_id)
        return _new_page(request, patient, form, row_id, field)


def _optional_int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


@router.post("/queries/new")
def create_query(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Open the query; its thread page follows. A bad field or empty text comes back with a message."""
    patient_id = _optional_int(form.get("patient_id")) or 0
    form_name = str(form.get("form", ""))
    row_id = _optional_int(form.get("row_id"))
    field = str(form.get("field", "")).strip()[:200]
    text = str(form.get("text", ""))[:MAX_TEXT]
    store = request.app.state.store
    try:
        with store.session(viewer.actor) as session:
            query = open_query(
                session, patient_id=patient_id, form=form_name, row_id=row_id, field=field or None, text=text
            )
            query_id = query.id
    except InputError as error:
        if form_name not in QUERY_FORMS:
            raise NotFound("form", form_name) from None
        errors = {problem.field: problem.problem for problem in error.problems}
        with store.session(viewer.actor) as session:
            patient = get_patient(session, patient_id=patient_id)
            return _new_page(request, patient, form_name, row_id, field, text, errors, status=422)
    return redirect(request, f"/queries/{query_id}")


def _thread(
    request: Request, viewer: Any, query_id: int, *, problem: str = "", text: str = "", status: int = 200
) -> Response:
    with request.app.state.store.session(viewer.actor) as session:
        query = get_query(session, query_id=query_id)
        context = {
            "nav": "queries",
            "query": query,
            "line": _line(query),
            "item_url": item_url(query),
            "steps": [(step.value, STEP_LABELS[step.value]) for step in allowed_steps(viewer.actor, query)],
            "problem": problem,
            "text": text,
        }
        return render(request, "query.html", context, status=status)


@router.get("/queries/{query_id}")
def show_query(request: Request, viewer: ViewerDep, query_id: QueryId) -> Response:
    """The item, every step with who and when, and the steps the viewer may take."""
    return _thread(request, viewer, query_id)


def _return_to(form: Any) -> str | None:
    """A page of this site to go back to after the step (the form the query was answered from)."""
    target = str(form.get("return_to", ""))
    return target if target.startswith("/patients/") and "//" not in target and len(target) < 200 else None


@router.post("/queries/{query_id}/{step}")
def take_step(
    request: Request,
    viewer: ViewerDep,
    form: FormDep,
    query_id: QueryId,
    step: Annotated[str, Path(pattern="^(answer|close|reopen)$")],
) -> Response:
    """Answer, close or re-open the query on the version read; a refusal shows the thread again."""
    text = str(form.get("text", ""))[:MAX_TEXT]
    try:
        with request.app.state.store.session(viewer.actor) as session:
            STEPS[step](session, query_id=query_id, version=version_of(form), text=text)
    except VersionConflict:
        problem = (
            "Someone acted on this query while you were reading it. Nothing was saved; see its thread now."
        )
        return _thread(request, viewer, query_id, problem=problem, text=text, status=409)
    except Conflict as error:
        return _thread(request, viewer, query_id, problem=error.problem, text=text, status=409)
    except InputError as error:
        problem = "; ".join(problem.problem for problem in error.problems)
        return _thread(
            request, viewer, query_id, problem=f"Write a message: {problem}", text=text, status=422
        )
    return redirect(request, _return_to(form) or f"/queries/{query_id}")
