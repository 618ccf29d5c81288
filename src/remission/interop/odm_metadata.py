"""The study's ODM 1.3.2 ``Study`` element, generated from the store's descriptions of its forms.

Nothing is listed by hand that the store already describes:

- each course kind of :data:`remission.store.COURSE_KINDS` is a repeating form whose items are the
  columns of its table (data type and length from the column type), with a code list wherever the
  kind's create schema or the column takes a controlled vocabulary (an enumeration);
- the stored enrollments and risk assignments are repeating forms from their tables likewise;
- the baseline record is one form whose items are the record model's fields
  (:class:`remission.record.model.PatientRecord`) under :data:`remission.store.BASELINE_FIELDS`,
  nested sections opened to dotted names (``diagnosis.who_type``), lists and free-keyed maps as
  one JSON text item;
- the missing-data codes (:class:`remission.store.MissingCode`) are a code list of their own, read
  through the ``Flag`` of an ``Annotation`` on a value-less ``ItemData`` (see ``docs/interop.md §4``);
- the protocols are those shipped with the package (id, version, title in ``Protocol``).

Only the ``patient`` form's four items are named here: they are what the casebook shows of the
patient row (:func:`remission.store.read_casebook`), described nowhere else.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from remission.interop.odm_xml import XmlWriter
from remission.protocols import load_protocol, shipped_protocol_ids
from remission.record.model import PatientRecord
from remission.record.vocabulary import Sex
from remission.store import (
    BASELINE_FIELDS,
    BASELINE_FORM,
    COURSE_KINDS,
    PATIENT_FORM,
    Enrollment,
    MissingCode,
    RiskAssignment,
)

#: The one study event: a patient's whole course (ODM needs every form under a study event).
STUDY_EVENT_OID = "SE.COURSE"
MISSING_CODE_LIST = "CL.MISSING_DATA_CODE"
#: The code list of ``FlagType``: what kind of flag an annotation carries.
FLAG_TYPE_LIST = "CL.FLAG_TYPE"
MISSING_FLAG_TYPE = "missing-data code"
#: The forms of the stored decisions (the casebook's names for them).
ENROLLMENT_FORM = "enrollments"
RISK_FORM = "risk-assignments"
#: Columns a casebook leaves out of a row's form (bookkeeping and stored decision traces).
_LEFT_OUT = frozenset({"id", "patient_id", "version", "created_at", "site_id", "screening", "result"})
#: Units named by a field's suffix (the store's naming convention); plain text, not UCUM codes.
UNIT_SUFFIXES = {
    "_mg_per_m2": "mg/m2",
    "_percent": "%",
    "_1e9_per_l": "10^9/L",
    "_days": "days",
}


@dataclass(frozen=True, slots=True)
class OdmItem:
    """One ``ItemDef``: the field's name in the casebook, its ODM type and its code list or unit."""

    oid: str
    name: str
    data_type: str
    length: int | None = None
    code_list: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class OdmForm:
    """One ``FormDef`` with its single ``ItemGroupDef`` (same name, same repetition)."""

    name: str
    title: str
    repeating: bool
    items: tuple[OdmItem, ...]

    @property
    def oid(self) -> str:
        return f"F.{self.name}"

    @property
    def group_oid(self) -> str:
        return f"IG.{self.name}"


@dataclass(frozen=True, slots=True)
class OdmCodeList:
    """One ``CodeList`` of enumerated values (no decodes: the values are the terms themselves)."""

    oid: str
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class StudyMetadata:
    """Everything the ``MetaDataVersion`` declares, with look-ups for the clinical-data writer."""

    forms: tuple[OdmForm, ...]
    code_lists: tuple[OdmCodeList, ...]
    units: tuple[str, ...]
    protocols: tuple[tuple[str, str, str], ...]

    def form(self, name: str) -> OdmForm | None:
        return next((form for form in self.forms if form.name == name), None)


def unit_oid(unit: str) -> str:
    return "MU." + "".join(ch if ch.isalnum() else "_" for ch in unit)


def _unit(name: str) -> str | None:
    return next((unit for suffix, unit in UNIT_SUFFIXES.items() if name.endswith(suffix)), None)


