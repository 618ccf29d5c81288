"""The endpoint dataset derived from its source tables: pure Arrow computation, no database.

:func:`derive_endpoint_table` turns the tables :mod:`remission.store.endpoint_sources` loads
(one SELECT each) into the dataset, applying the data cut; it can be tested on hand-built
tables. The definitions (origins, last contact, competing causes, the data cut) are those of
:mod:`remission.store.endpoints`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as _compute

from remission.protocols.stratification import PENDING
from remission.store.endpoint_columns import (
    CODE_SUFFIX,
    CODED_ITEMS,
    ORIGINS,
    UNDER_MONTHS,
    Origin,
    dataset_schema,
)
from remission.store.endpoint_sources import EndpointSources
from remission.store.errors import Refused
from remission.store.signature_status import SignatureState

# pyarrow-stubs' overloads of the compute functions reject calls pyarrow accepts and the tests
# exercise (``equal(Int64Array, int)``, ``is_leap_year(Array)``, scalars as arguments), so the
# compute module is typed loosely here; the tables and arrays around it keep their types.
pc: Any = _compute

_DAYS = pa.int32()
_EVENT = pa.int8()

_MONTH_LENGTHS = pa.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int64())


def _until(table: pa.Table, column: str, as_of: date | None) -> pa.Table:
    """The rows of ``table`` whose ``column`` is null or on or before ``as_of`` (all without a cut)."""
    if as_of is None:
        return table
    kept = pc.or_kleene(
        pc.is_null(table[column]), pc.less_equal(table[column], pa.scalar(as_of, pa.date32()))
    )
    return table.filter(kept)


def _blank_after(table: pa.Table, column: str, as_of: date | None) -> pa.Table:
    """``table`` with the dates of ``column`` after ``as_of`` set to null (not yet recorded)."""
    if as_of is None:
        return table
    values = table[column]
    later = pc.fill_null(pc.greater(values, pa.scalar(as_of, pa.date32())), False)
    blanked = pc.if_else(later, pa.scalar(None, pa.date32()), values)
    return table.set_column(table.schema.get_field_index(column), column, blanked)


SortOrder = list[tuple[str, Literal["ascending", "descending"]]]


def _columns(columns: dict[str, Any]) -> pa.Table:
    """A table of named arrays or chunked arrays (the stubs accept only the former)."""
    return pa.table(columns)


def _first_per_patient(table: pa.Table, order: SortOrder) -> pa.Table:
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
    origin: pa.Array, event_date: pa.Array, censor_date: pa.Array, code: pa.Array | pa.Scalar
) -> tuple[pa.Array, pa.Array]:
    """(time, code): the time to ``event_date`` if any, else to ``censor_date`` with code 0.

    Both are null when the time is unknown or negative: an endpoint is a pair.
    """
    has_event = pc.is_valid(event_date)
    time = _days(origin, pc.if_else(has_event, event_date, censor_date))
    coded = pc.if_else(has_event, code, pa.scalar(0, _EVENT))
    return time, pc.if_else(pc.is_valid(time), coded, _null(_EVENT))


def _dated(table: pa.Table, as_of: date | None) -> pa.Table:
    """``patient_id`` and ``date`` rows up to the data cut."""
    return _until(table, "date", as_of)


def _contacts(sources: EndpointSources, as_of: date | None) -> list[pa.Table]:
    """Every dated contact other than the diagnosis, deaths, relapses and transplants."""
    adverse = _blank_after(_until(sources.adverse_events, "onset", as_of), "resolution", as_of)
    phases = _blank_after(_blank_after(sources.phases, "start", as_of), "end", as_of)
    pairs = ((adverse, "onset"), (adverse, "resolution"), (phases, "start"), (phases, "end"))
    return [
        _dated(sources.follow_ups, as_of),
        _dated(sources.mrd_samples, as_of),
        *(_columns({"patient_id": table["patient_id"], "date": table[name]}) for table, name in pairs),
        _dated(sources.doses, as_of),
    ]


def derive_endpoint_table(
    sources: EndpointSources,
    *,
    origin: Origin = "diagnosis",
    extended: bool = False,
    as_of: date | None = None,
) -> pa.Table:
    """The endpoint dataset of the patients in ``sources`` (see :func:`remission.store.derive_endpoints`)."""
    if origin not in ORIGINS:
        raise Refused("origin", f"must be one of {', '.join(ORIGINS)}, got {origin!r}")
    # Children diagnosed after the data cut are not yet in the study; no diagnosis date: kept.
    people = _until(sources.patients, "diagnosed", as_of).sort_by("patient_key")
    keys = people["patient_id"]
    sites = sources.sites
    deaths = _dated(sources.deaths, as_of)
    relapses = _until(sources.relapses, "date", as_of)
    transplants = _dated(sources.transplants, as_of)
    # The first enrollment is the earliest dated: if it is after the cut, so are all the others.
    first_enrollment = _until(sources.first_enrollment, "enrolled_on", as_of)

    diagnosed = people["diagnosed"].combine_chunks()
    enrolled_on = _lookup(keys, first_enrollment, "enrolled_on")
    start = diagnosed if origin == "diagnosis" else enrolled_on
    contacts = pa.concat_tables(
        [
            _columns({"patient_id": keys, "date": diagnosed}),
            _columns({"patient_id": keys, "date": start}),
            deaths,
            relapses.select(["patient_id", "date"]),
            transplants,
            *_contacts(sources, as_of),
        ]
    )
    last_contact = contacts.group_by("patient_id").aggregate([("date", "max")])
    first_relapse = _first_per_patient(relapses, [("date", "ascending"), ("relapse_id", "ascending")])
    hsct_dates = transplants.group_by("patient_id").aggregate([("date", "min"), ("date", "count")])

    born = people["born"].combine_chunks()
    died = _lookup(keys, deaths, "date")
    relapsed = _lookup(keys, first_relapse, "date")
    censored = _lookup(keys, last_contact, "date_max")
    transplanted = _lookup(keys, hsct_dates, "date_min")

    age_days = _days(born, diagnosed)
    under = pc.less(completed_months(born, diagnosed), UNDER_MONTHS)

    os_time, os_event = _endpoint(start, died, censored, pa.scalar(1, _EVENT))
    first_event = pc.min_element_wise(relapsed, died)
    relapse_first = pc.fill_null(pc.equal(first_event, relapsed), False)
    cause = pc.if_else(relapse_first, pa.scalar(1, _EVENT), pa.scalar(2, _EVENT))
    efs_time, efs_event = _endpoint(start, first_event, censored, pa.scalar(1, _EVENT))
    relapse_time, relapse_cause = _endpoint(start, first_event, censored, cause)

    protocol = _lookup(keys, first_enrollment, "protocol_id")
    group = _lookup(keys, first_enrollment, "risk_group")
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
        "time_to_hsct_days": _days(start, transplanted),
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
    if extended:
        count = pc.fill_null(_lookup(keys, hsct_dates, "date_count"), 0).cast(_EVENT)
        columns |= {"hsct_count": count, "diagnosis_to_enrollment_days": _days(diagnosed, enrolled_on)}
        columns |= _later_origins(keys, relapses, transplanted, relapsed, died, censored)
        columns["who_type"] = people["who_type"]
    columns |= _casebook_signature(keys, sources.casebook_signatures)
    codes = _missing_codes(keys, sources.missing_codes, _lookup(keys, first_relapse, "relapse_id"))
    schema = dataset_schema(origin=origin, extended=extended, as_of=as_of)
    columns = {
        name: codes.get(name) if name.endswith(CODE_SUFFIX) else columns[name] for name in schema.names
    }
    return pa.table(
        [pa.chunked_array([c]) if isinstance(c, pa.Array) else c for c in columns.values()], schema=schema
    )


def _casebook_signature(keys: pa.ChunkedArray, signatures: pa.Table) -> dict[str, pa.Array]:
    """The casebook signature of each patient (``SIGNATURE_COLUMNS``): the latest valid one, else the
    latest invalidated one; all null and ``unsigned`` without any.

    "Latest" is the last stored (the highest id), as in :mod:`remission.store.signature_status`. The
    signature is the casebook's as it stands when the dataset is read, whatever the data cut: it is
    bound to the stored content the dataset is derived from, corrections made after the cut included.
    """
    valid = pc.is_null(signatures["invalidated_at"])
    ranked = signatures.select(["patient_id", "signature_id", "signed_by", "signed_at", "meaning"])
    ranked = ranked.append_column("invalid", pc.invert(valid))
    # Valid before invalidated (false sorts first), then the last stored first.
    chosen = _first_per_patient(ranked, [("invalid", "ascending"), ("signature_id", "descending")])
    invalid = _lookup(keys, chosen, "invalid")
    state = pc.if_else(
        pc.is_null(invalid),
        SignatureState.UNSIGNED.value,
        pc.if_else(invalid, SignatureState.INVALIDATED.value, SignatureState.VALID.value),
    )
    return {
        "casebook_signed_by": _lookup(keys, chosen, "signed_by"),
        "casebook_signed_at_utc": _lookup(keys, chosen, "signed_at"),
        "casebook_signature_meaning": _lookup(keys, chosen, "meaning"),
        "casebook_signature_state": state,
    }


def _missing_codes(keys: pa.ChunkedArray, codes: pa.Table, first_relapse: pa.Array) -> dict[str, pa.Array]:
    """``<column>_missing_code`` for each column of :data:`CODED_ITEMS`: the code of the item behind
    that patient's value (the first relapse's row for the relapse column), null without one."""
    patient = pc.cast(keys.combine_chunks(), pa.string())
    stored = pc.binary_join_element_wise(pc.cast(codes["patient_id"], pa.string()), codes["item"], "|")
    stored_codes = codes["code"].combine_chunks()
    found: dict[str, pa.Array] = {}
    for column, item in CODED_ITEMS.items():
        if item.startswith("relapses#"):
            row = pc.cast(first_relapse, pa.string())
            wanted = pc.binary_join_element_wise(
                patient, pc.binary_join_element_wise("relapses#", row, ""), "|"
            )
            wanted = pc.binary_join_element_wise(wanted, item.removeprefix("relapses#"), "")
        else:
            wanted = pc.binary_join_element_wise(patient, item, "|")
        positions = pc.index_in(wanted, value_set=stored.combine_chunks() if stored.num_chunks else stored)
        found[column + CODE_SUFFIX] = stored_codes.take(positions)
    return found


def _later_origins(
    keys: pa.ChunkedArray,
    relapses: pa.Table,
    transplanted: pa.Array,
    relapsed: pa.Array,
    died: pa.Array,
    censored: pa.Array,
) -> dict[str, pa.Array]:
    """DFS from the first HSCT and OS from the first relapse (``EXTENDED_COLUMNS``)."""
    # Relapses on or after each patient's first HSCT: the DFS event is the earliest of them or death.
    hsct_of_row = _lookup(
        relapses["patient_id"], _columns({"patient_id": keys, "hsct": transplanted}), "hsct"
    )
    after = relapses.filter(pc.fill_null(pc.greater_equal(relapses["date"], hsct_of_row), False))
    relapse_after = _lookup(keys, after.group_by("patient_id").aggregate([("date", "min")]), "date_min")
    dfs_event_date = pc.min_element_wise(relapse_after, died)
    dfs_time, dfs_event = _endpoint(transplanted, dfs_event_date, censored, pa.scalar(1, _EVENT))
    post_time, post_event = _endpoint(relapsed, died, censored, pa.scalar(1, _EVENT))
    # Without an HSCT (or a relapse) there is no origin: the pair stays null, not censored at 0.
    return {
        "dfs_after_hsct_time_days": dfs_time,
        "dfs_after_hsct_event": dfs_event,
        "os_after_relapse_time_days": post_time,
        "os_after_relapse_event": post_event,
    }
