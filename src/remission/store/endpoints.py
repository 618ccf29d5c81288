"""The statisticians' endpoint dataset: one de-identified row per patient, as an Arrow table.

The dataset is derived from the store through a :class:`StudySession`, so the actor's site
scope applies (a statistician, data manager, monitor or administrator reads every site; a
site role reads only its own sites). Each table is read once with one SELECT; grouping and
date arithmetic are vectorised with ``pyarrow.compute`` — there is no query per patient.

**Origin** of every time is the date of diagnosis (``baseline.diagnosis.date``). Times are
whole days from that date. The output holds no names, identifiers, dates of birth or calendar
dates: only the pseudonymous study id, the site code, categories, counts and times.

Columns (see ``COLUMNS`` and ``docs/export.md``), with type and unit:

- ``patient_key`` (string): the pseudonymous study id (``Patient.study_id``).
- ``site`` (string): the site code.
- ``age_at_diagnosis_days`` (int32, days): age at diagnosis.
- ``age_under_6_months`` (bool): fewer than 6 completed calendar months old at diagnosis.
- ``sex`` (string): female, male or other.
- ``wbc_at_diagnosis_1e9_per_l`` (float64, ×10⁹/L): white blood cell count at diagnosis.
- ``cns_status`` (string): CNS1, CNS2 or CNS3.
- ``kmt2a_status`` (string): rearranged or germline.
- ``protocol_id`` (string): protocol of the patient's first enrollment.
- ``risk_group`` (string): group of the current risk assignment under that protocol, else
  ``pending``.
- ``hsct`` (bool): an allogeneic HSCT is recorded; ``time_to_hsct_days`` (int32, days):
  diagnosis to the first HSCT.
- ``os_time_days`` (int32, days) / ``os_event`` (int8): 1 death from any cause, 0 censored
  at last contact.
- ``efs_time_days`` (int32, days) / ``efs_event`` (int8): 1 the first of relapse or death,
  0 censored at last contact.
- ``relapse_time_days`` (int32, days) / ``relapse_cause`` (int8): competing risks coded as
  in ``cmprsk``: 0 censored, 1 relapse, 2 death without prior relapse (death in remission).
- ``relapse_site``, ``relapse_timing`` (string; before HSCT, after HSCT or no HSCT, as the
  site recorded it) and ``remission_before_second_hsct`` (bool): of the first relapse.

Rules:

- *Last contact* is the latest date among the diagnosis, follow-ups, relapses, transplants,
  MRD samples, adverse-event onsets and resolutions, actual phase starts and ends,
  anthracycline doses and death.
- A relapse on the day of death counts as a relapse (``relapse_cause`` 1).
- Missing inputs give nulls, never guesses: without a diagnosis date every time and its
  event indicator are null; without a date of birth the ages are null. An endpoint whose
  event date precedes the diagnosis (an inconsistent record) is null too, both time and event.
- ``risk_group`` is null when the patient is not enrolled; ``pending`` when enrolled but the
  current (latest) assignment under the first enrollment's protocol is not final.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select

from remission.protocols.stratification import PENDING
from remission.store.models import (
    AdverseEvent,
    AnthracyclineDose,
    Death,
    Enrollment,
    FollowUp,
    MRDMeasurement,
    Patient,
    Relapse,
    RiskAssignment,
    Site,
    Transplant,
    TreatmentPhaseRecord,
)
from remission.store.session import StudySession

DATASET_NAME = "remission endpoint dataset"
DATASET_VERSION = "1"
#: The age threshold of ``age_under_6_months``: the JPLSG MLL03 relapse survey (seed 003)
#: reports age under 6 months at onset; Interfant-06 and MLL-10 use the same cut
#: (CLINICAL_FACTS.md §2). A column definition, not a treatment rule.
UNDER_MONTHS = 6

_DAYS = pa.int32()
_EVENT = pa.int8()


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the dataset, with its unit and coding."""

    name: str
    type: pa.DataType
    unit: str
    description: str


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

