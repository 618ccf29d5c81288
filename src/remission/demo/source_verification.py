"""Partial source data verification in the demo study, so the SDV pages show every state.

At the first synthetic site, through the store like any monitor's work (audited):

- the first enrolled child: every item the SDV plan requires is verified;
- the second: only the risk-group inputs (KMT2A status, MRD after consolidation 1);
- the third: a serious adverse event verified as a whole form, then corrected by the coordinator
  (its attribution), which resets the mark with what changed.

Every other child is left unverified. Written once: a site that holds a mark is left alone.
"""

from __future__ import annotations

from remission.demo.cohort import SYNTHETIC_SITES
from remission.store import (
    Actor,
    AdverseEvent,
    RequiredItem,
    Store,
    get_row,
    sdv_worklist,
    update_row,
    verify_item,
)

_MONITOR = Actor.for_system("Demo Monitor")
_COORDINATOR = Actor.for_system("Demo Coordinator")


def _verify(store: Store, patient_id: int, items: list[RequiredItem]) -> None:
    with store.session(_MONITOR) as session:
        for item in items:
            verify_item(session, patient_id=patient_id, form=item.form, row_id=item.row_id, field=item.field)


def load_sdv_examples(store: Store) -> bool:
    """Verify part of the first synthetic site's required items unless it holds a mark; True if written."""
    with store.session(_MONITOR) as session:
        worklist = sdv_worklist(session, site_code=SYNTHETIC_SITES[0])
    if worklist.counts["verified"] + worklist.counts["reset"] or len(worklist.patients) < 3:
        return False
    first, second, *others = worklist.patients
    _verify(store, first.patient_id, [item for item in first.items if item.recorded])
    risk = [item for item in second.items if any("risk-group" in why for why in item.why)]
    _verify(store, second.patient_id, risk)
    for child in others:
        serious = [item for item in child.items if item.form == "adverse-events"]
        if serious:
            _verify(store, child.patient_id, serious[:1])
            with store.session(
                _COORDINATOR, reason="demo: attribution corrected from the discharge letter"
            ) as s:
                row = get_row(
                    s, model=AdverseEvent, patient_id=child.patient_id, row_id=serious[0].row_id or 0
                )
                attribution = "unlikely" if row.attribution.value != "unlikely" else "possible"
                update_row(
                    s,
                    model=AdverseEvent,
                    patient_id=child.patient_id,
                    row_id=row.id,
                    version=row.version,
                    values={"attribution": attribution},
                )
            break
    return True
