"""The source tables of the endpoint dataset, each read with one SELECT through the session's scope.

No derivation happens here (see :mod:`remission.store.endpoint_derivation`): each table is the
stored rows as Arrow columns, with no data cut applied. Site scope applies to every SELECT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import String, select, type_coerce

from remission.protocols.signature_plan import SignedUnit
from remission.store.current_risk import current_risk_statement
from remission.store.missing_data_models import MissingDataCode
from remission.store.models import (
    AdverseEvent,
    AnthracyclineDose,
    Death,
    FollowUp,
    MRDMeasurement,
    Patient,
    Relapse,
    Site,
    Transplant,
    TreatmentPhaseRecord,
)
from remission.store.session import StudySession
from remission.store.signature_models import Signature


@dataclass(frozen=True)
class EndpointSources:
    """The stored rows the dataset is derived from; ``patient_id`` keys every table but ``sites``.

    ``patients``: patient_key, site_id, sex, born, diagnosed, wbc_at_diagnosis_1e9_per_l,
    cns_status, kmt2a_status, who_type. ``first_enrollment``: enrolled_on, protocol_id and the current
    risk group (:mod:`remission.store.current_risk`). ``relapses``: date, relapse_id, site,
    timing, remission_before_second_hsct. ``adverse_events``: onset, resolution. ``phases``:
    start, end. ``deaths``, ``transplants``, ``follow_ups``, ``mrd_samples``, ``doses``: date.
    ``missing_codes``: item, code (the missing-data codes; none by default).
    ``casebook_signatures``: signature_id, signed_by (the signer's printed name), signed_at (UTC),
    meaning, invalidated_at (UTC; null while valid): every casebook signature, invalidated ones
    included (none by default).
    """

    patients: pa.Table
    sites: pa.Table
    first_enrollment: pa.Table
    deaths: pa.Table
    relapses: pa.Table
    transplants: pa.Table
    follow_ups: pa.Table
    mrd_samples: pa.Table
    doses: pa.Table
    adverse_events: pa.Table
    phases: pa.Table
    missing_codes: pa.Table = field(
        default_factory=lambda: pa.table(
            {
                "patient_id": pa.array([], pa.int64()),
                "item": pa.array([], pa.string()),
                "code": pa.array([], pa.string()),
            }
        )
    )
    casebook_signatures: pa.Table = field(
        default_factory=lambda: pa.table(
            {name: pa.array([], kind) for name, kind in CASEBOOK_SIGNATURE_TYPES.items()}
        )
    )


#: The columns of :attr:`EndpointSources.casebook_signatures` and their Arrow types.
CASEBOOK_SIGNATURE_TYPES: dict[str, pa.DataType] = {
    "patient_id": pa.int64(),
    "signature_id": pa.int64(),
    "signed_by": pa.string(),
    "signed_at": pa.timestamp("us", tz="UTC"),
    "meaning": pa.string(),
    "invalidated_at": pa.timestamp("us", tz="UTC"),
}


def _load(session: StudySession, columns: dict[str, tuple[Any, pa.DataType]], *where: Any) -> pa.Table:
    """One SELECT of ``columns`` (rows matching ``where``) through the session's site scope, as Arrow."""
    statement = select(*(expression.label(name) for name, (expression, _) in columns.items())).where(*where)
    rows = session.execute(statement).all()
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pa.table(
        {
            name: pa.array(column, type=kind)
            for (name, (_, kind)), column in zip(columns.items(), values, strict=True)
        }
    )


def _dated(session: StudySession, model: Any, column: Any) -> pa.Table:
    return _load(session, {"patient_id": (model.patient_id, pa.int64()), "date": (column, pa.date32())})


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
            "who_type": (Patient.baseline[("diagnosis", "who_type")].as_string(), pa.string()),
        },
    )
    return table.set_column(
        table.schema.get_field_index("diagnosed"), "diagnosed", table["diagnosed"].cast(pa.date32())
    )


def _first_enrollment(session: StudySession) -> pa.Table:
    current = current_risk_statement(primary_only=True).subquery()
    return _load(
        session,
        {
            "patient_id": (current.c.patient_id, pa.int64()),
            "enrolled_on": (current.c.enrolled_on, pa.date32()),
            "protocol_id": (current.c.protocol_id, pa.string()),
            "risk_group": (current.c.risk_group, pa.string()),
        },
    )


def _casebook_signatures(session: StudySession) -> pa.Table:
    """Every casebook signature of the patients in scope, in one SELECT (the choice is the derivation's)."""
    expressions = {
        "patient_id": Signature.patient_id,
        "signature_id": Signature.id,
        "signed_by": Signature.signer_name,
        "signed_at": Signature.signed_at,
        # The stored string, not the enum the mapped column turns it into.
        "meaning": type_coerce(Signature.meaning, String),
        "invalidated_at": Signature.invalidated_at,
    }
    columns = {name: (expressions[name], kind) for name, kind in CASEBOOK_SIGNATURE_TYPES.items()}
    return _load(session, columns, Signature.unit == SignedUnit.CASEBOOK, Signature.row_id.is_(None))


def load_endpoint_sources(session: StudySession) -> EndpointSources:
    """Every source table the session's actor may read (a fixed number of SELECTs)."""
    return EndpointSources(
        patients=_patients(session),
        sites=_load(session, {"site_id": (Site.id, pa.int64()), "code": (Site.code, pa.string())}),
        first_enrollment=_first_enrollment(session),
        deaths=_dated(session, Death, Death.date),
        relapses=_load(
            session,
            {
                "patient_id": (Relapse.patient_id, pa.int64()),
                "date": (Relapse.date, pa.date32()),
                "relapse_id": (Relapse.id, pa.int64()),
                "site": (Relapse.site, pa.string()),
                "timing": (Relapse.timing, pa.string()),
                "remission_before_second_hsct": (Relapse.remission_before_second_hsct, pa.bool_()),
            },
        ),
        transplants=_dated(session, Transplant, Transplant.date),
        follow_ups=_dated(session, FollowUp, FollowUp.date),
        mrd_samples=_dated(session, MRDMeasurement, MRDMeasurement.sample_date),
        doses=_dated(session, AnthracyclineDose, AnthracyclineDose.date),
        adverse_events=_load(
            session,
            {
                "patient_id": (AdverseEvent.patient_id, pa.int64()),
                "onset": (AdverseEvent.onset_date, pa.date32()),
                "resolution": (AdverseEvent.resolution_date, pa.date32()),
            },
        ),
        phases=_load(
            session,
            {
                "patient_id": (TreatmentPhaseRecord.patient_id, pa.int64()),
                "start": (TreatmentPhaseRecord.actual_start, pa.date32()),
                "end": (TreatmentPhaseRecord.actual_end, pa.date32()),
            },
        ),
        missing_codes=_load(
            session,
            {
                "patient_id": (MissingDataCode.patient_id, pa.int64()),
                "item": (MissingDataCode.item, pa.string()),
                "code": (MissingDataCode.code, pa.string()),
            },
        ),
        casebook_signatures=_casebook_signatures(session),
    )
