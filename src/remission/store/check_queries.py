"""Data queries raised by edit checks: opened when a check fires on a stored row, noted when the data
satisfies the check again (a person still closes the query).

On a write (:func:`follow_up_write`) a fired soft check opens a query on the row's field unless the
check already has one open there; a check that now passes notes its open queries as satisfied. A
batch run (:func:`run_checks_and_queries`) does the same for every stored row, and also raises a
query for a hard check that stored data fails (data entered before the check existed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from remission.conduct.edit_checks import CheckResult
from remission.store.base import PatientOwned
from remission.store.check_runs import CheckFinding, CheckRun, ItemKey, run_checks
from remission.store.edit_checks import form_of
from remission.store.queries import (
    NOT_CLOSED,
    list_queries,
    note_check_satisfied,
    open_item_queries,
    open_query,
)
from remission.store.query_models import DataQuery
from remission.store.session import StudySession


def _text(result: CheckResult) -> str:
    return f"Edit check {result.check.id}: {result.explanation.text}"


def follow_up_write(
    session: StudySession, *, row: PatientOwned, results: list[CheckResult], created: bool
) -> None:
    """Open or note the automatic queries of a row just written (after the hard checks let it through)."""
    fired = [result for result in results if result.fired]
    passed = {result.check.id for result in results if result.outcome == "passed"}
    if not fired and (created or not passed):
        return  # nothing to open, and nothing to note (a new row has no query yet)
    form = form_of(row)
    existing = open_item_queries(session, patient_id=row.patient_id, form=form, row_id=row.id)
    raised = {query.check_id: query for queries in existing.values() for query in queries if query.check_id}
    for result in fired:
        if result.check.id not in raised:
            open_query(
                session,
                patient_id=row.patient_id,
                form=form,
                row_id=row.id,
                field=result.check.field,
                text=_text(result),
                check_id=result.check.id,
            )
    for check_id, query in raised.items():
        if check_id in passed and query.check_satisfied_at is None:
            note_check_satisfied(session, query_id=query.id)


@dataclass(frozen=True)
class CheckOutcome:
    """A batch run and what it did to data queries."""

    run: CheckRun
    opened: int = 0
    already_open: int = 0
    noted: int = 0

    def to_dict(self) -> dict[str, Any]:
        return self.run.to_dict() | {
            "queries": {"opened": self.opened, "already_open": self.already_open, "noted": self.noted}
        }


def _key(query: DataQuery) -> ItemKey:
    return (query.patient_id, query.form, query.row_id or 0, query.check_id or "")


def run_checks_and_queries(
    session: StudySession,
    *,
    as_of: date,
    site_code: str | None = None,
    open_queries: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CheckOutcome:
    """Run every edit check over the study (:func:`run_checks`); with ``open_queries``, open a query
    for each firing on an item its check has none open on, and note satisfied ones."""
    automatic = [q for q in list_queries(session, site_code=site_code, states=NOT_CLOSED) if q.check_id]
    by_item = {_key(query): query for query in automatic}
    run = run_checks(session, as_of=as_of, site_code=site_code, watch=by_item.keys(), progress=progress)
    if not open_queries:
        return CheckOutcome(run)
    opened = already = noted = 0
    for finding in run.findings:
        if _item(finding) in by_item:
            already += 1
            continue
        open_query(
            session,
            patient_id=finding.patient_id,
            form=finding.form,
            row_id=finding.row_id,
            field=finding.result.check.field,
            text=_text(finding.result),
            check_id=finding.result.check.id,
        )
        opened += 1
    for finding in run.satisfied:
        query = by_item[_item(finding)]
        if query.check_satisfied_at is None:
            note_check_satisfied(session, query_id=query.id)
            noted += 1
    return CheckOutcome(run, opened, already, noted)


def _item(finding: CheckFinding) -> ItemKey:
    return (finding.patient_id, finding.form, finding.row_id, finding.result.check.id)
