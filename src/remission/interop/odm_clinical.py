"""One patient's casebook as an ODM 1.3.2 ``ClinicalData`` element: values, audit records, signatures.

Each patient gets a ``ClinicalData`` element of their own (ODM allows any number, all naming the
same study and metadata version), so a patient's element is complete when it is written and the
writer holds one casebook at a time. Inside it:

- ``SubjectData`` (``SubjectKey`` the pseudonymous study id, ``SiteRef`` the site) with one
  ``StudyEventData`` of the course and a ``FormData`` per casebook form (``FormRepeatKey`` the
  row id of a repeating form), one ``ItemGroupData`` and an ``ItemData`` per recorded value;
- a value's latest change, when the audit trail names its row and column, as the ``ItemData``'s
  ``AuditRecord``; the patient's whole trail in an ``AuditRecords`` container;
- a form's valid signature as its ``FormData``'s ``Signature``, a casebook signature as the
  ``SubjectData``'s, any further valid one in a ``Signatures`` container.

A missing-data code is never a value: the ``ItemData`` has ``IsNull="Yes"`` and no ``Value``, and
an ``Annotation`` whose ``Flag`` has the code (code list ``CL.MISSING_DATA_CODE``) and type
``missing-data code`` (``CL.FLAG_TYPE``), its note as the ``Comment``, who set it when as the
``AuditRecord``. ODM 1.3.2 keeps prior values only as earlier ``ItemData`` of a transactional file
and its extension points are empty, so an audit record's old and new value (with its entry's
sequence number, action, table, row and column) are written as JSON in its ``SourceID``. See
``docs/interop.md §4``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from remission.interop.odm_admin import location_oid, signature_def_oid, user_oid
from remission.interop.odm_metadata import (
    ENROLLMENT_FORM,
    FLAG_TYPE_LIST,
    MISSING_CODE_LIST,
    MISSING_FLAG_TYPE,
    RISK_FORM,
    STUDY_EVENT_OID,
    OdmForm,
    OdmItem,
    StudyMetadata,
    json_text,
    unit_oid,
)
from remission.interop.odm_xml import XmlWriter
from remission.store import (
    COURSE_KINDS,
    PATIENT_FORM,
    WITHHELD,
    Casebook,
    CasebookCode,
    CasebookField,
    CasebookForm,
    CasebookSignature,
    Enrollment,
    Patient,
    RiskAssignment,
    SignatureState,
)

#: The table whose audit entries record a form's values (the baseline is one JSON column of
#: ``patients``, so its entries are in the trail but on no single item).
FORM_TABLES = {
    PATIENT_FORM: Patient.__tablename__,
    ENROLLMENT_FORM: Enrollment.__tablename__,
    RISK_FORM: RiskAssignment.__tablename__,
    **{kind.segment: kind.model.__tablename__ for kind in COURSE_KINDS},
}
#: The casebook-wide signatures (on no single form) go on ``SubjectData``.
_VALID = SignatureState.VALID.value
#: The patient form's fields written as ``SubjectKey`` and ``SiteRef``, not as items.
_SUBJECT_FIELDS = frozenset({"study_id", "site"})


class UnknownItem(LookupError):
    """A casebook field the study metadata does not describe (a bug: both come from the store)."""


def odm_value(value: Any) -> str:
    """A stored value as ODM text: ISO dates, ``true``/``false``, decimals without exponents,
    lists and maps as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json_text(value)
    return str(value)


def _stamp(at: datetime | str) -> str:
    return at if isinstance(at, str) else at.isoformat()


def source_id(entry: Mapping[str, Any]) -> str:
    """What an audit entry changed, as the JSON text of its ``SourceID``."""
    return json.dumps(
        {
            "seq": entry["seq"],
            "action": entry["action"],
            "entity": entry["entity"],
            "row": entry["entity_id"],
            "field": entry["field"],
            "old_value": entry["old_value"],
            "new_value": entry["new_value"],
        }
    )