SCHEMA = pa.schema(
    [
        pa.field(c.name, c.type, nullable=True, metadata={"unit": c.unit, "description": c.description})
        for c in COLUMNS
    ],
    metadata={"dataset": DATASET_NAME, "dataset_version": DATASET_VERSION, "time_origin": "diagnosis"},
)

_MONTH_LENGTHS = pa.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())


def _load(session: StudySession, columns: dict[str, tuple[Any, pa.DataType]]) -> pa.Table:
    """One SELECT of ``columns`` through the session's site scope, as an Arrow table."""
    statement = select(*(expression.label(name) for name, (expression, _) in columns.items()))
    rows = session.execute(statement).all()
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pa.table(
        {
            name: pa.array(column, type=kind)
            for (name, (_, kind)), column in zip(columns.items(), values, strict=True)
        }
    )


def _dated(table: pa.Table, column: str) -> pa.Table:
    """``patient_id`` and one date column of ``table``, renamed ``date``."""
    return pa.table({"patient_id": table["patient_id"], "date": table[column]})


def _first_per_patient(table: pa.Table, order: list[tuple[str, str]]) -> pa.Table:
    """The first row of each patient after sorting by ``order`` (nulls kept, not skipped)."""
    ordered = table.sort_by([("patient_id", "ascending"), *order])
    values = [name for name in ordered.column_names if name != "patient_id"]
    keep_nulls = pc.ScalarAggregateOptions(skip_nulls=False)
    firsts = pa.TableGroupBy(ordered, "patient_id", use_threads=False).aggregate(
        [(name, "first", keep_nulls) for name in values]
    )
    return firsts.rename_columns({f"{name}_first": name for name in values})


def _lookup(keys: pa.ChunkedArray, table: pa.Table, column: str, key: str = "patient_id") -> pa.Array:
    """``table[column]`` aligned to ``keys`` (null where ``keys`` has no row in ``table``)."""
    positions = pc.index_in(keys, value_set=table[key].combine_chunks())
    return table[column].combine_chunks().take(positions)


def _null(kind: pa.DataType) -> pa.Scalar:
    return pa.scalar(None, type=kind)


def completed_months(born: pa.Array, on: pa.Array) -> pa.Array:
    """Completed calendar months from ``born`` to ``on``, elementwise (int64).

    The vectorised form of ``remission.record.ages.age(born, on, AgeUnit.MONTHS)``: the
    month anniversary falls on the birth day, clamped to the last day of a shorter month
    (29 February → 28 February). Null where either date is null or ``on`` precedes
    ``born``. A property test checks it against :func:`remission.record.ages.age`.
    """
    whole = pc.add(
        pc.multiply(pc.subtract(pc.year(on), pc.year(born)), 12),
        pc.subtract(pc.month(on), pc.month(born)),
    )
    february_29 = pc.and_(pc.equal(pc.month(on), 2), pc.is_leap_year(on))
    month_length = pc.add(
        pc.take(_MONTH_LENGTHS, pc.subtract(pc.month(on), 1)), pc.cast(february_29, pa.int64())
    )
    anniversary = pc.min_element_wise(pc.day(born), month_length)
    months = pc.subtract(whole, pc.cast(pc.greater(anniversary, pc.day(on)), pa.int64()))
    return pc.if_else(pc.less(on, born), _null(pa.int64()), months)


def _days(origin: pa.Array, end: pa.Array) -> pa.Array:
    """Whole days from ``origin`` to ``end``; null when either is null or ``end`` is earlier."""
    days = pc.days_between(origin, end)
    return pc.if_else(pc.greater_equal(days, 0), days, _null(pa.int64())).cast(_DAYS)


