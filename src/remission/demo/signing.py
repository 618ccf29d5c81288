"""Signatures and a freeze in the demo study, so the pages show signed, invalidated and unsigned
casebooks and a frozen site.

Through the store like any investigator's and data manager's work (audited), once the demo accounts
exist (signing needs a person with a password):

- at the first synthetic site, the investigator signs every signature the protocol requires for
  the first enrolled child (eligibility, serious adverse events, casebook): a signed casebook;
- the second child's casebook is signed, then the coordinator records a missing-data code on it,
  which invalidates the signature (*re-signature needed*) and tells the investigator;
- every other child is unsigned;
- the data manager freezes the last synthetic site for an interim analysis.

Written once: a store that holds a signature is left alone.
"""

from __future__ import annotations

from itertools import islice

from remission.demo.accounts import DEMO_PASSWORD
from remission.demo.cohort import SYNTHETIC_SITES
from remission.record.vocabulary import MissingCode
from remission.store import (
    BASELINE_FORM,
    Actor,
    LockLevel,
    LockState,
    SignatureState,
    SignedUnit,
    Store,
    UnitRef,
    actor_for_user,
    enrolled_protocol_ids,
    get_patient,
    list_patients,
    list_signatures,
    required_signatures,
    set_lock,
    set_missing_code,
    sign_units,
    user_by_username,
)

_OPERATOR = Actor.for_system("demo")
_COORDINATOR = Actor.for_system("Demo Coordinator")
_DATA_MANAGER = Actor.for_system("Demo Data Manager")


def _investigator(store: Store, site: str) -> Actor | None:
    with store.session(_OPERATOR) as session:
        try:
            user = user_by_username(session, username=f"investigator-{site.lower()}")
        except LookupError:
            return None
        return actor_for_user(session, user_id=user.id)


def _sign_required(store: Store, signer: Actor, patient_id: int, units: set[SignedUnit]) -> None:
    """Sign, with each required meaning, the patient's required signatures of the kinds ``units``."""
    with store.session(signer) as session:
        needed = [
            s
            for s in required_signatures(session, patient=get_patient(session, patient_id=patient_id))
            if s.unit in units and s.state is SignatureState.UNSIGNED
        ]
    for status in needed:
        with store.session(signer) as session:
            sign_units(
                session,
                units=[UnitRef(patient_id, status.unit, status.row_id)],
                meaning=status.meaning,
                username=signer.username,
                password=DEMO_PASSWORD,
            )


def load_signing_examples(store: Store) -> bool:
    """Sign two casebooks (one then invalidated) and freeze a site, unless signed before; True if written."""
    site = SYNTHETIC_SITES[0]
    signer = _investigator(store, site)
    if signer is None:
        return False
    with store.session(_DATA_MANAGER) as session:
        patients = list_patients(session, site_code=site, limit=None)
        enrolled = list(
            islice((p.id for p in patients if enrolled_protocol_ids(session, patient_id=p.id)), 2)
        )
        if len(enrolled) < 2 or any(list_signatures(session, patient_id=pid) for pid in enrolled):
            return False
    first, second = enrolled
    _sign_required(store, signer, first, set(SignedUnit))
    _sign_required(store, signer, second, {SignedUnit.CASEBOOK})
    with store.session(_COORDINATOR, reason="demo: test not done at diagnosis") as session:
        set_missing_code(
            session,
            patient_id=second,
            form=BASELINE_FORM,
            field="genetics.ph_like_class",
            code=MissingCode.NOT_DONE,
            note="No Ph-like screening was sent at diagnosis.",
        )
    with store.session(_DATA_MANAGER, reason="demo: interim analysis data cut") as session:
        set_lock(
            session,
            level=LockLevel.SITE,
            state=LockState.FROZEN,
            site_code=SYNTHETIC_SITES[-1],
            reason="interim analysis data cut",
        )
    return True
