"""A patient's cumulative anthracycline exposure from the stored doses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from remission.record.anthracyclines import running_totals
from remission.store.models import AnthracyclineDose
from remission.store.patients import get_patient
from remission.store.session import StudySession


@dataclass(frozen=True, slots=True)
class DoseLine:
    """One stored dose with its doxorubicin equivalent and the running total (mg/m²)."""

    row: AnthracyclineDose
    doxorubicin_equivalent_mg_per_m2: float | None
    running_total_mg_per_m2: float | None


def dose_lines(session: StudySession, *, patient_id: int) -> list[DoseLine]:
    """Each stored dose of the patient in date order (then entry order), with its running total.

    The total is ``None`` from the first dose of a drug without an agreed conversion factor on.
    Each line keeps its own row, so two identical doses on one day stay two lines with their
    own dexrazoxane flags.
    """
    get_patient(session, patient_id=patient_id)
    doses = list(
        session.scalars(
            select(AnthracyclineDose)
            .where(AnthracyclineDose.patient_id == patient_id)
            .order_by(AnthracyclineDose.date, AnthracyclineDose.id)
        )
    )
    # running_totals sorts stably by date, so its lines keep the order of ``doses``.
    totals = running_totals((dose.date, dose.drug, dose.dose_mg_per_m2) for dose in doses)
    return [
        DoseLine(dose, line.doxorubicin_equivalent_mg_per_m2, line.running_total_mg_per_m2)
        for dose, line in zip(doses, totals, strict=True)
    ]


def exposure(session: StudySession, *, patient_id: int) -> dict[str, Any]:
    """Each dose in date order with its doxorubicin equivalent and the running total (mg/m²).

    The total is ``None`` from the first dose of a drug without an agreed conversion
    factor on; dexrazoxane use is reported per dose and as a count.
    """
    lines = dose_lines(session, patient_id=patient_id)
    return {
        "patient_id": patient_id,
        "doses": [
            {
                "date": line.row.date,
                "drug": line.row.drug,
                "dose_mg_per_m2": line.row.dose_mg_per_m2,
                "doxorubicin_equivalent_mg_per_m2": line.doxorubicin_equivalent_mg_per_m2,
                "running_total_mg_per_m2": line.running_total_mg_per_m2,
                "dexrazoxane": line.row.dexrazoxane,
            }
            for line in lines
        ],
        "cumulative_doxorubicin_equivalent_mg_per_m2": lines[-1].running_total_mg_per_m2 if lines else 0.0,
        "doses_with_dexrazoxane": sum(line.row.dexrazoxane for line in lines),
    }
