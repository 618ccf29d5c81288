"""A patient's cumulative anthracycline exposure from the stored doses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from remission.record.anthracyclines import running_totals
from remission.store.models import AnthracyclineDose
from remission.store.patients import get_patient
from remission.store.session import StudySession


def exposure(session: StudySession, patient_id: int) -> dict[str, Any]:
    """Each dose in date order with its doxorubicin equivalent and the running total (mg/m²).

    The total is ``None`` from the first dose of a drug without an agreed conversion
    factor on; dexrazoxane use is reported per dose and as a count.
    """
    get_patient(session, patient_id)
    doses = list(
        session.scalars(
            select(AnthracyclineDose)
            .where(AnthracyclineDose.patient_id == patient_id)
            .order_by(AnthracyclineDose.date, AnthracyclineDose.id)
        )
    )
    lines = running_totals((dose.date, dose.drug, dose.dose_mg_per_m2) for dose in doses)
    with_dexrazoxane = {(dose.date, dose.drug, dose.dose_mg_per_m2): dose.dexrazoxane for dose in doses}
    return {
        "patient_id": patient_id,
        "doses": [
            {
                "date": line.date,
                "drug": line.drug,
                "dose_mg_per_m2": line.dose_mg_per_m2,
                "doxorubicin_equivalent_mg_per_m2": line.doxorubicin_equivalent_mg_per_m2,
                "running_total_mg_per_m2": line.running_total_mg_per_m2,
                "dexrazoxane": with_dexrazoxane[(line.date, line.drug, line.dose_mg_per_m2)],
            }
            for line in lines
        ],
        "cumulative_doxorubicin_equivalent_mg_per_m2": lines[-1].running_total_mg_per_m2 if lines else 0.0,
        "doses_with_dexrazoxane": sum(dose.dexrazoxane for dose in doses),
    }
