"""The result shared by the regression models (Cox, Fine–Gray): one row per model term."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats as scipy_stats

from remission.stats.results import Result, Table, format_value, json_number


@dataclass(frozen=True)
class RegressionResult(Result):
    """Coefficients of a proportional-hazards type model.

    ``model`` names the model (``"cox"``, ``"fine_gray"``); ``covariance`` is the variance matrix
    the standard errors come from (model-based for Cox, sandwich for Fine–Gray, as R reports).
    """

    model: str
    terms: tuple[str, ...]
    coef: NDArray[np.float64]
    covariance: NDArray[np.float64]
    n: int
    events: int
    log_likelihood: float | None = None
    iterations: int = 0
    details: tuple[tuple[str, Any], ...] = ()

    @property
    def se(self) -> NDArray[np.float64]:
        return np.sqrt(np.diag(self.covariance))

    @property
    def hazard_ratio(self) -> NDArray[np.float64]:
        with np.errstate(over="ignore"):
            return np.exp(self.coef)

    @property
    def z(self) -> NDArray[np.float64]:
        return self.coef / self.se

    @property
    def p_value(self) -> NDArray[np.float64]:
        return 2.0 * scipy_stats.norm.sf(np.abs(self.z))

    def confidence_interval(self, level: float = 0.95) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Wald limits of the hazard ratio."""
        quantile = scipy_stats.norm.ppf(0.5 + level / 2.0)
        with np.errstate(over="ignore"):  # an infinite limit is the honest answer for a separated term
            return np.exp(self.coef - quantile * self.se), np.exp(self.coef + quantile * self.se)

    def to_dict(self) -> dict[str, Any]:
        rows = zip(self.terms, self.coef, self.se, self.hazard_ratio, self.z, self.p_value, strict=True)
        return {
            "model": self.model,
            "n": self.n,
            "events": self.events,
            "log_likelihood": json_number(self.log_likelihood),
            "iterations": self.iterations,
            "details": {key: _json_ready(value) for key, value in self.details},
            "coefficients": [
                {
                    "term": term,
                    "coef": json_number(coef),
                    "se": json_number(se),
                    "hr": json_number(hr),
                    "z": json_number(z),
                    "p_value": json_number(p),
                }
                for term, coef, se, hr, z, p in rows
            ],
        }

    def tables(self) -> Sequence[Table]:
        lower, upper = self.confidence_interval()
        rows = tuple(
            (term, float(c), float(h), float(s), float(zz), float(p), float(lo), float(hi))
            for term, c, h, s, zz, p, lo, hi in zip(
                self.terms,
                self.coef,
                self.hazard_ratio,
                self.se,
                self.z,
                self.p_value,
                lower,
                upper,
                strict=True,
            )
        )
        return (
            Table(
                title=f"{self.model}: n = {self.n}, events = {self.events}",
                columns=("term", "coef", "HR", "se", "z", "p", "HR lower 95%", "HR upper 95%"),
                rows=rows,
                note=self._note(),
            ),
        )

    def _note(self) -> str:
        """Convergence warnings and global tests, so text and HTML never hide them."""
        details = dict(self.details)
        lines = []
        if details.get("warning"):
            lines.append(f"Warning: {details['warning']}")
        if details.get("converged") is False and not details.get("warning"):
            lines.append(f"Warning: did not converge in {self.iterations} iterations")
        for key, label in (
            ("likelihood_ratio_test", "Likelihood ratio test"),
            ("wald_test", "Wald test"),
            ("score_test", "Score (log-rank) test"),
        ):
            test = details.get(key)
            if isinstance(test, dict):
                lines.append(
                    f"{label}: {format_value(test.get('statistic'))} on {test.get('df')} df, "
                    f"p = {format_value(test.get('p_value'))}"
                )
        return "\n".join(lines)


def _json_ready(value: Any) -> Any:
    """Details as JSON: floats through :func:`json_number`, containers recursively."""
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float | np.floating | np.integer):
        return json_number(float(value)) if isinstance(value, float | np.floating) else int(value)
    return str(value)
