"""EX (Exposure) and SUPPEX: each anthracycline dose, with its doxorubicin equivalent.

EXDOSE/EXDOSU are the dose as given in mg/m²; SUPPEX QNAM ``DOXEQDOS`` holds the dose in
doxorubicin equivalents (mg/m²) converted by :func:`remission.record.anthracyclines.running_totals`
— the one conversion of the platform, whose factors and sources are in
``record/data/anthracycline_equivalence.yaml`` — and is left out for a drug without an agreed
factor (never a guessed one); QNAM ``DEXRAZ`` says whether dexrazoxane was given with the dose.
EXDOSU is the text ``mg/m2`` (the unit as written in SDTMIG examples; its CDISC CT UNIT entry
was not verified for this export, see docs/interop.md §5).
"""

from __future__ import annotations

from remission.interop.sdtm_common import (
    SUPP_VARIABLES,
    Domain,
    Qualifier,
    Row,
    Variable,
    event_rows,
    forms,
    identifiers,
    iso_date,
    supplemental_rows,
    text,
    value,
    yes_no,
)
from remission.record.anthracyclines import running_totals
from remission.store import Casebook, CasebookForm

DOSE_UNIT = "mg/m2"

EX = Domain(
    "EX",
    "Exposure",
    "One record per constant dosing interval per subject",
    (
        *identifiers(),
        Variable("EXSEQ", "Sequence Number", "integer", None, key_sequence=3),
        Variable("EXTRT", "Name of Treatment", length=64),
        Variable("EXDOSE", "Dose", "double", None),
        Variable("EXDOSU", "Dose Units", length=10),
        Variable("EXSTDTC", "Start Date/Time of Treatment", length=20),
        Variable("EXENDTC", "End Date/Time of Treatment", length=20),
        Variable("EXSTDY", "Study Day of Start of Treatment", "integer", None),
        Variable("EXENDY", "Study Day of End of Treatment", "integer", None),
    ),
    "Anthracycline doses as given (mg/m²); doxorubicin equivalents in SUPPEX.DOXEQDOS.",
)
SUPPEX = Domain(
    "SUPPEX",
    "Supplemental Qualifiers for EX",
    "One record per supplemental qualifier per related EX record",
    SUPP_VARIABLES,
    "DOXEQDOS: the dose in doxorubicin equivalents (mg/m²); DEXRAZ: dexrazoxane given (Y/N).",
)


def doxorubicin_equivalent(drug: str, dose_mg_per_m2: float, on: object) -> float | None:
    """The dose in doxorubicin equivalents (mg/m²) by the platform's conversion; ``None`` without a factor."""
    day = iso_date(on)
    if day is None:
        return None
    (line,) = running_totals([(day, drug, dose_mg_per_m2)])
    return line.doxorubicin_equivalent_mg_per_m2


def ex_rows(casebook: Casebook) -> tuple[list[Row], list[Row]]:
    """The patient's EX rows (one per dose) and their SUPPEX rows."""
    doses = forms(casebook, "anthracycline-doses")
    exposures = event_rows(
        casebook,
        EX,
        (
            (
                {
                    "EXTRT": text(value(form, "drug")),
                    "EXDOSE": value(form, "dose_mg_per_m2"),
                    "EXDOSU": DOSE_UNIT if value(form, "dose_mg_per_m2") is not None else None,
                },
                value(form, "date"),
                value(form, "date"),
            )
            for form in doses
        ),
    )
    return exposures, supplemental_rows(exposures, "EX", (_qualifiers(form) for form in doses))


def _qualifiers(dose: CasebookForm) -> list[Qualifier]:
    """SUPPEX of one dose: its doxorubicin equivalent (when the drug has a factor) and dexrazoxane."""
    drug, amount = value(dose, "drug"), value(dose, "dose_mg_per_m2")
    equivalent = (
        None if drug is None or amount is None else doxorubicin_equivalent(drug, amount, value(dose, "date"))
    )
    return [
        (
            "DOXEQDOS",
            "Doxorubicin-Equivalent Dose (mg/m2)",
            None if equivalent is None else repr(equivalent),
            "Derived",
        ),
        ("DEXRAZ", "Dexrazoxane Given", yes_no(value(dose, "dexrazoxane")), "Collected"),
    ]
