"""Screening a whole cohort against one set of eligibility criteria.

The verdict rules are those of :func:`remission.protocols.screen_patient`: a criterion is
decided by its expression; an unknown outcome, or a criterion that no expression can decide,
is settled by a person's attestation when one exists; a record is *not eligible* when an
inclusion is not met or an exclusion is met, *needs review* when otherwise some criterion is
unknown, and *eligible* otherwise. Every record keeps which criteria fail, which are unknown
and which fields are missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from remission.errors import FieldProblem, InputError
from remission.record.model import Attestation
from remission.rules.columnar.attestations import MET, NONE, Attested, find_attestations
from remission.rules.columnar.cohort import Cohort
from remission.rules.columnar.compiler import compile_expression
from remission.rules.columnar.frame import Frame, StudyEntry
from remission.rules.columnar.kleene import FALSE, TRUE, UNKNOWN
from remission.rules.columnar.missing import MissingSet
from remission.rules.expressions import Expression
from remission.rules.mrd import MRDRules

#: Verdict codes of :attr:`CohortScreening.verdict`, and their names (as in the protocol results).
ELIGIBLE, NEEDS_REVIEW, NOT_ELIGIBLE = 0, 1, 2
VERDICTS = ("eligible", "needs review", "not eligible")
KINDS = ("inclusion", "exclusion")

#: One criterion: id, kind ("inclusion" or "exclusion"), and its expression (None: not computable).
CriterionSpec = tuple[str, str, Expression | Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class CohortScreening:
    """The screening of every record of a cohort against one set of criteria.

    Arrays are indexed by record (row) and criterion (in the order given):

    - ``status`` (n × c, int8): 0 not met, 1 met, 2 unknown, after attestations;
    - ``failing`` (n × c, bool): the outcome alone makes the record not eligible
      (an inclusion not met, an exclusion met);
    - ``unknown`` (n × c, bool): the criterion is unknown;
    - ``attested`` (n × c, bool): an attestation decided the status;
    - ``verdict`` (n, int8): 0 eligible, 1 needs review, 2 not eligible (:data:`VERDICTS`);
    - ``missing``: per criterion, the missing fields of each record whose status is unknown
      (``None`` for a criterion without expression);
    - ``attestations``: the deciding attestation per record × criterion; its
      ``stray`` lists attestations for the protocol that name no criterion of it, as
      (row, index in the record's attestations, criterion id), when they are ignored.
    """

    cohort: Cohort
    criterion_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    status: NDArray[np.int8]
    failing: NDArray[np.bool_]
    unknown: NDArray[np.bool_]
    attested: NDArray[np.bool_]
    verdict: NDArray[np.int8]
    missing: tuple[MissingSet | None, ...]
    attestations: Attested

    def __len__(self) -> int:
        return len(self.verdict)

    def verdict_of(self, row: int) -> str:
        """The verdict of ``row`` as text: eligible, needs review or not eligible."""
        return VERDICTS[int(self.verdict[row])]

    def failing_ids(self, row: int) -> list[str]:
        """Ids of the criteria that make ``row`` not eligible."""
        return [self.criterion_ids[j] for j in np.flatnonzero(self.failing[row])]

    def unknown_ids(self, row: int) -> list[str]:
        """Ids of the criteria that stay unknown for ``row``."""
        return [self.criterion_ids[j] for j in np.flatnonzero(self.unknown[row])]

    def criterion_missing(self, row: int, criterion: int) -> tuple[str, ...]:
        """Fields whose absence leaves criterion number ``criterion`` unknown for ``row``."""
        found = self.missing[criterion]
        return () if found is None else found.paths(row)

    def missing_paths(self, row: int) -> list[str]:
        """Every missing field of ``row`` over all criteria, in criterion order, without repeats."""
        paths = (path for j in range(len(self.criterion_ids)) for path in self.criterion_missing(row, j))
        return list(dict.fromkeys(paths))

    def to_attest(self, row: int) -> list[str]:
        """Unknown criteria that no recorded field could decide: a person must attest them."""
        return [
            self.criterion_ids[j]
            for j in np.flatnonzero(self.unknown[row])
            if not self.criterion_missing(row, int(j))
        ]

    def attestation(self, row: int, criterion: int) -> Attestation | None:
        """The attestation that decided criterion number ``criterion`` for ``row``, if one did."""
        if not self.attested[row, criterion]:
            return None
        position = self.attestations.position(row, criterion)
        return None if position is None else self.cohort.record(row).attestations[position]

    @property
    def stray_attestations(self) -> tuple[tuple[int, int, str], ...]:
        """Attestations naming no criterion here, left unused: (row, index, criterion id)."""
        return self.attestations.stray

    def verdict_counts(self) -> dict[str, int]:
        """How many records got each verdict."""
        counts = np.bincount(self.verdict, minlength=len(VERDICTS))
        return {name: int(count) for name, count in zip(VERDICTS, counts, strict=True)}


def _checked(criteria: Sequence[CriterionSpec]) -> list[CriterionSpec]:
    problems = []
    seen: set[str] = set()
    for index, (criterion_id, kind, _) in enumerate(criteria):
        if criterion_id in seen:
            problems.append(FieldProblem(f"criteria[{index}]", f"id {criterion_id!r} appears twice"))
        seen.add(criterion_id)
        if kind not in KINDS:
            problems.append(FieldProblem(f"criteria[{index}]", f"kind {kind!r} is not one of {list(KINDS)}"))
    if problems:
        raise InputError("criteria", problems)
    return list(criteria)


def screen_cohort(
    cohort: Cohort,
    criteria: Sequence[CriterionSpec],
    parameters: Mapping[str, Any] | None = None,
    *,
    as_of: date,
    mrd_rules: MRDRules | None = None,
    attestations: str | None = None,
    study_entry: StudyEntry = "recorded",
    unknown_attestations: Literal["refuse", "ignore"] = "refuse",
) -> CohortScreening:
    """Screen every record of ``cohort`` against ``criteria`` on the date ``as_of``.

    ``parameters`` resolve ``{param: NAME}`` references; ``mrd_rules`` are needed by ``mrd``
    tests; ``attestations`` is the protocol (or trial) id whose attestations in the records
    settle criteria (``None`` reads none).

    ``study_entry`` "recorded" (protocol screening, :func:`remission.protocols.screen_patient`)
    reads a record's ``study_entry_date`` and falls back to ``as_of``; "as_of" (trial matching,
    :func:`remission.trials.screen_for_trial`) uses ``as_of`` for every record.
    ``unknown_attestations`` "refuse" raises :class:`~remission.errors.InputError` for an
    attestation naming a criterion not in ``criteria``, as protocol screening does; "ignore"
    leaves it unused and lists it in :attr:`CohortScreening.stray_attestations`, as trial matching
    warns. A malformed criterion is always refused.
    """
    specs = _checked(criteria)
    options: dict[str, tuple[str, tuple[str, ...]]] = {"study_entry": (study_entry, ("recorded", "as_of"))}
    options["unknown_attestations"] = (unknown_attestations, ("refuse", "ignore"))
    for name, (value, allowed) in options.items():
        if value not in allowed:
            raise InputError(
                "screen_cohort", [FieldProblem(name, f"{value!r} is not one of {list(allowed)}")]
            )
    compiled = [
        None
        if expression is None
        else compile_expression(expression, parameters, mrd_rules=mrd_rules, source=cid)
        for cid, _, expression in specs
    ]
    ids = tuple(cid for cid, _, _ in specs)
    attested_by = find_attestations(
        cohort, attestations, ids, refuse_unknown=unknown_attestations == "refuse"
    )
    n, count = len(cohort), len(specs)
    status = np.full((n, count), UNKNOWN, dtype=np.int8)
    missing: list[MissingSet | None] = []
    frame = Frame(cohort, as_of, mrd_rules, study_entry)
    for j, evaluator in enumerate(compiled):
        if evaluator is None:
            missing.append(None)
            continue
        result = evaluator.evaluate(cohort, as_of=as_of, frame=frame)
        status[:, j] = result.truth
        missing.append(result.missing)
    # An attestation settles only what the record cannot decide.
    attested = (status == UNKNOWN) & (attested_by.outcome != NONE)
    status[attested] = np.where(attested_by.outcome[attested] == MET, TRUE, FALSE)
    unknown = status == UNKNOWN
    inclusion = np.array([kind == "inclusion" for _, kind, _ in specs], dtype=bool)
    failing = np.where(inclusion, status == FALSE, status == TRUE)
    verdict = np.full(n, ELIGIBLE, dtype=np.int8)
    verdict[unknown.any(axis=1)] = NEEDS_REVIEW
    verdict[failing.any(axis=1)] = NOT_ELIGIBLE
    kept = tuple(
        None if found is None else found.restricted(unknown[:, j]) for j, found in enumerate(missing)
    )
    kinds = tuple(kind for _, kind, _ in specs)
    return CohortScreening(cohort, ids, kinds, status, failing, unknown, attested, verdict, kept, attested_by)