class ClinicalWriter:
    """Writes casebooks one by one and remembers the users and sites they name (for AdminData)."""

    def __init__(self, xml: XmlWriter, metadata: StudyMetadata, *, study_oid: str, version_oid: str) -> None:
        self.xml = xml
        self.metadata = metadata
        self.study_oid = study_oid
        self.version_oid = version_oid
        #: Login name to full name (None until a signature names it).
        self.users: dict[str, str | None] = {}
        self.sites: set[str] = set()

    def _user(self, username: str, full_name: str | None = None) -> str:
        if full_name or username not in self.users:
            self.users[username] = full_name or self.users.get(username)
        return user_oid(username)

    def write(self, casebook: Casebook) -> None:
        """One ``ClinicalData`` element for ``casebook``."""
        self.sites.add(casebook.site)
        latest = _latest_changes(casebook.audit or ())
        # Casebook.signatures lists the forms' signatures again: the rest sign no single form.
        on_forms = {_signature_key(s) for form in casebook.forms for s in form.signatures}
        casebook_signed = [
            s for s in casebook.signatures if s.state == _VALID and _signature_key(s) not in on_forms
        ]
        spare: list[CasebookSignature] = casebook_signed[1:]
        attributes = {"StudyOID": self.study_oid, "MetaDataVersionOID": self.version_oid}
        with self.xml.element("ClinicalData", attributes):
            with self.xml.element("SubjectData", {"SubjectKey": casebook.study_id}):
                if casebook_signed:
                    self._signature(casebook_signed[0], casebook.site)
                self.xml.leaf("SiteRef", {"LocationOID": location_oid(casebook.site)})
                for number, code in enumerate(casebook.calendar_codes, start=1):
                    self._code_annotation(code, number, about=code.item)
                with self.xml.element("StudyEventData", {"StudyEventOID": STUDY_EVENT_OID}):
                    for form in casebook.forms:
                        spare.extend(self._form(form, casebook, latest))
            if casebook.audit:
                with self.xml.element("AuditRecords"):
                    for entry in casebook.audit:
                        self._audit_record(entry, casebook.site, {"ID": f"AR.{entry['seq']}"})
            if spare:
                with self.xml.element("Signatures"):
                    for number, signature in enumerate(spare, start=1):
                        self._signature(signature, casebook.site, {"ID": f"SG.{casebook.study_id}.{number}"})

    def _form(
        self,
        form: CasebookForm,
        casebook: Casebook,
        latest: Mapping[tuple[str, int | None, str], Mapping[str, Any]],
    ) -> list[CasebookSignature]:
        """Write ``form``; the valid signatures beyond the first, for the container."""
        described = self.metadata.form(form.form)
        if described is None:
            raise UnknownItem(f"form {form.form!r} is not in the study metadata")
        attributes = {"FormOID": described.oid, "FormRepeatKey": _repeat_key(described, form.row_id)}
        signed = [s for s in form.signatures if s.state == _VALID]
        table = FORM_TABLES.get(form.form)
        # The patient form's values are the patient row's own columns.
        row = casebook.patient_id if form.form == PATIENT_FORM else form.row_id
        site = casebook.site
        with self.xml.element("FormData", attributes):
            if signed:
                self._signature(signed[0], site)
            whole = [f.code for f in form.fields if f.code is not None and not f.name]
            for number, code in enumerate(whole, start=1):
                self._code_annotation(code, number, about=form.key)
            with self.xml.element("ItemGroupData", {"ItemGroupOID": described.group_oid}):
                for item, field, value in _item_values(described, form.fields):
                    change = None if table is None else latest.get((table, row, field.name))
                    self._item(item, field, value, site, change)
        return signed[1:]

    def _item(
        self,
        item: OdmItem,
        field: CasebookField,
        value: Any,
        site: str,
        change: Mapping[str, Any] | None,
    ) -> None:
        if field.code is not None and value is None:
            with self.xml.element("ItemData", {"ItemOID": item.oid, "IsNull": "Yes"}):
                self._code_record(field.code, site)
                self._code_annotation(field.code, 1)
            return
        with self.xml.element("ItemData", {"ItemOID": item.oid, "Value": odm_value(value)}):
            if change is not None:
                self._audit_record(change, site)
            if item.unit is not None:
                self.xml.leaf("MeasurementUnitRef", {"MeasurementUnitOID": unit_oid(item.unit)})

    def _audit_record(
        self, entry: Mapping[str, Any], site: str, extra: Mapping[str, str] | None = None
    ) -> None:
        with self.xml.element("AuditRecord", {"EditPoint": "DBAudit", **(extra or {})}):
            self.xml.leaf("UserRef", {"UserOID": self._user(entry["username"])})
            self.xml.leaf("LocationRef", {"LocationOID": location_oid(site)})
            self.xml.leaf("DateTimeStamp", None, _stamp(entry["at"]))
            if entry["reason"]:
                self.xml.leaf("ReasonForChange", None, entry["reason"])
            self.xml.leaf("SourceID", None, source_id(entry))

    def _code_record(self, code: CasebookCode, site: str) -> None:
        with self.xml.element("AuditRecord", {"EditPoint": "DataManagement"}):
            self.xml.leaf("UserRef", {"UserOID": self._user(code.recorded_by)})
            self.xml.leaf("LocationRef", {"LocationOID": location_oid(site)})
            self.xml.leaf("DateTimeStamp", None, _stamp(code.recorded_at))
            self.xml.leaf("SourceID", None, json.dumps({"missing_data_code": code.code, "item": code.item}))

    def _code_annotation(self, code: CasebookCode, number: int, about: str | None = None) -> None:
        with self.xml.element("Annotation", {"SeqNum": str(number)}):
            comment = "; ".join(part for part in (about, code.note) if part)
            if comment:
                self.xml.leaf("Comment", {"SponsorOrSite": "Site"}, comment)
            with self.xml.element("Flag"):
                self.xml.leaf("FlagValue", {"CodeListOID": MISSING_CODE_LIST}, code.code)
                self.xml.leaf("FlagType", {"CodeListOID": FLAG_TYPE_LIST}, MISSING_FLAG_TYPE)

    def _signature(
        self, signature: CasebookSignature, site: str, extra: Mapping[str, str] | None = None
    ) -> None:
        with self.xml.element("Signature", extra):
            username = signature.signer_username or ""
            self.xml.leaf("UserRef", {"UserOID": self._user(username, signature.signer_name)})
            self.xml.leaf("LocationRef", {"LocationOID": location_oid(site)})
            self.xml.leaf("SignatureRef", {"SignatureOID": signature_def_oid(signature.meaning)})
            self.xml.leaf("DateTimeStamp", None, _stamp(signature.signed_at or ""))


