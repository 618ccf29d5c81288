"""The columns of the endpoint dataset: names, Arrow types, units and meanings.

See :mod:`remission.store.endpoints` for how the values are derived and ``docs/export.md``
for the published description.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import pyarrow as pa

from remission.protocols.signature_plan import SignatureMeaning
from remission.store.signature_status import SignatureState

DATASET_NAME = "remission endpoint dataset"
#: Written to every Parquet file (``dataset_version``). It changes when a reader of an earlier file
#: must notice: a column removed, renamed or coded differently, or a new kind of content. Version 2
#: adds the casebook signature, the first person's name (the signer's, a staff member) and the first
#: date-time (of the signing) in the file, which a data-use agreement for version 1 did not cover.
DATASET_VERSION = "2"
#: The age threshold of ``age_under_6_months``: the JPLSG MLL03 relapse survey (seed 003)
#: reports age under 6 months at onset; Interfant-06 and MLL-10 use the same cut
#: (CLINICAL_FACTS.md §2). A column definition, not a treatment rule.
UNDER_MONTHS = 6
Origin = Literal["diagnosis", "enrollment"]
ORIGINS: tuple[Origin, ...] = ("diagnosis", "enrollment")

_DAYS = pa.int32()
_EVENT = pa.int8()


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the dataset, with its unit and coding."""

    name: str
    type: pa.DataType
    unit: str
    description: str


#: Columns whose value may be missing with a reason, and the item of a missing-data code that says
#: why (``remission.store.set_missing_code``); ``relapses#`` is completed with the first relapse's id.
CODED_ITEMS = {
    "wbc_at_diagnosis_1e9_per_l": "baseline:wbc_at_diagnosis_1e9_per_l",
    "cns_status": "baseline:cns_status",
    "kmt2a_status": "baseline:genetics.kmt2a.status",
    "remission_before_second_hsct": "relapses#:remission_before_second_hsct",
    "who_type": "baseline:diagnosis.who_type",
}
CODE_SUFFIX = "_missing_code"


