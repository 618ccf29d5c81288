"""What every SDTM-shaped domain of the Dataset-JSON export shares: variables, keys and dates.

A domain is a :class:`Domain`: its name, label and :class:`Variable` columns (Dataset-JSON 1.1
``columns``: itemOID, name, label, dataType, length, keySequence). Its rows come from one patient's
:class:`remission.store.Casebook` at a time, as dictionaries keyed by variable name; a variable a row
leaves out is empty (``null``). Dates are ISO 8601 text (``--DTC``); ``--DY`` counts from the
patient's reference start (RFSTDTC, the first enrollment date) as SDTMIG 3.4 section 4.4.4 says:
day 1 is the reference date and there is no day 0.

Missing data is never guessed: a field with a missing-data code yields an empty result with
``--STAT`` = ``NOT DONE`` and the code (and its note) in ``--REASND`` (:func:`not_done`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from remission.store import Casebook, CasebookCode, CasebookField, CasebookForm

#: The forms of the casebook the domains read (:mod:`remission.store.casebook`'s names).
PATIENT = "patient"
BASELINE = "baseline"
ENROLLMENTS = "enrollments"
RISK_ASSIGNMENTS = "risk-assignments"
#: The --STAT value of a result not obtained, as SDTMIG 3.4 writes it (the CT codelist ND entry was
#: not verified for this export).
NOT_DONE = "NOT DONE"

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Variable:
    """One column of a domain: its SDTM name, label, Dataset-JSON dataType and length."""

    name: str
    label: str
    data_type: str = "string"
    length: int | None = 200
    key_sequence: int | None = None

    def column(self, domain: str) -> dict[str, Any]:
        """The Dataset-JSON 1.1 column definition."""
        column: dict[str, Any] = {
            "itemOID": f"IT.{domain}.{self.name}",
            "name": self.name,
            "label": self.label,
            "dataType": self.data_type,
        }
        if self.length is not None and self.data_type == "string":
            column["length"] = self.length
        if self.key_sequence is not None:
            column["keySequence"] = self.key_sequence
        return column


@dataclass(frozen=True, slots=True)
class Domain:
    """An SDTM-shaped dataset: ``name`` (DM, AE, SUPPEX…), label, structure and variables."""

    name: str
    label: str
    structure: str
    variables: tuple[Variable, ...]
    #: Why the domain was chosen and what it holds, for the Define-style metadata.
    comment: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(variable.name for variable in self.variables)

    def row(self, values: Mapping[str, Any]) -> list[Any]:
        """The values in column order; an unknown name is a programming error."""
        unknown = set(values) - set(self.names)
        if unknown:
            raise KeyError(f"{self.name} has no variables {sorted(unknown)}")
        return [values.get(name) for name in self.names]


def identifiers() -> tuple[Variable, ...]:
    """STUDYID, DOMAIN and USUBJID, the first two keys of every domain."""
    return (
        Variable("STUDYID", "Study Identifier", length=64, key_sequence=1),
        Variable("DOMAIN", "Domain Abbreviation", length=8),
        Variable("USUBJID", "Unique Subject Identifier", length=130, key_sequence=2),
    )


def study_id(casebook: Casebook) -> str:
    """The protocol of the patient's first enrollment or risk assignment; empty when there is none."""
    return casebook.protocols[0][0] if casebook.protocols else ""


def usubjid(casebook: Casebook) -> str:
    """The study and the patient's study id (unique in the store), e.g. ``NCT06516679-INF-01``."""
    study = study_id(casebook)
    return f"{study}-{casebook.study_id}" if study else casebook.study_id


def keys(casebook: Casebook, domain: str) -> Row:
    return {"STUDYID": study_id(casebook), "DOMAIN": domain, "USUBJID": usubjid(casebook)}


def forms(casebook: Casebook, name: str) -> list[CasebookForm]:
    return [form for form in casebook.forms if form.form == name]


def fields(form: CasebookForm) -> dict[str, CasebookField]:
    return {field.name: field for field in form.fields}


def value(form: CasebookForm | None, name: str) -> Any:
    """The plain value of a field (enum members as their value); ``None`` when absent or coded."""
    if form is None:
        return None
    found = fields(form).get(name)
    if found is None or found.code is not None:
        return None
    return found.value.value if isinstance(found.value, Enum) else found.value


def code(form: CasebookForm | None, name: str) -> CasebookCode | None:
    if form is None:
        return None
    found = fields(form).get(name)
    return None if found is None else found.code


def text(raw: Any) -> str | None:
    """A value as SDTM character data: dates ISO 8601, lists joined by ``; ``, booleans Y/N."""
    if raw is None:
        return None
    if isinstance(raw, Enum):
        raw = raw.value
    if isinstance(raw, bool):
        return yes_no(raw)
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    if isinstance(raw, list | tuple):
        return "; ".join(t for t in (text(item) for item in raw) if t) or None
    return str(raw)