def _endpoint(
    origin: pa.Array, event_date: pa.Array, censor_date: pa.Array, code: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """(time, code): the time to ``event_date`` if any, else to ``censor_date`` with code 0.

    Both are null when the time is unknown or negative: an endpoint is a pair.
    """
    has_event = pc.is_valid(event_date)
    time = _days(origin, pc.if_else(has_event, event_date, censor_date))
    coded = pc.if_else(has_event, code, pa.scalar(0, _EVENT))
    return time, pc.if_else(pc.is_valid(time), coded, _null(_EVENT))


def _patients(session: StudySession) -> pa.Table:
    table = _load(
        session,
        {
            "patient_id": (Patient.id, pa.int64()),
            "patient_key": (Patient.study_id, pa.string()),
            "site_id": (Patient.site_id, pa.int64()),
            "sex": (Patient.sex, pa.string()),
            "born": (Patient.date_of_birth, pa.date32()),
            "diagnosed": (Patient.baseline[("diagnosis", "date")].as_string(), pa.string()),
            "wbc_at_diagnosis_1e9_per_l": (
                Patient.baseline["wbc_at_diagnosis_1e9_per_l"].as_float(),
                pa.float64(),
            ),
            "cns_status": (Patient.baseline["cns_status"].as_string(), pa.string()),
            "kmt2a_status": (Patient.baseline[("genetics", "kmt2a", "status")].as_string(), pa.string()),
        },
    )
    table = table.set_column(
        table.schema.get_field_index("diagnosed"), "diagnosed", table["diagnosed"].cast(pa.date32())
    )
    return table.sort_by("patient_key")


def _risk(session: StudySession) -> tuple[pa.Table, pa.Table]:
    """The first enrollment of each patient and the latest assignment under its protocol."""
    enrollments = _load(
        session,
        {
            "patient_id": (Enrollment.patient_id, pa.int64()),
            "enrolled_on": (Enrollment.enrolled_on, pa.date32()),
            "enrollment_id": (Enrollment.id, pa.int64()),
            "protocol_id": (Enrollment.protocol_id, pa.string()),
        },
    )
    first = _first_per_patient(enrollments, [("enrolled_on", "ascending"), ("enrollment_id", "ascending")])
    assignments = _load(
        session,
        {
            "patient_id": (RiskAssignment.patient_id, pa.int64()),
            "protocol_id": (RiskAssignment.protocol_id, pa.string()),
            "assignment_id": (RiskAssignment.id, pa.int64()),
            "risk_group": (RiskAssignment.risk_group, pa.string()),
        },
    )
    under_first = assignments.join(
        first.select(["patient_id", "protocol_id"]), keys=["patient_id", "protocol_id"], join_type="inner"
    )
    latest = _first_per_patient(
        under_first.select(["patient_id", "assignment_id", "risk_group"]), [("assignment_id", "descending")]
    )
    return first, latest


def derive_endpoints(session: StudySession) -> pa.Table:
    """The endpoint dataset of every patient the session's actor may read (schema ``SCHEMA``).

    Rows are ordered by ``patient_key``. See the module docstring for the definitions.
    """
    people = _patients(session)
    keys = people["patient_id"]
    sites = _load(session, {"site_id": (Site.id, pa.int64()), "code": (Site.code, pa.string())})

    deaths = _load(session, {"patient_id": (Death.patient_id, pa.int64()), "date": (Death.date, pa.date32())})
    relapses = _load(
        session,
        {
            "patient_id": (Relapse.patient_id, pa.int64()),
            "date": (Relapse.date, pa.date32()),
            "relapse_id": (Relapse.id, pa.int64()),
            "site": (Relapse.site, pa.string()),
            "timing": (Relapse.timing, pa.string()),
            "remission_before_second_hsct": (Relapse.remission_before_second_hsct, pa.bool_()),
        },
    )
    transplants = _load(
        session,
        {"patient_id": (Transplant.patient_id, pa.int64()), "date": (Transplant.date, pa.date32())},
    )
    follow_ups = _load(
        session, {"patient_id": (FollowUp.patient_id, pa.int64()), "date": (FollowUp.date, pa.date32())}
    )
    mrd = _load(
        session,
        {
            "patient_id": (MRDMeasurement.patient_id, pa.int64()),
            "date": (MRDMeasurement.sample_date, pa.date32()),
        },
    )
    adverse = _load(
        session,
        {
            "patient_id": (AdverseEvent.patient_id, pa.int64()),
            "onset": (AdverseEvent.onset_date, pa.date32()),
            "resolution": (AdverseEvent.resolution_date, pa.date32()),
        },
    )
    phases = _load(
        session,
        {
            "patient_id": (TreatmentPhaseRecord.patient_id, pa.int64()),
            "start": (TreatmentPhaseRecord.actual_start, pa.date32()),
            "end": (TreatmentPhaseRecord.actual_end, pa.date32()),
        },
    )
    doses = _load(
        session,
        {
            "patient_id": (AnthracyclineDose.patient_id, pa.int64()),
            "date": (AnthracyclineDose.date, pa.date32()),
        },
    )
    first_enrollment, latest_assignment = _risk(session)

    contacts = pa.concat_tables(
        [
            pa.table({"patient_id": keys, "date": people["diagnosed"]}),
            _dated(deaths, "date"),
            _dated(relapses, "date"),
            _dated(transplants, "date"),
            follow_ups,
            mrd,
            _dated(adverse, "onset"),
            _dated(adverse, "resolution"),
            _dated(phases, "start"),
            _dated(phases, "end"),
            doses,
        ]
    )
    last_contact = contacts.group_by("patient_id").aggregate([("date", "max")])
    first_relapse = _first_per_patient(relapses, [("date", "ascending"), ("relapse_id", "ascending")])
    first_hsct = transplants.group_by("patient_id").aggregate([("date", "min")])

    diagnosed = people["diagnosed"].combine_chunks()
    born = people["born"].combine_chunks()
    died = _lookup(keys, deaths, "date")
    relapsed = _lookup(keys, first_relapse, "date")
    censored = _lookup(keys, last_contact, "date_max")
    transplanted = _lookup(keys, first_hsct, "date_min")

    age_days = _days(born, diagnosed)
    under = pc.less(completed_months(born, diagnosed), UNDER_MONTHS)

    os_time, os_event = _endpoint(diagnosed, died, censored, pa.scalar(1, _EVENT))
    first_event = pc.min_element_wise(relapsed, died)
    relapse_first = pc.fill_null(pc.equal(first_event, relapsed), False)
    cause = pc.if_else(relapse_first, pa.scalar(1, _EVENT), pa.scalar(2, _EVENT))
    efs_time, efs_event = _endpoint(diagnosed, first_event, censored, pa.scalar(1, _EVENT))
    relapse_time, relapse_cause = _endpoint(diagnosed, first_event, censored, cause)

    protocol = _lookup(keys, first_enrollment, "protocol_id")
    group = _lookup(keys, latest_assignment, "risk_group")
    enrolled = pc.is_valid(protocol)
    group = pc.if_else(enrolled, pc.fill_null(group, PENDING), _null(pa.string()))

    columns = {
        "patient_key": people["patient_key"],
        "site": _lookup(people["site_id"], sites, "code", key="site_id"),
        "age_at_diagnosis_days": age_days,
        "age_under_6_months": pc.if_else(pc.is_valid(age_days), under, _null(pa.bool_())),
        "sex": people["sex"],
        "wbc_at_diagnosis_1e9_per_l": people["wbc_at_diagnosis_1e9_per_l"],
        "cns_status": people["cns_status"],
        "kmt2a_status": people["kmt2a_status"],
        "protocol_id": protocol,
        "risk_group": group,
        "hsct": pc.is_valid(transplanted),
        "time_to_hsct_days": _days(diagnosed, transplanted),
        "os_time_days": os_time,
        "os_event": os_event,
        "efs_time_days": efs_time,
        "efs_event": efs_event,
        "relapse_time_days": relapse_time,
        "relapse_cause": relapse_cause,
        "relapse_site": _lookup(keys, first_relapse, "site"),
        "relapse_timing": _lookup(keys, first_relapse, "timing"),
        "remission_before_second_hsct": _lookup(keys, first_relapse, "remission_before_second_hsct"),
    }
    return pa.table(
        [pa.chunked_array([c]) if isinstance(c, pa.Array) else c for c in columns.values()], schema=SCHEMA
    )
