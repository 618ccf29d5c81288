"""The attestations that settle criteria, found for every record and criterion at once.

Same rule as the protocol screening: among a record's attestations for the protocol and the
criterion, the latest date wins, and on the same date the one later in the list. An
attestation for the protocol that names no criterion of it is refused (a typo would be
silently ignored otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError
from remission.record.vocabulary import AttestedOutcome
from remission.rules.columnar.cohort import Cohort
from remission.rules.columnar.predicates import lookup_hits

#: Codes of :attr:`Attested.outcome`.
NONE, NOT_MET, MET = np.int8(-1), np.int8(0), np.int8(1)


@dataclass(frozen=True, slots=True)
class Attested:
    """Per record × criterion: the outcome of the deciding attestation, and which one it is.

    ``outcome`` (n × c) is :data:`NONE` (-1) without attestation, :data:`NOT_MET` (0) or
    :data:`MET` (1). ``cells`` (sorted ``row * c + criterion``) and ``positions`` (the
    attestation's index in that record's ``attestations``) list the attested cells sparsely.
    ``stray`` lists attestations naming no criterion, as (row, index, criterion id).
    """

    outcome: NDArray[np.int8]
    cells: NDArray[np.int64]
    positions: NDArray[np.int64]
    stray: tuple[tuple[int, int, str], ...] = ()

    def position(self, row: int, criterion: int) -> int | None:
        """Index in the record's ``attestations`` of the one deciding ``criterion``, if any."""
        cell = row * self.outcome.shape[1] + criterion
        at = int(np.searchsorted(self.cells, cell))
        return int(self.positions[at]) if at < len(self.cells) and self.cells[at] == cell else None


def find_attestations(
    cohort: Cohort, protocol_id: str | None, criterion_ids: Sequence[str], *, refuse_unknown: bool = True
) -> Attested:
    """The deciding attestation of each record for each criterion of ``protocol_id``.

    ``protocol_id`` ``None`` reads no attestations. An attestation for the protocol that names a
    criterion not in ``criterion_ids`` raises :class:`InputError` naming its row (or, without
    ``refuse_unknown``, is left unused and listed in :attr:`Attested.stray`).
    """
    n, count = len(cohort), len(criterion_ids)
    outcome = np.full((n, count), NONE, dtype=np.int8)
    nothing = np.zeros(0, dtype=np.int64)
    if protocol_id is None or n == 0:
        return Attested(outcome, nothing, nothing)
    items = cohort.items("attestations")
    views = items.views
    for_protocol = lookup_hits(views["protocol_id"], lambda value: value == protocol_id)
    criterion = views["criterion_id"]
    assert criterion.dictionary is not None
    assert criterion.data is not None
    index_of = {name: i for i, name in enumerate(criterion_ids)}
    table = np.array([index_of.get(name, -1) for name in criterion.dictionary] + [-1], dtype=np.int64)
    which = table[criterion.data]
    unknown = for_protocol & (which < 0)
    stray = tuple(
        (int(items.parents[i]), int(items.positions[i]), criterion.dictionary[int(criterion.data[i])])
        for i in np.flatnonzero(unknown)
    )
    if stray and refuse_unknown:
        ids = cohort.study_ids
        problems = [
            FieldProblem(
                f"attestations[{index}].criterion_id",
                f"row {row} ({ids[row]}): {name!r} is not a criterion of {protocol_id}",
            )
            for row, index, name in stray
        ]
        raise InputError("cohort", problems)
    picked = np.flatnonzero(for_protocol & ~unknown)
    key = items.parents[picked] * count + which[picked]
    order = np.lexsort((picked, views["date"].values[picked], key))  # by key, then date, then position
    key, picked = key[order], picked[order]
    last = np.ones(len(key), dtype=bool)
    last[:-1] = key[1:] != key[:-1]  # the last of each (record, criterion) group decides
    met = lookup_hits(views["outcome"], lambda value: value == AttestedOutcome.MET.value)
    cells, deciding = key[last], picked[last]
    outcome.reshape(-1)[cells] = np.where(met[deciding], MET, NOT_MET)
    return Attested(outcome, cells, items.positions[deciding], stray)
