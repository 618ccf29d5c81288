"""DS (Disposition): consent, enrollment, end of each treatment phase, death.

DSTERM is the verbatim event as recorded; DSDECOD and DSCAT are left empty because the CDISC CT
values (codelists NCOMPLT, DSCAT) were not verified against a source for this export — see
docs/interop.md §5.
"""

from __future__ import annotations

from collections.abc import Iterator

from remission.interop.sdtm_common import (
    ENROLLMENTS,
    Domain,
    Row,
    Variable,
    event_rows,
    forms,
    identifiers,
    text,
    value,
)
from remission.store import Casebook

DS = Domain(
    "DS",
    "Disposition",
    "One record per disposition status or protocol milestone per subject",
    (
        *identifiers(),
        Variable("DSSEQ", "Sequence Number", "integer", None, key_sequence=3),
        Variable("DSTERM", "Reported Term for the Disposition Event", length=200),
        Variable("DSDECOD", "Standardized Disposition Term", length=200),
        Variable("DSCAT", "Category for Disposition Event", length=40),
        Variable("DSSTDTC", "Start Date/Time of Disposition Event", length=20),
        Variable("DSSTDY", "Study Day of Start of Disposition Event", "integer", None),
    ),
    "Consents, enrollments, end-of-phase reports and deaths, verbatim.",
)


def _events(casebook: Casebook) -> Iterator[tuple[str, object]]:
    """``(verbatim term, date)`` of each disposition event."""
    for form in forms(casebook, "consents"):
        term = f"consent given by {text(value(form, 'given_by')) or 'unknown'}"
        version = value(form, "form_version")
        yield (f"{term} ({version})" if version else term), value(form, "date")
    for form in forms(casebook, ENROLLMENTS):
        protocol = value(form, "protocol_id")
        yield f"enrolled on {protocol} ({text(value(form, 'verdict'))})", value(form, "enrolled_on")
    for form in forms(casebook, "phase-reports"):
        phase = text(value(form, "phase_id"))
        done = value(form, "completed_as_planned")
        outcome = (
            "unknown" if done is None else "completed as planned" if done else "not completed as planned"
        )
        yield f"end of {phase}: {outcome}", value(form, "date")
    for form in forms(casebook, "deaths"):
        yield f"death: {text(value(form, 'cause')) or 'cause unknown'}", value(form, "date")


def ds_rows(casebook: Casebook) -> list[Row]:
    """The patient's disposition events in casebook order."""
    return event_rows(casebook, DS, (({"DSTERM": term}, when, None) for term, when in _events(casebook)))