def _with_codes(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """``columns`` with a ``<name>_missing_code`` string column after each column of
    :data:`CODED_ITEMS`, so the value column keeps its numeric (or coded) type."""
    result: list[Column] = []
    for column in columns:
        result.append(column)
        if column.name in CODED_ITEMS:
            result.append(
                Column(
                    column.name + CODE_SUFFIX,
                    pa.string(),
                    "",
                    f"Why {column.name} is null: not done, not applicable, unknown, not asked or"
                    " asked but declined; null when no code is recorded.",
                )
            )
    return tuple(result)


COLUMNS: tuple[Column, ...] = (
    Column("patient_key", pa.string(), "", "Pseudonymous study id of the patient."),
    Column("site", pa.string(), "", "Code of the treating site."),
    Column("age_at_diagnosis_days", _DAYS, "days", "Age at diagnosis in days."),
    Column(
        "age_under_6_months",
        pa.bool_(),
        "",
        "True when fewer than 6 completed calendar months old at diagnosis.",
    ),
    Column("sex", pa.string(), "", "female, male or other."),
    Column("wbc_at_diagnosis_1e9_per_l", pa.float64(), "1e9/L", "White blood cell count at diagnosis."),
    Column("cns_status", pa.string(), "", "CNS1, CNS2 or CNS3 at diagnosis."),
    Column("kmt2a_status", pa.string(), "", "KMT2A at diagnosis: rearranged or germline."),
    Column("protocol_id", pa.string(), "", "Protocol of the first enrollment; null when not enrolled."),
    Column(
        "risk_group",
        pa.string(),
        "",
        "Risk group of the current assignment under protocol_id; 'pending' until final;"
        " null when not enrolled.",
    ),
    Column("hsct", pa.bool_(), "", "True when an allogeneic HSCT is recorded."),
    Column("time_to_hsct_days", _DAYS, "days", "Diagnosis to the first HSCT."),
    Column("os_time_days", _DAYS, "days", "Diagnosis to death, or to last contact when alive."),
    Column("os_event", _EVENT, "0/1", "1 death from any cause, 0 censored at last contact."),
    Column("efs_time_days", _DAYS, "days", "Diagnosis to the first of relapse or death, or to last contact."),
    Column("efs_event", _EVENT, "0/1", "1 relapse or death, 0 censored at last contact."),
    Column("relapse_time_days", _DAYS, "days", "Diagnosis to the first relapse, death, or last contact."),
    Column(
        "relapse_cause",
        _EVENT,
        "0/1/2",
        "Competing risks: 0 censored, 1 relapse, 2 death without prior relapse.",
    ),
    Column("relapse_site", pa.string(), "", "Site of the first relapse."),
    Column("relapse_timing", pa.string(), "", "First relapse: before HSCT, after HSCT or no HSCT."),
    Column(
        "remission_before_second_hsct",
        pa.bool_(),
        "",
        "Recorded with the first relapse: remission before the second HSCT.",
    ),
)
COLUMNS = _with_codes(COLUMNS)

#: The casebook signature (21 CFR Part 11 §11.50: a signed record's printed name, date and time and
#: meaning appear in every human-readable form of it). Not a measurement of the child: the signer is
#: a staff member, and the time is when the casebook was signed, in UTC.
SIGNATURE_COLUMNS: tuple[Column, ...] = (
    Column(
        "casebook_signed_by",
        pa.string(),
        "",
        "Printed name of the staff member who gave the casebook signature (the latest valid one, else"
        " the latest invalidated one); null when unsigned.",
    ),
    Column(
        "casebook_signed_at_utc",
        pa.timestamp("us", tz="UTC"),
        "UTC",
        "Date and time (UTC) of that casebook signature; null when unsigned.",
    ),
    Column(
        "casebook_signature_meaning",
        pa.string(),
        "",
        f"Meaning of that casebook signature: {', '.join(m.value for m in SignatureMeaning)};"
        " null when unsigned.",
    ),
    Column(
        "casebook_signature_state",
        pa.string(),
        "",
        f"{SignatureState.VALID.value}: a valid casebook signature; {SignatureState.INVALIDATED.value}:"
        f" every casebook signature was invalidated by a later change; {SignatureState.UNSIGNED.value}:"
        " never signed.",
    ),
)
COLUMNS += SIGNATURE_COLUMNS

EXTENDED_COLUMNS: tuple[Column, ...] = (
    Column("hsct_count", _EVENT, "count", "Number of allogeneic HSCTs recorded."),
    Column("diagnosis_to_enrollment_days", _DAYS, "days", "Days from diagnosis to the first enrollment."),
    Column(
        "dfs_after_hsct_time_days",
        _DAYS,
        "days",
        "First HSCT to the first relapse or death on or after it, or to last contact.",
    ),
    Column("dfs_after_hsct_event", _EVENT, "0/1", "1 relapse or death after the first HSCT, 0 censored."),
    Column("os_after_relapse_time_days", _DAYS, "days", "First relapse to death, or to last contact."),
    Column("os_after_relapse_event", _EVENT, "0/1", "1 death after the first relapse, 0 censored."),
    Column(
        "who_type",
        pa.string(),
        "",
        "WHO diagnostic category at diagnosis: B-ALL, T-ALL, ALAL, AML or mature-B/Burkitt.",
    ),
)
EXTENDED_COLUMNS = _with_codes(EXTENDED_COLUMNS)

#: Columns measured from the dataset's origin (their descriptions name it).
_FROM_ORIGIN = frozenset({"time_to_hsct_days", "os_time_days", "efs_time_days", "relapse_time_days"})


def dataset_schema(
    *, origin: Origin = "diagnosis", extended: bool = False, as_of: date | None = None
) -> pa.Schema:
    """The schema of :func:`derive_endpoints` for these options (field and file metadata included)."""
    columns = COLUMNS + (EXTENDED_COLUMNS if extended else ())
    fields = []
    for c in columns:
        description = c.description
        if c.name in _FROM_ORIGIN and origin != "diagnosis":
            description = description.replace("Diagnosis to", f"{origin.capitalize()} to", 1)
        metadata = {"unit": c.unit, "description": description}
        fields.append(pa.field(c.name, c.type, nullable=True, metadata=metadata))
    schema_metadata: dict[bytes | str, bytes | str] = {
        "dataset": DATASET_NAME,
        "dataset_version": DATASET_VERSION,
        "time_origin": origin,
    }
    if extended:
        schema_metadata["columns"] = "extended"
    if as_of is not None:
        schema_metadata["data_cut"] = as_of.isoformat()
    return pa.schema(fields, metadata=schema_metadata)


SCHEMA = dataset_schema()
