"""DM (Demographics): one row per patient, from the patient form, enrollments and risk assignments.

ARM/ARMCD are the arm of the patient's first risk assignment that names one, ACTARM/ACTARMCD the
arm of the latest (a later assignment — re-stratification after MRD — replaces the arm the patient
is treated on). The store keeps no separate record of the treatment actually given, so ACTARM is
the arm in force, not an observation. A patient without an arm has ARMNRS ``NOT ASSIGNED``.
AGE is the age at diagnosis in DAYS (the casebook's ``age_at_diagnosis_days``, computed in the
store from the date of birth, disclosed to every reader); BRTHDTC only when the casebook shows the
date of birth (roles of the patient's site).
"""

from __future__ import annotations

from remission.interop.sdtm_common import (
    PATIENT,
    RISK_ASSIGNMENTS,
    Domain,
    Row,
    Variable,
    forms,
    identifiers,
    iso_date,
    keys,
    reference_start,
    value,
)
from remission.store import Casebook

#: CDISC CT codelist SEX (C66731, non-extensible): F (C16576), M (C20197), U (C17998). Our "other"
#: has no match in it (UNDIFFERENTIATED, C45908, means something else), so SEX stays empty for it.
SEX_CT = {"female": "F", "male": "M"}
#: CDISC CT codelist AGEU (C66781): DAYS (C25301).
AGE_UNIT = "DAYS"
#: CDISC CT codelist ARMNRS (C142179): NOT ASSIGNED (C142239).
NOT_ASSIGNED = "NOT ASSIGNED"

DM = Domain(
    "DM",
    "Demographics",
    "One record per subject",
    (
        *identifiers(),
        Variable("SUBJID", "Subject Identifier for the Study", length=64),
        Variable("RFSTDTC", "Subject Reference Start Date/Time", length=20),
        Variable("SITEID", "Study Site Identifier", length=64),
        Variable("BRTHDTC", "Date/Time of Birth", length=20),
        Variable("AGE", "Age", "integer", None),
        Variable("AGEU", "Age Units", length=10),
        Variable("SEX", "Sex", length=2),
        Variable("ARMCD", "Planned Arm Code", length=64),
        Variable("ARM", "Description of Planned Arm", length=200),
        Variable("ACTARMCD", "Actual Arm Code", length=64),
        Variable("ACTARM", "Description of Actual Arm", length=200),
        Variable("ARMNRS", "Reason Arm and/or Actual Arm is Null", length=40),
    ),
    "Sex, age at diagnosis (days), site and the arm of the risk assignments.",
)


def dm_rows(casebook: Casebook) -> list[Row]:
    """The patient's one DM row."""
    (patient,) = forms(casebook, PATIENT)
    arms = [arm for form in forms(casebook, RISK_ASSIGNMENTS) if (arm := value(form, "arm"))]
    start = reference_start(casebook)
    born = iso_date(value(patient, "date_of_birth")) if casebook.identifiers_shown else None
    age = value(patient, "age_at_diagnosis_days")
    row: Row = {
        **keys(casebook, "DM"),
        "SUBJID": casebook.study_id,
        "RFSTDTC": start.isoformat() if start else None,
        "SITEID": casebook.site,
        "BRTHDTC": born.isoformat() if born else None,
        "AGE": age,
        "AGEU": AGE_UNIT if age is not None else None,
        "SEX": SEX_CT.get(str(value(patient, "sex"))),
    }
    if arms:
        row |= {"ARMCD": arms[0], "ARM": arms[0], "ACTARMCD": arms[-1], "ACTARM": arms[-1]}
    else:
        row["ARMNRS"] = NOT_ASSIGNED
    return [row]
