"""Fine–Gray proportional subdistribution hazards regression, matching R's ``cmprsk::crr``.

The coefficients maximise the censoring-weighted partial pseudo-likelihood of Fine & Gray (1999):
subjects who failed from a competing cause stay in the risk set with weight G(t-)/G(T_j-), G the
Kaplan–Meier estimate of the censoring distribution. Standard errors are the robust sandwich
I^-1 (sum_i eta_i eta_i') I^-1 with the influence terms of the estimating equation, including the
term for estimating G, as crr computes them. Each Newton iteration costs O(n p^2) after one sort
(see :mod:`remission.stats._fine_gray_sums`), where crr's double loops cost O(n^2) and more.

Reference: Fine JP, Gray RJ (1999). JASA 94:496–509; R package ``cmprsk``, function ``crr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from remission.stats._cause_codes import as_cause_codes
from remission.stats._fine_gray_sums import (
    RiskSets,
    SortedCohort,
    risk_sets,
    score_and_information,
    score_residuals,
)
from remission.stats.inputs import as_times, refuse
from remission.stats.regression import RegressionResult

# crr's defaults: gradient tolerance, Newton iterations, step halving and Armijo constant.
_GTOL = 1e-6
_MAX_ITERATIONS = 10
_STEP_FACTOR = 0.5
_MAX_HALVINGS = 20
_ARMIJO = 1e-4


def fine_gray(
    time: ArrayLike,
    cause: ArrayLike,
    covariates: ArrayLike,
    terms: Sequence[str],
    *,
    failcode: int = 1,
    cencode: int = 0,
) -> RegressionResult:
    """Fit the Fine–Gray model for the subdistribution hazard of ``failcode``.

    ``time`` >= 0 (any unit); ``cause`` whole-number codes: ``cencode`` = censored, ``failcode`` =
    the event of interest, any other code = a competing event. ``covariates`` is an (n, p) float
    array (a 1-d array is one covariate) whose columns are named by ``terms``; categorical terms
    come in as 0/1 columns (named ``COLUMN=LEVEL`` by the CLI). Rows with missing values must be
    dropped by the caller.

    Returns a :class:`RegressionResult` with ``model = "fine_gray"``: coefficients (log
    subdistribution hazard ratios), the sandwich covariance, ``log_likelihood`` = crr's log
    pseudo-likelihood, ``events`` = failures of ``failcode``, ``iterations`` = Newton steps, and
    details ``converged``, ``log_likelihood_null``, ``competing_events``, ``censored``.
    Newton–Raphson with crr's step halving and tolerances (gtol 1e-6, at most 10 iterations).
    """
    times = as_times(time, "time")
    codes = as_cause_codes(cause, times.size, "cause", non_negative=False)
    failcode, cencode = _as_code(failcode, "failcode"), _as_code(cencode, "cencode")
    if failcode == cencode:
        raise refuse("failcode", f"must differ from cencode ({cencode})")
    x = _as_design(covariates, times.size)
    names = _as_terms(terms, x.shape[1])
    status = np.where(codes == failcode, 1, np.where(codes == cencode, 0, 2)).astype(np.int64)
    events = int(np.sum(status == 1))
    if events == 0:
        raise refuse("cause", f"has no events of failcode {failcode}")
    cohort = SortedCohort.of(times, status, x)
    _refuse_singular(cohort.x, names)
    fit = _newton(cohort)
    beta, sets, information = fit.beta, fit.sets, fit.information
    try:
        inverse = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        raise refuse("covariates", "the information matrix is singular at the estimate") from None
    residuals = score_residuals(cohort, sets)
    covariance = inverse @ (residuals.T @ residuals) @ inverse.T
    return RegressionResult(
        model="fine_gray",
        terms=names,
        coef=beta,
        covariance=covariance,
        n=int(times.size),
        events=events,
        log_likelihood=-sets.neg_loglik,
        iterations=fit.iterations,
        details=(
            ("converged", fit.converged),
            ("log_likelihood_null", -fit.null_neg_loglik),
            ("failcode", failcode),
            ("cencode", cencode),
            ("competing_events", int(np.sum(status == 2))),
            ("censored", int(np.sum(status == 0))),
            ("variance", "sandwich (Fine & Gray 1999), as cmprsk::crr"),
        ),
    )


@dataclass(frozen=True, eq=False)
class _NewtonFit:
    """Where Newton–Raphson stopped, with the sums there and the objective at beta = 0."""

    beta: NDArray[np.float64]
    sets: RiskSets  # at beta
    information: NDArray[np.float64]  # at beta
    iterations: int
    converged: bool
    null_neg_loglik: float


def _newton(cohort: SortedCohort) -> _NewtonFit:
    """crr's Newton–Raphson with Armijo step halving, from beta = 0."""
    beta = np.zeros(cohort.x.shape[1])
    null_neg_loglik = np.nan
    for iteration in range(_MAX_ITERATIONS + 1):
        sets = risk_sets(cohort, beta)
        gradient, information = score_and_information(cohort, sets)
        objective = sets.neg_loglik
        if iteration == 0:
            null_neg_loglik = objective

        scale = np.maximum(np.abs(beta), 1.0)
        if np.max(np.abs(gradient) * scale) < max(abs(objective), 1.0) * _GTOL:
            return _NewtonFit(beta, sets, information, iteration, True, null_neg_loglik)
        if iteration == _MAX_ITERATIONS:
            return _NewtonFit(beta, sets, information, iteration, False, null_neg_loglik)
        try:
            step = -np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            raise refuse(
                "covariates", "the information matrix is singular; the model cannot be fitted"
            ) from None
        decrease = _ARMIJO * float(step @ gradient)
        candidate = risk_sets(cohort, beta + step, first_moment=False).neg_loglik
        halvings = 0
        while not np.isfinite(candidate) or candidate > objective + decrease:
            halvings += 1
            step = step * _STEP_FACTOR
            decrease = _ARMIJO * float(step @ gradient)
            candidate = risk_sets(cohort, beta + step, first_moment=False).neg_loglik
            if halvings > _MAX_HALVINGS:
                return _NewtonFit(beta, sets, information, iteration, False, null_neg_loglik)
        beta = beta + step
    raise AssertionError("unreachable: the last iteration returns")


