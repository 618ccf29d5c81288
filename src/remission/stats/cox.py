"""Cox proportional hazards regression, matching R's ``survival::coxph``.

``cox_ph`` fits ``h(t | x) = h0_s(t) exp(xᵀβ)`` by maximising the partial likelihood with
Newton–Raphson (see :mod:`remission.stats._newton` for the iteration rules R uses), with Efron's
(R's default) or Breslow's handling of tied event times, late entry (R's counting-process
``Surv(entry, time, event)``: a subject is at risk on ``(entry, time]``) and strata (a separate
baseline hazard ``h0_s`` per stratum, as ``strata()`` in an R formula). Standard errors are
model-based (the inverse of the information matrix), as ``coxph`` reports without ``cluster()``.

References: Cox (1972) JRSS-B 34:187; Efron (1977) JASA 72:557; Therneau & Grambsch (2000)
*Modeling Survival Data*, chapter 3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as scipy_stats

from remission.stats._cox_likelihood import evaluate, risk_sets
from remission.stats._newton import EPS, ITERATION_LIMIT, Cholesky, NewtonFit, newton_raphson
from remission.stats.inputs import as_events, as_groups, as_times, refuse
from remission.stats.regression import RegressionResult

TIES = ("efron", "breslow")
# R flags a coefficient as possibly infinite when the next Newton step would still move it by more
# than eps and by more than sqrt(eps) relative to its size (coxph.control's toler.inf).
INFINITE_TOLERANCE = float(np.sqrt(EPS))
# A linear predictor this large means some exp(xβ) is about to overflow (R's coxph.fit check).
LARGE_LINEAR_PREDICTOR = 500.0


def cox_ph(
    time: ArrayLike,
    event: ArrayLike,
    covariates: ArrayLike,
    terms: Sequence[str],
    *,
    ties: str = "efron",
    entry: ArrayLike | None = None,
    strata: ArrayLike | None = None,
) -> RegressionResult:
    """Fit a Cox proportional hazards model.

    ``time`` is the follow-up time (the stop time with late entry), ``event`` 1 = event and
    0 = censored, ``covariates`` an ``n × p`` matrix (e.g. :func:`remission.stats.design_matrix`'s
    ``matrix``) whose columns ``terms`` names. ``ties`` is ``"efron"`` or ``"breslow"``.
    ``entry`` gives each row's entry time (must be below ``time``; rows are at risk on
    ``(entry, time]``), ``strata`` a stratum label per row.

    Returns a :class:`RegressionResult` with ``model="cox"``: ``coef`` (log hazard ratios per unit
    of each term), the model-based ``covariance``, the final log partial likelihood and the
    iteration count. ``details`` holds ``ties``, ``log_likelihood_initial`` (at β = 0), the
    ``likelihood_ratio_test``, ``wald_test`` and ``score_test`` (each ``statistic``, ``df``,
    ``p_value``), ``converged``, ``warning`` (R's message when the fit did not converge or a
    coefficient may be infinite, else ``None``), ``strata`` (count) and ``late_entry``.

    Raises :class:`InputError` for malformed input, no events, or a term without information.
    """
    stop = as_times(time, "time")
    n = stop.size
    events = as_events(event, n, "event")
    x = _covariates(covariates, n)
    names = _terms(terms, x.shape[1])
    if ties not in TIES:
        raise refuse("ties", f"must be one of {list(TIES)}, got {ties!r}")
    start = _entry(entry, stop)
    groups = as_groups(strata, n, "strata")
    if not np.any(events == 1):
        raise refuse("event", "has no events: the Cox model needs at least one")

    sets = risk_sets(stop, events, x, groups.codes, start, efron=ties == "efron")
    fit = newton_raphson(lambda beta: evaluate(sets, beta), len(names))
    return cox_result(
        fit,
        terms=names,
        ties=ties,
        n=n,
        events=int(events.sum()),
        strata=groups.count,
        late_entry=start is not None,
        largest_predictor=lambda: float(np.max(sets.x @ fit.beta)),
    )


def cox_result(
    fit: NewtonFit,
    *,
    terms: tuple[str, ...],
    ties: str,
    n: int,
    events: int,
    strata: int,
    late_entry: bool,
    largest_predictor: Callable[[], float],
) -> RegressionResult:
    """The fitted model from where Newton–Raphson stopped: coefficients, variance, tests and R's warnings.

    ``largest_predictor()`` is the largest linear predictor ``xβ`` over the rows at ``fit.beta``
    (asked only when the fit did not converge). Used by :func:`cox_ph` and by the partitioned
    estimator. Raises :class:`InputError` for a term without information.
    """
    _refuse_uninformative(fit.initial_cholesky, terms)
    coef = fit.beta.copy()
    covariance = fit.final_cholesky.inverse()
    aliased = fit.final_cholesky.singular
    coef[aliased] = np.nan
    covariance[aliased, :] = np.nan
    covariance[:, aliased] = np.nan
    estimable = ~aliased
    df = int(np.sum(estimable))
    score_statistic = float(fit.initial.score @ fit.initial_cholesky.solve(fit.initial.score))
    kept = coef[estimable]
    wald_statistic = float(kept @ Cholesky.of(covariance[np.ix_(estimable, estimable)]).solve(kept))
    likelihood_ratio = 2.0 * (fit.final.log_likelihood - fit.initial.log_likelihood)
    details: tuple[tuple[str, Any], ...] = (
        ("ties", ties),
        ("log_likelihood_initial", fit.initial.log_likelihood),
        ("likelihood_ratio_test", _chi_square(likelihood_ratio, df)),
        ("wald_test", _chi_square(wald_statistic, df)),
        ("score_test", _chi_square(score_statistic, df)),
        ("converged", fit.converged),
        ("warning", _warning(fit, largest_predictor, covariance, terms)),
        ("strata", strata),
        ("late_entry", late_entry),
    )
    return RegressionResult(
        model="cox",
        terms=terms,
        coef=coef,
        covariance=covariance,
        n=n,
        events=events,
        log_likelihood=fit.final.log_likelihood,
        iterations=fit.iterations,
        details=details,
    )


def _covariates(values: ArrayLike, n: int) -> NDArray[np.float64]:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise refuse("covariates", f"must be numbers ({error}); build them with design_matrix") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] != n:
        raise refuse("covariates", f"must be an n × p matrix with n = {n} rows, got shape {x.shape}")
    if x.shape[1] == 0:
        raise refuse("covariates", "has no columns: the model needs at least one term")
    if not np.all(np.isfinite(x)):
        raise refuse("covariates", f"{int(np.sum(~np.isfinite(x)))} value(s) are missing or not finite")
    return x


def _terms(terms: Sequence[str], columns: int) -> tuple[str, ...]:
    names = (terms,) if isinstance(terms, str) else tuple(str(term) for term in terms)
    if len(names) != columns:
        raise refuse("terms", f"names {len(names)} term(s) for {columns} covariate column(s)")
    if len(set(names)) != len(names):
        raise refuse("terms", "names a term more than once")
    return names


def _entry(entry: ArrayLike | None, stop: NDArray[np.float64]) -> NDArray[np.float64] | None:
    if entry is None:
        return None
    start = as_times(entry, "entry")
    if start.size != stop.size:
        raise refuse("entry", f"must have one value per subject ({stop.size}), got {start.size}")
    late = int(np.sum(start >= stop))
    if late:
        raise refuse("entry", f"{late} row(s) enter at or after their time; entry must be before time")
    return start


def _refuse_uninformative(initial: Cholesky, names: tuple[str, ...]) -> None:
    """A term constant within every risk set at an event time cannot be estimated (R reports NA)."""
    if np.any(initial.singular):
        listed = ", ".join(repr(names[j]) for j in np.flatnonzero(initial.singular))
        raise refuse(
            "covariates",
            f"{listed} carry no information: constant within every risk set at an event time "
            "(for example constant within each stratum), or collinear with other terms",
        )


def _chi_square(statistic: float, df: int) -> dict[str, Any]:
    p_value = float(scipy_stats.chi2.sf(statistic, df)) if df > 0 else float("nan")
    return {"statistic": float(statistic), "df": df, "p_value": p_value}


def _warning(
    fit: NewtonFit,
    largest_predictor: Callable[[], float],
    covariance: NDArray[np.float64],
    names: tuple[str, ...],
) -> str | None:
    """R's convergence warnings: out of iterations, or a coefficient that may be infinite."""
    messages: list[str] = []
    aliased = fit.final_cholesky.singular
    if np.any(aliased):
        listed = ", ".join(names[j] for j in np.flatnonzero(aliased))
        messages.append(
            f"Information matrix deemed singular at the solution for {listed}; coefficient set to NA"
        )
    usable = np.where(np.isnan(covariance), 0.0, covariance)
    step = np.abs(fit.final.score @ usable)
    if not fit.converged:
        message = f"Ran out of iterations ({ITERATION_LIMIT}) and did not converge"
        if largest_predictor() > LARGE_LINEAR_PREDICTOR or not np.all(np.isfinite(step)):
            message += "; one or more coefficients may be infinite"
        messages.append(message)
    else:
        infinite = ~np.isfinite(fit.final.score) | (
            (step > EPS) & (step > INFINITE_TOLERANCE * np.abs(fit.beta))
        )
        if np.any(infinite):
            listed = ", ".join(names[j] for j in np.flatnonzero(infinite))
            messages.append(f"Loglik converged before variable(s) {listed}; coefficient may be infinite")
    return "; ".join(messages) if messages else None