def _plain_type(annotation: Any) -> Any:
    """The type inside ``Optional``/``Annotated``."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        else:
            return annotation


def _data_type(kind: Any) -> str:
    if isinstance(kind, type):
        if issubclass(kind, bool):
            return "boolean"
        if issubclass(kind, int) and not issubclass(kind, Enum):
            return "integer"
        if issubclass(kind, float):
            return "float"
        if issubclass(kind, datetime):
            return "datetime"
        if issubclass(kind, date):
            return "date"
    return "text"


class _Builder:
    """Collects items and the code lists they name, one code list per enumeration."""

    def __init__(self) -> None:
        self.code_lists: dict[str, OdmCodeList] = {}

    def code_list(self, kind: Any) -> str | None:
        if not (isinstance(kind, type) and issubclass(kind, Enum)):
            return None
        oid = f"CL.{kind.__name__}"
        self.code_lists.setdefault(oid, OdmCodeList(oid, kind.__name__, tuple(str(m.value) for m in kind)))
        return oid

    def item(self, form: str, name: str, kind: Any, length: int | None = None) -> OdmItem:
        return OdmItem(
            oid=f"IT.{form}.{name}",
            name=name,
            data_type=_data_type(kind),
            length=length,
            code_list=self.code_list(kind),
            unit=_unit(name),
        )

    def table_form(self, name: str, title: str, model: Any, schema: type[BaseModel] | None) -> OdmForm:
        """A form of a table's recorded columns; vocabularies from the create schema where it has one."""
        fields = schema.model_fields if schema is not None else {}
        items = []
        for column in model.__table__.columns:
            if column.key in _LEFT_OUT:
                continue
            # A type decorator (UTC timestamps) reports its stored type through ``impl``.
            kind = getattr(column.type, "impl", column.type).python_type
            if column.key in fields:
                kind = _plain_type(fields[column.key].annotation)
            items.append(self.item(name, column.key, kind, getattr(column.type, "length", None)))
        return OdmForm(name, title, True, tuple(items))

    def model_items(self, form: str, model: type[BaseModel], names: Any, prefix: str = "") -> list[OdmItem]:
        """Items of a record model's fields, nested models opened, lists and maps kept whole (JSON)."""
        items: list[OdmItem] = []
        for name in names:
            kind = _plain_type(model.model_fields[name].annotation)
            path = f"{prefix}{name}"
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                items.extend(self.model_items(form, kind, kind.model_fields, f"{path}."))
            elif get_origin(kind) in (list, dict):
                items.append(OdmItem(f"IT.{form}.{path}", path, "text"))
            else:
                items.append(self.item(form, path, kind))
        return items


def _patient_form(builder: _Builder) -> OdmForm:
    items = (
        builder.item(PATIENT_FORM, "sex", Sex),
        builder.item(PATIENT_FORM, "date_of_birth", date),
        # The month of birth (YYYY-MM) and the age at diagnosis in days, as the casebook discloses them.
        OdmItem(f"IT.{PATIENT_FORM}.birth_month", "birth_month", "partialDate"),
        builder.item(PATIENT_FORM, "age_at_diagnosis_days", int),
    )
    return OdmForm(PATIENT_FORM, "patient", False, items)


def study_metadata() -> StudyMetadata:
    """The forms, items, code lists and units of the study, from the store's descriptions."""
    builder = _Builder()
    forms = [
        _patient_form(builder),
        OdmForm(
            BASELINE_FORM,
            "baseline record",
            False,
            tuple(builder.model_items(BASELINE_FORM, PatientRecord, BASELINE_FIELDS)),
        ),
        builder.table_form(ENROLLMENT_FORM, "enrollment (eligibility)", Enrollment, None),
        builder.table_form(RISK_FORM, "risk assignment", RiskAssignment, None),
        *(builder.table_form(kind.segment, kind.title, kind.model, kind.create) for kind in COURSE_KINDS),
    ]
    builder.code_lists[MISSING_CODE_LIST] = OdmCodeList(
        MISSING_CODE_LIST, "missing-data code", tuple(code.value for code in MissingCode)
    )
    builder.code_lists[FLAG_TYPE_LIST] = OdmCodeList(FLAG_TYPE_LIST, "flag type", (MISSING_FLAG_TYPE,))
    units = sorted({item.unit for form in forms for item in form.items if item.unit is not None})
    protocols = tuple(
        (p.id, p.version, p.title) for p in (load_protocol(pid) for pid in shipped_protocol_ids())
    )
    return StudyMetadata(tuple(forms), tuple(builder.code_lists.values()), tuple(units), protocols)