def _as_code(value: int, field: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise refuse(field, "must be a whole-number cause code") from None
    if not np.isfinite(number) or number != round(number):
        raise refuse(field, "must be a whole-number cause code")
    return int(number)


def _as_design(covariates: ArrayLike, length: int) -> NDArray[np.float64]:
    try:
        x = np.asarray(covariates, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise refuse("covariates", f"must be numbers ({error})") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != length:
        raise refuse("covariates", f"must be an (n, p) array with n = {length} rows, got shape {x.shape}")
    if x.shape[1] == 0:
        raise refuse("covariates", "needs at least one column")
    if not np.all(np.isfinite(x)):
        raise refuse("covariates", f"{int(np.sum(~np.isfinite(x)))} value(s) are missing or not finite")
    return x


def _as_terms(terms: Sequence[str], width: int) -> tuple[str, ...]:
    if isinstance(terms, str):
        raise refuse("terms", "must be a sequence of column names, not one string")
    names = tuple(str(term) for term in terms)
    if len(names) != width:
        raise refuse("terms", f"must name each of the {width} covariate columns, got {len(names)} names")
    if len(set(names)) != len(names):
        raise refuse("terms", "names must be unique")
    return names


def _refuse_singular(centred: NDArray[np.float64], names: tuple[str, ...]) -> None:
    """Constant or collinear columns of the centred design have no estimable coefficient: say which.

    The rank is ``np.linalg.matrix_rank`` of the centred design with unit-norm columns (singular
    values above max(n, p) eps times the largest). That SVD of the n x p design is skipped when the
    p x p correlation matrix shows full rank beyond doubt: its eigenvalues are the squared singular
    values, computed with an error below about p n eps (columns of unit norm), so a smallest
    eigenvalue above max(1e-6, 10 p n eps) leaves a smallest singular value far above the SVD's
    threshold. Anything closer to singular is decided by the SVD, as before.
    """
    constant = [name for name, column in zip(names, centred.T, strict=True) if not np.any(column)]
    if constant:
        raise refuse("covariates", f"constant column(s) {constant}: no coefficient can be estimated")
    n, p = centred.shape
    gram = centred.T @ centred
    norms = np.sqrt(np.diag(gram))
    correlation = gram / np.outer(norms, norms)
    if np.all(np.isfinite(correlation)):
        smallest = float(np.linalg.eigvalsh(correlation)[0])
        if smallest > max(1e-6, 10.0 * p * max(n, p) * np.finfo(np.float64).eps):
            return
    scaled = centred / np.linalg.norm(centred, axis=0)
    rank = int(np.linalg.matrix_rank(scaled))
    if rank < p:
        raise refuse(
            "covariates",
            f"columns {list(names)} are collinear (rank {rank} < {p}); drop a redundant term",
        )