def yes_no(flag: bool | None) -> str | None:
    """Y or N, the submission values of CDISC CT codelist NY (C66742; Y is C49487, per the CRAN package
    sdtm.terminology 2025-03-25, which bundles NCI EVS SDTM CT); unknown stays empty."""
    return None if flag is None else ("Y" if flag else "N")


def iso_date(raw: Any) -> date | None:
    """A recorded date (a ``date``, a datetime or ISO text); ``None`` when there is none."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def reference_start(casebook: Casebook) -> date | None:
    """RFSTDTC: the date of the patient's first enrollment on a protocol, if enrolled."""
    dates = [iso_date(value(form, "enrolled_on")) for form in forms(casebook, ENROLLMENTS)]
    known = [day for day in dates if day is not None]
    return min(known) if known else None


def study_day(when: Any, reference: date | None) -> int | None:
    """--DY: days from the reference start, day 1 being the reference date (there is no day 0)."""
    day = iso_date(when)
    if day is None or reference is None:
        return None
    delta = (day - reference).days
    return delta + 1 if delta >= 0 else delta


def not_done(prefix: str, found: CasebookCode | None) -> Row:
    """``--STAT``/``--REASND`` of a result whose field holds a missing-data code."""
    if found is None:
        return {}
    reason = found.code if not found.note else f"{found.code}: {found.note}"
    return {f"{prefix}STAT": NOT_DONE, f"{prefix}REASND": reason}


def numbered(rows: Iterable[Row], prefix: str) -> list[Row]:
    """The rows with ``--SEQ`` 1, 2, … (unique within the patient and domain)."""
    return [{**row, f"{prefix}SEQ": seq} for seq, row in enumerate(rows, start=1)]


SUPP_VARIABLES = (
    Variable("STUDYID", "Study Identifier", length=64, key_sequence=1),
    Variable("RDOMAIN", "Related Domain Abbreviation", length=8, key_sequence=2),
    Variable("USUBJID", "Unique Subject Identifier", length=130, key_sequence=3),
    Variable("IDVAR", "Identifying Variable", length=8, key_sequence=4),
    Variable("IDVARVAL", "Identifying Variable Value", length=40, key_sequence=5),
    Variable("QNAM", "Qualifier Variable Name", length=8, key_sequence=6),
    Variable("QLABEL", "Qualifier Variable Label", length=40),
    Variable("QVAL", "Data Value", length=200),
    Variable("QORIG", "Origin", length=20),
)


def supplemental(
    parent: Row, domain: str, qnam: str, qlabel: str, qval: str | None, *, origin: str
) -> Row | None:
    """One SUPP-- row qualifying ``parent`` (by its --SEQ); none for an empty value.

    ``origin`` is ``Collected`` or ``Derived`` (Define-XML 2.1 origin types).
    """
    if qval is None:
        return None
    return {
        "STUDYID": parent["STUDYID"],
        "RDOMAIN": domain,
        "USUBJID": parent["USUBJID"],
        "IDVAR": f"{domain}SEQ",
        "IDVARVAL": str(parent[f"{domain}SEQ"]),
        "QNAM": qnam,
        "QLABEL": qlabel,
        "QVAL": qval,
        "QORIG": origin,
    }


#: A SUPP-- qualifier of one parent row: QNAM, QLABEL, QVAL (empty: no row) and QORIG.
Qualifier = tuple[str, str, str | None, str]


def event_rows(casebook: Casebook, domain: Domain, events: Iterable[tuple[Row, Any, Any]]) -> list[Row]:
    """The rows of an events domain (AE, DS, EX), numbered by --SEQ in the order given.

    Each event is ``(its own variables, start date, end date)``: the row adds the keys, --STDTC and
    --STDY from the start and, where the domain has them, --ENDTC and --ENDY from the end (study days
    from the patient's reference start).
    """
    prefix = domain.name
    reference = reference_start(casebook)
    has_end = f"{prefix}ENDTC" in domain.names

    def row(variables: Row, began: Any, ended: Any) -> Row:
        timing = {f"{prefix}STDTC": text(began), f"{prefix}STDY": study_day(began, reference)}
        if has_end:
            timing |= {f"{prefix}ENDTC": text(ended), f"{prefix}ENDY": study_day(ended, reference)}
        return {**keys(casebook, prefix), **variables, **timing}

    return numbered((row(*event) for event in events), prefix)


def supplemental_rows(
    parents: Sequence[Row], domain: str, qualifiers: Iterable[Iterable[Qualifier]]
) -> list[Row]:
    """The SUPP-- rows of ``parents``: per parent, in order, one row per qualifier with a value."""
    return [
        row
        for parent, its_qualifiers in zip(parents, qualifiers, strict=True)
        for qnam, qlabel, qval, origin in its_qualifiers
        if (row := supplemental(parent, domain, qnam, qlabel, qval, origin=origin)) is not None
    ]