def write_study(xml: XmlWriter, metadata: StudyMetadata, *, study_oid: str, version_oid: str) -> None:
    """The ``Study`` element: global variables, measurement units and the metadata version."""
    with xml.element("Study", {"OID": study_oid}):
        with xml.element("GlobalVariables"):
            xml.leaf("StudyName", None, "remission study")
            xml.leaf(
                "StudyDescription", None, "Risk-adapted pediatric acute leukemia study (remission store)"
            )
            xml.leaf("ProtocolName", None, ", ".join(pid for pid, _, _ in metadata.protocols) or "none")
        if metadata.units:
            with xml.element("BasicDefinitions"):
                for unit in metadata.units:
                    with xml.element("MeasurementUnit", {"OID": unit_oid(unit), "Name": unit}):
                        xml.translated("Symbol", unit)
        with xml.element("MetaDataVersion", {"OID": version_oid, "Name": "remission forms"}):
            _write_protocol(xml, metadata)
            _write_event(xml, metadata)
            for form in metadata.forms:
                _write_form(xml, form)
            for form in metadata.forms:
                _write_group(xml, form)
            for form in metadata.forms:
                for item in form.items:
                    _write_item(xml, item)
            for code_list in metadata.code_lists:
                _write_code_list(xml, code_list)


def _write_protocol(xml: XmlWriter, metadata: StudyMetadata) -> None:
    with xml.element("Protocol"):
        shipped = "; ".join(f"{pid} {version}: {title}" for pid, version, title in metadata.protocols)
        xml.translated("Description", f"Protocols shipped with remission: {shipped or 'none'}")
        xml.leaf("StudyEventRef", {"StudyEventOID": STUDY_EVENT_OID, "OrderNumber": "1", "Mandatory": "Yes"})


def _write_event(xml: XmlWriter, metadata: StudyMetadata) -> None:
    attributes = {"OID": STUDY_EVENT_OID, "Name": "course", "Repeating": "No", "Type": "Common"}
    with xml.element("StudyEventDef", attributes):
        for number, form in enumerate(metadata.forms, start=1):
            mandatory = "No" if form.repeating else "Yes"
            xml.leaf("FormRef", {"FormOID": form.oid, "OrderNumber": str(number), "Mandatory": mandatory})


def _write_form(xml: XmlWriter, form: OdmForm) -> None:
    repeating = "Yes" if form.repeating else "No"
    with xml.element("FormDef", {"OID": form.oid, "Name": form.title, "Repeating": repeating}):
        xml.leaf("ItemGroupRef", {"ItemGroupOID": form.group_oid, "Mandatory": "Yes"})


def _write_group(xml: XmlWriter, form: OdmForm) -> None:
    repeating = "Yes" if form.repeating else "No"
    with xml.element("ItemGroupDef", {"OID": form.group_oid, "Name": form.title, "Repeating": repeating}):
        for number, item in enumerate(form.items, start=1):
            xml.leaf("ItemRef", {"ItemOID": item.oid, "OrderNumber": str(number), "Mandatory": "No"})


def _write_item(xml: XmlWriter, item: OdmItem) -> None:
    attributes = {
        "OID": item.oid,
        "Name": item.name,
        "DataType": item.data_type,
        "Length": None if item.length is None else str(item.length),
    }
    with xml.element("ItemDef", attributes):
        if item.unit is not None:
            xml.leaf("MeasurementUnitRef", {"MeasurementUnitOID": unit_oid(item.unit)})
        if item.code_list is not None:
            xml.leaf("CodeListRef", {"CodeListOID": item.code_list})


def _write_code_list(xml: XmlWriter, code_list: OdmCodeList) -> None:
    with xml.element("CodeList", {"OID": code_list.oid, "Name": code_list.name, "DataType": "text"}):
        for value in code_list.values:
            xml.leaf("EnumeratedItem", {"CodedValue": value})


def json_text(value: Any) -> str:
    """A list or map value as the JSON text of its item (keys sorted, so the text is stable)."""
    return json.dumps(value, sort_keys=True, default=str)
