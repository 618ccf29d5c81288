"""Reading a :class:`remission.store.Casebook` for the FHIR export: its forms' values by name, its
missing-data codes as FHIR data-absent reasons, and stable resource ids.

A value is what the casebook holds; a missing value or a missing-data code yields an absent element
with its reason (:func:`absent_reason`), never a guessed value.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from remission.interop import fhir_codes as codes
from remission.record.vocabulary import MissingCode
from remission.store import Casebook, CasebookField, CasebookForm

#: Every resource id is a UUID derived from this namespace, the study id and the row, so a re-export
#: gives the same ids and fullUrls.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, codes.REMISSION_BASE)

#: The FHIR data-absent reason of each missing-data code of the record.
_ABSENT_REASON = {
    MissingCode.NOT_DONE.value: codes.ABSENT_NOT_PERFORMED,
    MissingCode.NOT_APPLICABLE.value: codes.ABSENT_NOT_APPLICABLE,
    MissingCode.UNKNOWN.value: codes.ABSENT_UNKNOWN,
    MissingCode.NOT_ASKED.value: codes.ABSENT_NOT_ASKED,
    MissingCode.DECLINED.value: codes.ABSENT_ASKED_DECLINED,
}


def stable_id(*parts: str) -> str:
    """A UUID (as text) that depends only on ``parts``: the same row gives the same id on every export."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def full_url(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"


def coding(code: codes.Code) -> dict[str, str]:
    return {"system": code.system, "code": code.code, "display": code.display}


def concept(text: str, *found: codes.Code) -> dict[str, Any]:
    """A CodeableConcept: the verified codes (if any) and always the text."""
    shown: dict[str, Any] = {"text": text}
    if found:
        shown["coding"] = [coding(code) for code in found]
    return shown


def absent_reason(field: CasebookField | None) -> codes.Code:
    """Why a value is absent: its missing-data code's reason, else *unknown* (nothing recorded)."""
    if field is not None and field.code is not None:
        return _ABSENT_REASON.get(field.code.code, codes.ABSENT_UNKNOWN)
    return codes.ABSENT_UNKNOWN


def absent_extension(field: CasebookField | None) -> list[dict[str, str]]:
    """The data-absent-reason extension, for an element (a primitive) that has no dataAbsentReason."""
    return [{"url": codes.DATA_ABSENT_REASON_EXTENSION, "valueCode": absent_reason(field).code}]


def iso_date(value: Any) -> str | None:
    """A date recorded as a date or as ISO text, as FHIR date text; ``None`` for anything else."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Form:
    """One form of the casebook with its fields by name."""

    form: CasebookForm

    @property
    def key(self) -> str:
        return self.form.key

    def field(self, name: str) -> CasebookField | None:
        for field in self.form.fields:
            if field.name == name:
                return field
        return None

    def value(self, name: str) -> Any:
        """The recorded value (``None`` when absent or coded: a code replaces a value)."""
        field = self.field(name)
        if field is None or field.code is not None:
            return None
        return field.value


def forms(casebook: Casebook, form: str) -> list[Form]:
    """Every form of kind ``form`` (``patient``, ``baseline``, ``mrd``…), in casebook order."""
    return [Form(found) for found in casebook.forms if found.form == form]


def one_form(casebook: Casebook, form: str) -> Form | None:
    found = forms(casebook, form)
    return found[0] if found else None
