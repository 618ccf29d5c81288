"""Minimum necessary identifiers: a child's date of birth only for roles of the child's own site.

Names, hospital numbers and contacts live in their own table (``patient_identifiers``), read
only through :func:`remission.store.patients.read_identifiers`. The date of birth is on the
patient and inside what is derived from it: the assembled record, and the inputs of every
age test in a stored screening or risk trace. For a reader without identifier access at the
patient's site (:attr:`Actor.identifier_sites`: study-level roles — admin, data manager,
statistician, monitor — and other sites' roles), this module withholds it everywhere and
gives what a protocol needs instead: the year and month of birth and the age at diagnosis in
days.

Withheld values are replaced by :data:`WITHHELD`, not by ``null``, so a trace never reads as
if the date were missing. Three things are withheld: values under a date-of-birth key, the date
wherever a text names it (``patient.date_of_birth=2024-01-01`` in a criterion's reason), and,
where the patient is known, any text holding the date itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from remission.store.models import Patient
from remission.store.patient_list import diagnosis_date
from remission.store.session import StudySession

#: What a withheld date of birth reads as.
WITHHELD = "withheld (identifier)"
#: The keys under which a date of birth appears in stored and derived data: the record's
#: field, and the path that age tests name in their inputs.
BIRTH_KEYS = frozenset({"date_of_birth", "patient.date_of_birth"})
#: A date written after the name of the field, in a text or in serialised JSON:
#: ``date_of_birth=…``, ``date_of_birth …``, ``"date_of_birth": "…"``.
_NAMED_IN_TEXT = re.compile(r'(date_of_birth(?:"\s*:\s*"|\s*=\s*|\s+))\d{4}-\d{2}-\d{2}')


def withhold_in_text(text: str, born: date | None = None) -> str:
    """``text`` with a date of birth withheld where the text names the field, and everywhere
    the date ``born`` itself is written."""
    text = _NAMED_IN_TEXT.sub(lambda match: match.group(1) + WITHHELD, text)
    return text.replace(born.isoformat(), WITHHELD) if born is not None else text


def withhold_birth_dates(payload: Any, born: date | None = None) -> Any:
    """A copy of ``payload`` (JSON-like) with the date of birth withheld: every value under
    :data:`BIRTH_KEYS`, and in every text as :func:`withhold_in_text` does."""
    if isinstance(payload, Mapping):
        return {
            key: (WITHHELD if key in BIRTH_KEYS and value is not None else withhold_birth_dates(value, born))
            for key, value in payload.items()
        }
    if isinstance(payload, list | tuple):
        return [withhold_birth_dates(item, born) for item in payload]
    if isinstance(payload, str):
        return withhold_in_text(payload, born)
    return payload


def disclosed(session: StudySession, patient: Patient, payload: Any) -> Any:
    """``payload`` about ``patient`` as the session's actor may see it: the date of birth
    withheld unless the actor holds a role at the patient's site."""
    if session.actor.sees_identifiers_at(patient.site_id):
        return payload
    return withhold_birth_dates(payload, patient.date_of_birth)


def _age_in_days(born: date | None, on: date | None) -> int | None:
    if born is None or on is None or on < born:
        return None
    return (on - born).days


def disclosed_patient(session: StudySession, patient: Patient) -> dict[str, Any]:
    """The patient's pseudonymous fields for the session's actor.

    ``date_of_birth`` is ``None`` unless the actor sees identifiers at the patient's site;
    ``birth_month`` (``YYYY-MM``) and ``age_at_diagnosis_days`` are given to every reader.
    """
    born = patient.date_of_birth
    return {
        "id": patient.id,
        "study_id": patient.study_id,
        "site_id": patient.site_id,
        "sex": patient.sex,
        "date_of_birth": born if session.actor.sees_identifiers_at(patient.site_id) else None,
        "birth_month": born.strftime("%Y-%m") if born else None,
        "age_at_diagnosis_days": _age_in_days(born, diagnosis_date(patient.baseline)),
        "baseline": patient.baseline,
        "version": patient.version,
        "created_at": patient.created_at,
    }
