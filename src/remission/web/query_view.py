"""What the query pages show about an item: the form's title, its fields' labels, where it is edited,
and the not-closed queries of one form (the markers next to its fields)."""

from __future__ import annotations

from fastapi import Request

from remission.store import (
    BASELINE_FORM,
    COURSE_KINDS,
    DataQuery,
    may_answer_query,
    may_review_queries,
    open_item_queries,
)
from remission.web.baseline_form import FIELDS as BASELINE_FIELDS
from remission.web.fields import fields_for

#: The title of each form a query can be about.
FORM_TITLES = {kind.segment: kind.title for kind in COURSE_KINDS} | {BASELINE_FORM: "baseline"}


def field_choices(form: str) -> tuple[tuple[str, str], ...]:
    """``(field name, label)`` of the form's inputs, the items a query on the form may name."""
    fields = BASELINE_FIELDS if form == BASELINE_FORM else fields_for(form)
    return tuple((spec.name, spec.label) for spec in fields)


def item_text(query: DataQuery) -> str:
    """The item in words, e.g. ``adverse event 12 · Grade``."""
    labels = dict(field_choices(query.form)) if query.form in FORM_TITLES else {}
    parts = [FORM_TITLES.get(query.form, query.form)]
    if query.row_id is not None:
        parts[0] += f" {query.row_id}"
    if query.field:
        parts.append(labels.get(query.field, query.field))
    return " · ".join(parts)


def item_url(query: DataQuery) -> str:
    """Where the item is edited: the row's form, the baseline form, or the patient page."""
    if query.form == BASELINE_FORM:
        return f"/patients/{query.patient_id}/baseline"
    if query.row_id is not None:
        return f"/patients/{query.patient_id}/{query.form}/{query.row_id}/edit"
    return f"/patients/{query.patient_id}"


def form_markers(request: Request, patient_id: int, form: str, row_id: int | None) -> dict[str, object]:
    """Template context for a form's query markers and its answer boxes, read for the viewer.

    ``queries_by_field`` maps a field name to its not-closed queries (``None``: the whole item);
    ``form_queries`` lists them all with whether the viewer may answer each; ``may_review`` says
    whether to offer opening a query.
    """
    viewer = request.state.viewer
    with request.app.state.store.session(viewer.actor) as session:
        by_field = open_item_queries(session, patient_id=patient_id, form=form, row_id=row_id)
        listed = sorted((query for found in by_field.values() for query in found), key=lambda q: q.id)
        form_queries = [
            {
                "id": query.id,
                "version": query.version,
                "state": query.state.value,
                "item": item_text(query),
                "field": query.field,
                "last": query.messages[-1].text if query.messages else "",
                "may_answer": may_answer_query(viewer.actor, query)
                and query.state.value in ("open", "re-opened"),
            }
            for query in listed
        ]
        by_field_ids = {
            name: [{"id": q.id, "state": q.state.value} for q in found] for name, found in by_field.items()
        }
    return {
        "queries_by_field": by_field_ids,
        "form_queries": form_queries,
        "may_review": may_review_queries(viewer.actor),
        "query_form": form,
        "query_row": row_id,
    }
