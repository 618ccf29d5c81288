"""The demo study's consent form versions: a first and a second parental permission form, and an
assent form, so the pages show who must re-consent and whose assent is due.

Synthetic children consented before the second form's approval are on the first, so they are on
the second form's re-consent list; children diagnosed from 2016 reach NCT06516679's assent age
(a protocol parameter) from 2023, so their assent falls due during follow-up.
"""

from __future__ import annotations

from datetime import date

from remission.demo.cohort import SYNTHETIC_PROTOCOL
from remission.record.vocabulary import ConsentKind
from remission.store import Actor, Store, add_consent_version, list_consent_versions

COMMITTEE = "Synthetic ethics committee"
FIRST = ("synthetic ICF v1", date(2015, 10, 1))
SECOND = ("synthetic ICF v2", date(2020, 1, 1))
ASSENT = ("synthetic assent v1", date(2015, 10, 1))


def consent_label(consented: date) -> str:
    """The parental permission form a synthetic child consented on: the newest approved by then."""
    return SECOND[0] if consented >= SECOND[1] else FIRST[0]


def register_consent_versions(store: Store, operator: Actor) -> None:
    """Register the demo's versions once (a second load leaves them as they are)."""
    with store.session(operator) as session:
        if list_consent_versions(session, protocol_id=SYNTHETIC_PROTOCOL):
            return
        for kind, (label, approved) in (
            (ConsentKind.PARENTAL_PERMISSION, FIRST),
            (ConsentKind.PARENTAL_PERMISSION, SECOND),
            (ConsentKind.ASSENT, ASSENT),
        ):
            add_consent_version(
                session,
                protocol_id=SYNTHETIC_PROTOCOL,
                kind=kind,
                label=label,
                approved_on=approved,
                approved_by=COMMITTEE,
                note="Synthetic demo form.",
            )
