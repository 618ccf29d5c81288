"""AE (Adverse Events) and SUPPAE: each recorded adverse event with its CTCAE grade.

AETERM is the CTCAE term as recorded and AETOXGR its grade; the CTCAE version each event was graded
with (``terminology``, e.g. ``CTCAE v5.0``) goes to SUPPAE (QNAM ``AETOXVER``) since AE has no
variable for it. AEDECOD (the MedDRA preferred term) stays empty: the store does not code events to
MedDRA. AEREL holds the recorded attribution verbatim (the sponsor's causality scale, not CT).
"""

from __future__ import annotations

from remission.interop.sdtm_common import (
    SUPP_VARIABLES,
    Domain,
    Row,
    Variable,
    event_rows,
    forms,
    identifiers,
    supplemental_rows,
    text,
    value,
    yes_no,
)
from remission.store import Casebook

AE = Domain(
    "AE",
    "Adverse Events",
    "One record per adverse event per subject",
    (
        *identifiers(),
        Variable("AESEQ", "Sequence Number", "integer", None, key_sequence=3),
        Variable("AETERM", "Reported Term for the Adverse Event", length=200),
        Variable("AEDECOD", "Dictionary-Derived Term", length=200),
        Variable("AESER", "Serious Event", length=1),
        Variable("AEREL", "Causality", length=40),
        Variable("AETOXGR", "Standard Toxicity Grade", length=1),
        Variable("AESTDTC", "Start Date/Time of Adverse Event", length=20),
        Variable("AEENDTC", "End Date/Time of Adverse Event", length=20),
        Variable("AESTDY", "Study Day of Start of Adverse Event", "integer", None),
        Variable("AEENDY", "Study Day of End of Adverse Event", "integer", None),
    ),
    "CTCAE terms and grades as recorded; the CTCAE version of each in SUPPAE.AETOXVER.",
)
SUPPAE = Domain(
    "SUPPAE",
    "Supplemental Qualifiers for AE",
    "One record per supplemental qualifier per related AE record",
    SUPP_VARIABLES,
    "AETOXVER: the CTCAE version AETOXGR was graded with.",
)


def ae_rows(casebook: Casebook) -> tuple[list[Row], list[Row]]:
    """The patient's AE rows and their SUPPAE rows."""
    adverse_events = forms(casebook, "adverse-events")
    events = event_rows(
        casebook,
        AE,
        (
            (
                {
                    "AETERM": text(value(form, "term")),
                    "AESER": yes_no(value(form, "serious")),
                    "AEREL": text(value(form, "attribution")),
                    "AETOXGR": text(value(form, "grade")),
                },
                value(form, "onset_date"),
                value(form, "resolution_date"),
            )
            for form in adverse_events
        ),
    )
    versions = (
        [("AETOXVER", "CTCAE Version", text(value(form, "terminology")), "Collected")]
        for form in adverse_events
    )
    return events, supplemental_rows(events, "AE", versions)
