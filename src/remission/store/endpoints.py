"""The statisticians' endpoint dataset: one de-identified row per patient, as an Arrow table.

The dataset is derived from the store through a :class:`StudySession`, so the actor's site
scope applies (a statistician, data manager, monitor or administrator reads every site; a
site role reads only its own sites). Each table is read once with one SELECT
(:mod:`.endpoint_sources`); grouping and date arithmetic (:mod:`.endpoint_derivation`) are
vectorised with ``pyarrow.compute`` — there is no query per patient.

**Origin** of the main times (``time_to_hsct_days``, OS, EFS, relapse) is the date of
diagnosis (``baseline.diagnosis.date``), or with ``origin="enrollment"`` the first enrollment
(patients never enrolled then have null times). Times are whole days. The output holds no
name or identifier of a child, no dates of birth and no dates of the child's course: only the
pseudonymous study id, the site code, categories, counts and times; and the casebook's
electronic signature (``SIGNATURE_COLUMNS``: the signer's — a staff member's — printed name, the
UTC time, the meaning and the ``SignatureState``), which 21 CFR Part 11 §11.50 requires in every
human-readable form of a signed record. ``endpoint_columns.COLUMNS`` lists the columns with type,
unit and coding; ``docs/export.md`` defines them. With ``extended=True`` the columns of ``EXTENDED_COLUMNS``
follow: the number of transplants, diagnosis to enrollment, disease-free survival from the
first HSCT and overall survival from the first relapse (each with its own origin).

Rules:

- *Last contact* is the latest date among the origin, the diagnosis, follow-ups, relapses,
  transplants, MRD samples, adverse-event onsets and resolutions, actual phase starts and ends,
  anthracycline doses and death.
- A relapse on the day of death counts as a relapse (``relapse_cause`` 1).
- Missing inputs give nulls, never guesses: without an origin date every time from it and its
  event indicator are null; without a date of birth the ages are null. An endpoint whose
  event date precedes its origin (an inconsistent record) is null too, both time and event.
- ``risk_group`` is the current risk group (:mod:`remission.store.current_risk`, the one
  definition): null when the patient is not enrolled; ``pending`` when enrolled but the
  current (latest) assignment under the first enrollment's protocol is not final.
- The casebook signature is the latest valid one (the last stored), else the latest invalidated
  one; ``unsigned`` with nulls without any. It is the casebook's as read, whatever the data cut.
- ``as_of`` (the data cut) drops every dated row after it — patients diagnosed later,
  enrollments, events, visits, samples, doses — as if the store were read on that day; phase
  ends and adverse-event resolutions after it are treated as not yet recorded. The risk
  group is still the current assignment (assignments carry no clinical date).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from remission.store.endpoint_columns import Origin
from remission.store.endpoint_derivation import completed_months, derive_endpoint_table
from remission.store.endpoint_sources import load_endpoint_sources
from remission.store.session import StudySession

__all__ = ["completed_months", "derive_endpoints"]


def derive_endpoints(
    session: StudySession,
    *,
    origin: Origin = "diagnosis",
    extended: bool = False,
    as_of: date | None = None,
) -> pa.Table:
    """The endpoint dataset of every patient the session's actor may read.

    ``origin`` is ``"diagnosis"`` (default) or ``"enrollment"``; ``extended`` adds
    ``EXTENDED_COLUMNS``; ``as_of`` is the data cut (nothing dated after it is read). The
    schema is ``dataset_schema(origin=, extended=, as_of=)`` (``SCHEMA`` with the defaults).
    Rows are ordered by ``patient_key``. See the module docstring for the definitions. The
    tables are loaded by :mod:`.endpoint_sources` and derived by :mod:`.endpoint_derivation`.
    """
    # An unknown origin is refused by the derivation (one check for both entry points).
    return derive_endpoint_table(
        load_endpoint_sources(session), origin=origin, extended=extended, as_of=as_of
    )