def _signature_key(signature: CasebookSignature) -> tuple[Any, ...]:
    return (signature.unit, signature.meaning, signature.signer_username, signature.signed_at)


def _repeat_key(form: OdmForm, row_id: int | None) -> str | None:
    return str(row_id) if form.repeating and row_id is not None else None


def _latest_changes(
    audit: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, int | None, str], Mapping[str, Any]]:
    """The last audit entry on each (table, row, column), in chain order."""
    latest: dict[tuple[str, int | None, str], Mapping[str, Any]] = {}
    for entry in audit:
        if entry["field"]:
            latest[(entry["entity"], entry["entity_id"], entry["field"])] = entry
    return latest


def _item_values(form: OdmForm, fields: Iterable[CasebookField]) -> list[tuple[OdmItem, CasebookField, Any]]:
    """Each described item with its field and value, in the metadata's order; the fields under an
    item kept whole (a free-keyed map of the baseline: ``diagnosis.immunophenotype.CD19``) joined
    into one map. Nothing recorded and no code, or a value withheld from the reader: no item."""
    by_name = {item.name: item for item in form.items}
    found: dict[str, tuple[OdmItem, CasebookField, Any]] = {}
    for field in fields:
        if not field.name or (form.name == PATIENT_FORM and field.name in _SUBJECT_FIELDS):
            continue  # a code on the whole form (the form's annotation); the subject's key and site
        item = _owner(by_name, field.name)
        if item.name == field.name:
            found[item.name] = (item, field, field.value)
            continue
        _, _, joined = found.get(item.name, (item, field, {}))
        if field.value is not None:
            joined = {**joined, field.name.removeprefix(f"{item.name}."): field.value}
        found[item.name] = (item, CasebookField(item.name, None, field.code), joined)
    kept = []
    for item in form.items:
        if item.name not in found:
            continue
        _, field, value = found[item.name]
        if value == WITHHELD or (value in (None, {}) and field.code is None):
            continue
        kept.append((item, field, None if value == {} else value))
    return kept


def _owner(items: Mapping[str, OdmItem], name: str) -> OdmItem:
    """The item of ``name``, or of the nearest enclosing name the metadata keeps whole."""
    path = name
    while path:
        if path in items:
            return items[path]
        path = path.rpartition(".")[0]
    raise UnknownItem(f"the field {name!r} is not an item of the study metadata")
