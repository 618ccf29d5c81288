"""LB for MRD results and GF for the diagnostic genetics: the findings of the Dataset-JSON export.

Why these domains (SDTMIG 3.4 and its Genomics Findings domain GF):

- **MRD → LB.** An MRD result is a quantitative measurement on a specimen (bone marrow) by a
  laboratory method — flow cytometry or IG/TR RQ-PCR — reported as a fraction of cells with a
  sensitivity, which is what LB holds (LBORRES/LBSTRESN, LBMETHOD, LBLLOQ, LBTPT). MB is for
  microorganisms, and GF for genetic variants and expression, not for a residual-disease level;
  the PCR target is patient-specific but the result is a disease burden, not a genomic finding.
- **Genetics → GF.** Fusions, KMT2A status and partner, Ph status and the other ``genetics.*``
  fields of the baseline record are genomic findings about the leukaemic clone, which GF
  (Genomics Findings) was added for.

LBTESTCD ``MRD`` and the GFTESTCD values are sponsor-defined (no CDISC CT value was verified for
them); results are verbatim in --ORRES. A field with a missing-data code gives an empty result with
--STAT ``NOT DONE`` and the code in --REASND. GFDTC stays empty: the record does not say when the
diagnostic sample was taken, and the diagnosis date would be a guess.
"""

from __future__ import annotations

import re

from remission.interop.sdtm_common import (
    BASELINE,
    Domain,
    Row,
    Variable,
    code,
    fields,
    forms,
    identifiers,
    keys,
    not_done,
    numbered,
    reference_start,
    study_day,
    text,
    value,
)
from remission.store import Casebook

#: The sponsor-defined test code of an MRD result (not CDISC CT).
MRD_TESTCD = "MRD"
#: LBORRES of a result positive below the quantifiable range.
POSITIVE_NOT_QUANTIFIABLE = "POSITIVE, NOT QUANTIFIABLE"
GENETICS = "genetics"

LB = Domain(
    "LB",
    "Laboratory Test Results",
    "One record per lab test per time point per visit per subject",
    (
        *identifiers(),
        Variable("LBSEQ", "Sequence Number", "integer", None, key_sequence=3),
        Variable("LBTESTCD", "Lab Test or Examination Short Name", length=8),
        Variable("LBTEST", "Lab Test or Examination Name", length=40),
        Variable("LBORRES", "Result or Finding in Original Units", length=200),
        Variable("LBORRESU", "Original Units", length=20),
        Variable("LBSTRESC", "Character Result/Finding in Std Format", length=200),
        Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", "double", None),
        Variable("LBLLOQ", "Lower Limit of Quantitation", "double", None),
        Variable("LBSTAT", "Completion Status", length=8),
        Variable("LBREASND", "Reason Test Not Done", length=200),
        Variable("LBMETHOD", "Method of Test or Examination", length=64),
        Variable("LBTPT", "Planned Time Point Name", length=64),
        Variable("LBDTC", "Date/Time of Specimen Collection", length=20),
        Variable("LBDY", "Study Day of Specimen Collection", "integer", None),
    ),
    "MRD results (fraction of cells; sensitivity in LBLLOQ); LBTESTCD MRD is sponsor-defined.",
)
GF = Domain(
    "GF",
    "Genomics Findings",
    "One record per finding per subject",
    (
        *identifiers(),
        Variable("GFSEQ", "Sequence Number", "integer", None, key_sequence=3),
        Variable("GFTESTCD", "Short Name of Genomic Measurement", length=8),
        Variable("GFTEST", "Name of Genomic Measurement", length=64),
        Variable("GFORRES", "Result or Finding in Original Units", length=200),
        Variable("GFSTRESC", "Character Result/Finding in Std Format", length=200),
        Variable("GFSTAT", "Completion Status", length=8),
        Variable("GFREASND", "Reason Not Done", length=200),
        Variable("GFDTC", "Date/Time of Collection", length=20),
    ),
    "The diagnostic genetics of the baseline record, one row per recorded field, verbatim.",
)


def _mrd_result(fraction: object, unquantifiable: object) -> tuple[str | None, float | None]:
    if unquantifiable is True:
        return POSITIVE_NOT_QUANTIFIABLE, None
    if isinstance(fraction, int | float):
        return repr(float(fraction)), float(fraction)
    return None, None


def lb_rows(casebook: Casebook) -> list[Row]:
    """One LB row per MRD result; a coded value is NOT DONE, never a guessed result."""
    start = reference_start(casebook)
    rows = []
    for form in forms(casebook, "mrd"):
        coded = code(form, "value_fraction") or code(form, "positive_not_quantifiable")
        result, number = (
            (None, None)
            if coded
            else _mrd_result(value(form, "value_fraction"), value(form, "positive_not_quantifiable"))
        )
        rows.append(
            {
                **keys(casebook, "LB"),
                "LBTESTCD": MRD_TESTCD,
                "LBTEST": "Minimal Residual Disease",
                "LBORRES": result,
                "LBORRESU": "fraction" if number is not None else None,
                "LBSTRESC": result,
                "LBSTRESN": number,
                "LBLLOQ": value(form, "sensitivity_fraction"),
                **not_done("LB", coded),
                "LBMETHOD": text(value(form, "method")),
                "LBTPT": text(value(form, "time_point")),
                "LBDTC": text(value(form, "sample_date")),
                "LBDY": study_day(value(form, "sample_date"), start),
            }
        )
    return numbered(rows, "LB")


def gf_test_code(name: str) -> str:
    """A sponsor-defined GFTESTCD (at most 8 characters) from a genetics field's dotted name."""
    parts = name.split(".")[1:]
    return re.sub(r"[^A-Z0-9]", "", "".join(part.upper() for part in parts))[:8] or "GENETICS"


def gf_rows(casebook: Casebook) -> list[Row]:
    """One GF row per recorded field of the baseline genetics (``genetics.*``)."""
    (baseline,) = forms(casebook, BASELINE) or (None,)
    if baseline is None:
        return []
    rows = []
    for name, found in fields(baseline).items():
        if name != GENETICS and not name.startswith(f"{GENETICS}."):
            continue
        result = None if found.code else text(value(baseline, name))
        if result is None and found.code is None:
            continue
        rows.append(
            {
                **keys(casebook, "GF"),
                "GFTESTCD": gf_test_code(name),
                "GFTEST": name.removeprefix(f"{GENETICS}.") if name != GENETICS else GENETICS,
                "GFORRES": result,
                "GFSTRESC": result,
                **not_done("GF", found.code),
            }
        )
    return numbered(rows, "GF")
