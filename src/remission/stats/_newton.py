"""Newton–Raphson maximisation of a partial likelihood, with the conventions of R's ``coxph``.

Facts carried over from ``survival::coxph`` (Therneau; ``coxph.control`` defaults): start at β = 0;
stop when the relative change of the log likelihood ``|1 - best/new|`` is at most ``eps`` (1e-9;
a new log likelihood of exactly 0 never passes, as in R's C code where the ratio is ±inf or NaN);
when the likelihood decreases or anything is not finite, shorten the step from the last accepted
β (to 1/2, then 1/3 of that, ...: step halving); give up after ``iter.max`` (20) iterations and
then report the last accepted β. The information matrix is factorised by a Cholesky (LDLᵀ)
decomposition that treats a pivot below ``toler.chol`` (ε^0.75) times the largest diagonal element
as zero, so a direction without information gets no step instead of an error (``cox_ph`` then
reports that coefficient as NA, as R does).

One deliberate difference: when the iterations run out, R's ``coxfit6`` inverts the recomputed
information matrix without factorising it first, so the variance it reports for a non-converged
fit is not the inverse information at its β. Here the variance is always the inverse information
at the reported β (what R itself gives with ``init = coef, iter.max = 0``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

EPS = 1e-9
CHOLESKY_TOLERANCE = float(np.finfo(np.float64).eps ** 0.75)
ITERATION_LIMIT = 20


@dataclass(frozen=True)
class Evaluation:
    """Log partial likelihood, score vector (p) and information matrix (p × p) at one β."""

    log_likelihood: float
    score: NDArray[np.float64]
    information: NDArray[np.float64]


@dataclass(frozen=True)
class Cholesky:
    """``A = L diag(d) Lᵀ`` of a symmetric matrix; ``singular`` marks pivots treated as zero."""

    lower: NDArray[np.float64]
    pivots: NDArray[np.float64]
    singular: NDArray[np.bool_]

    @classmethod
    def of(cls, matrix: NDArray[np.float64], tolerance: float = CHOLESKY_TOLERANCE) -> Cholesky:
        size = matrix.shape[0]
        lower = np.eye(size)
        pivots = np.zeros(size)
        singular = np.zeros(size, dtype=bool)
        largest = float(np.max(np.diag(matrix))) if size else 0.0
        floor = tolerance * largest
        # A loop over the p covariates (not over subjects): p is small.
        for j in range(size):
            pivot = matrix[j, j] - np.sum(lower[j, :j] ** 2 * pivots[:j])
            if not np.isfinite(pivot) or pivot <= floor or pivot <= 0.0:
                singular[j] = True
                continue
            pivots[j] = pivot
            below = matrix[j + 1 :, j] - lower[j + 1 :, :j] @ (lower[j, :j] * pivots[:j])
            lower[j + 1 :, j] = below / pivot
        return cls(lower, pivots, singular)

    @property
    def rank(self) -> int:
        return int(np.sum(~self.singular))

    def _inverse_pivots(self) -> NDArray[np.float64]:
        return np.where(self.singular, 0.0, 1.0 / np.where(self.singular, 1.0, self.pivots))

    def solve(self, vector: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A⁻ vector``, with no component along singular directions."""
        forward = np.linalg.solve(self.lower, vector)
        # asarray only re-types: solve's stubs say floating[Any] for float64 input; no copy is made.
        return np.asarray(np.linalg.solve(self.lower.T, forward * self._inverse_pivots()), dtype=np.float64)

    def inverse(self) -> NDArray[np.float64]:
        """``A⁻¹`` with rows and columns of singular directions set to zero."""
        unit_inverse = np.linalg.inv(self.lower)
        result = unit_inverse.T @ (unit_inverse * self._inverse_pivots()[:, None])
        result[self.singular, :] = 0.0
        result[:, self.singular] = 0.0
        return result


@dataclass(frozen=True)
class NewtonFit:
    """Where Newton–Raphson stopped: β, the evaluation there, and the one at the start.

    ``iterations`` is R's ``fit$iter``: the iteration that converged, or the limit plus one when
    the limit was reached without convergence (β is then the last accepted one).
    """

    beta: NDArray[np.float64]
    final: Evaluation
    initial: Evaluation
    initial_cholesky: Cholesky
    final_cholesky: Cholesky
    iterations: int
    converged: bool


def newton_raphson(
    evaluate: Callable[[NDArray[np.float64]], Evaluation],
    variables: int,
    *,
    eps: float = EPS,
    iteration_limit: int = ITERATION_LIMIT,
) -> NewtonFit:
    """Maximise the log likelihood ``evaluate`` returns, from β = 0, as R's ``coxph`` does.

    Each iteration evaluates a trial β. If the log likelihood changed by at most ``eps``
    (relative) from the best so far, the trial is the answer. If it fell, or anything is not
    finite, the step towards the trial is shortened to 1/2, 1/3 of that, ... of the step from the
    last accepted β; otherwise the trial is accepted and the next one is a full Newton step from
    it. When the iterations run out, the last accepted β is returned with its own evaluation.
    """
    start = np.zeros(variables)
    initial = evaluate(start)
    initial_cholesky = Cholesky.of(initial.information)
    accepted_beta, accepted, accepted_cholesky = start, initial, initial_cholesky
    trial = start + initial_cholesky.solve(initial.score)
    halving = 0
    for iteration in range(1, iteration_limit + 1):
        current = evaluate(trial)
        new = current.log_likelihood
        finite = bool(np.isfinite(new) and np.all(np.isfinite(current.score)))
        finite = finite and bool(np.all(np.isfinite(current.information)))
        if finite and _converged(accepted.log_likelihood, new, eps):
            cholesky = Cholesky.of(current.information)
            return NewtonFit(trial, current, initial, initial_cholesky, cholesky, iteration, True)
        if not finite or new < accepted.log_likelihood:
            halving += 1
            trial = (halving * accepted_beta + trial) / (halving + 1)
        else:
            halving = 0
            accepted_beta, accepted = trial, current
            accepted_cholesky = Cholesky.of(current.information)
            trial = trial + accepted_cholesky.solve(current.score)
    # R's fit$iter counts one past the limit when the iterations ran out; report what R reports.
    return NewtonFit(
        accepted_beta, accepted, initial, initial_cholesky, accepted_cholesky, iteration_limit + 1, False
    )


def _converged(best: float, new: float, eps: float) -> bool:
    """R's test ``fabs(1 - (best / new)) <= eps`` (survival's coxfit6.c and agfit4.c), in IEEE doubles.

    A log likelihood of exactly 0 (every event alone in its risk set) makes the ratio infinite or
    NaN, so, as in R, the test fails and the iterations run on (to the limit when it stays 0).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.abs(1.0 - np.float64(best) / np.float64(new))
    return bool(change <= eps)
