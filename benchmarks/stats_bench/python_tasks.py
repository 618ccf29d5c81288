"""The benchmark tasks in Python: remission's estimators and lifelines', each returning comparable numbers.

Every task function takes the prepared inputs (arrays, and for lifelines data frames built before any
timing) and returns ``{key: [numbers]}``; the same key means the same quantity in every implementation
(and in ``r_worker.R``), so agreement is checked key by key. ``None`` marks a task an implementation
does not have.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

Numbers = dict[str, list[float]]
Task = Callable[[dict[str, Any], list[float]], Numbers]


def _floats(values: Any) -> list[float]:
    return [float(v) if v is not None else float("nan") for v in np.ravel(np.asarray(values, dtype=object))]


# --- remission --------------------------------------------------------------------------------------


def remission_tasks() -> dict[str, Task]:
    """remission.stats estimators, imported before any timing."""
    from remission.stats.cox import cox_ph
    from remission.stats.cumulative_incidence import cumulative_incidence
    from remission.stats.design import design_matrix
    from remission.stats.fine_gray import fine_gray
    from remission.stats.gray_test import gray_test
    from remission.stats.kaplan_meier import kaplan_meier
    from remission.stats.logrank import logrank_test

    def km(data: dict[str, Any], probe: list[float]) -> Numbers:
        fit = kaplan_meier(data["time"], data["event"], group=data["group"])
        out: Numbers = {}
        for index, curve in enumerate(fit.curves):
            rows = curve.at(probe)
            for key in ("survival", "std_err", "lower", "upper"):
                out[f"km.{key}.g{index}"] = _floats([row[key] for row in rows])
        return out

    def logrank(data: dict[str, Any], probe: list[float]) -> Numbers:
        return {"logrank.statistic": [logrank_test(data["time"], data["event"], data["group"]).statistic]}

    def aj(data: dict[str, Any], probe: list[float]) -> Numbers:
        fit = cumulative_incidence(data["time"], data["cause"])
        out: Numbers = {}
        for cause in (1, 2):
            rows = fit.curve("all", cause).at(probe)
            out[f"aj.estimate.c{cause}"] = _floats([row["estimate"] for row in rows])
            out[f"aj.variance.c{cause}"] = _floats([row["variance"] for row in rows])
        return out

    def cuminc_gray(data: dict[str, Any], probe: list[float]) -> Numbers:
        fit = cumulative_incidence(data["time"], data["cause"], group=data["group"])
        out: Numbers = {}
        for curve in fit.curves:
            rows = curve.at(probe)
            out[f"cuminc.estimate.g{curve.group}.c{curve.cause}"] = _floats([row["estimate"] for row in rows])
            out[f"cuminc.variance.g{curve.group}.c{curve.cause}"] = _floats([row["variance"] for row in rows])
        assert fit.gray_test is not None
        out["gray.statistic"] = [row.statistic for row in fit.gray_test.rows]
        return out

    def gray(data: dict[str, Any], probe: list[float]) -> Numbers:
        test = gray_test(data["time"], data["cause"], data["group"])
        return {"gray.statistic": [row.statistic for row in test.rows]}

    def design(data: dict[str, Any]) -> Any:
        columns = {"age": data["age"], "sex": data["sex"], "stage": data["stage"]}
        return design_matrix(columns, ["age", "sex", "stage"], ["stage"])

    def cox(data: dict[str, Any], probe: list[float]) -> Numbers:
        x = design(data)
        fit = cox_ph(data["time"], data["event"], x.matrix, x.terms, ties="efron")
        return {"cox.coef": _floats(fit.coef), "cox.se": _floats(fit.se)}

    def finegray(data: dict[str, Any], probe: list[float]) -> Numbers:
        x = design(data)
        fit = fine_gray(data["time"], data["cause"], x.matrix, x.terms, failcode=1)
        return {"finegray.coef": _floats(fit.coef), "finegray.se": _floats(fit.se)}

    return {
        "km": km,
        "logrank": logrank,
        "aj": aj,
        "cuminc_gray": cuminc_gray,
        "gray": gray,
        "cox": cox,
        "finegray": finegray,
    }


# --- lifelines --------------------------------------------------------------------------------------


def lifelines_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """Data frames and per-group arrays lifelines takes, built before timing."""
    import pandas as pd

    prepared = dict(data)
    prepared["cox_frame"] = pd.DataFrame(
        {
            "T": data["time"],
            "E": data["event"],
            "age": data["age"],
            "sex": data["sex"],
            "stage=1": (data["stage"] == 1).astype(float),
            "stage=2": (data["stage"] == 2).astype(float),
        }
    )
    for g in (0, 1):
        member = data["group"] == g
        prepared[f"T{g}"] = data["time"][member]
        prepared[f"E{g}"] = data["event"][member]
    return prepared


def lifelines_tasks() -> dict[str, Task]:
    """lifelines 0.30: KaplanMeierFitter, logrank_test, AalenJohansenFitter (with variance), CoxPHFitter."""
    from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    def km(data: dict[str, Any], probe: list[float]) -> Numbers:
        out: Numbers = {}
        for g in (0, 1):
            fitter = KaplanMeierFitter().fit(data[f"T{g}"], data[f"E{g}"])
            out[f"km.survival.g{g}"] = _floats(fitter.survival_function_at_times(probe).to_numpy())
        return out

    def logrank(data: dict[str, Any], probe: list[float]) -> Numbers:
        test = logrank_test(data["T0"], data["T1"], data["E0"], data["E1"])
        return {"logrank.statistic": [float(test.test_statistic)]}

    def aj(data: dict[str, Any], probe: list[float]) -> Numbers:
        out: Numbers = {}
        for cause in (1, 2):
            fitter = AalenJohansenFitter(calculate_variance=True, seed=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lifelines warns that it jitters tied times
                fitter.fit(data["time"], data["cause"], event_of_interest=cause)
            curve = fitter.cumulative_density_.iloc[:, 0]
            index = np.searchsorted(curve.index.to_numpy(), probe, side="right") - 1
            out[f"aj.estimate.c{cause}"] = _floats(curve.to_numpy()[index])
            out[f"aj.variance.c{cause}"] = _floats(np.asarray(fitter.variance_)[index])
        return out

    def cox(data: dict[str, Any], probe: list[float]) -> Numbers:
        fitter = CoxPHFitter().fit(data["cox_frame"], "T", "E")
        terms = ["age", "sex", "stage=1", "stage=2"]
        return {
            "cox.coef": _floats(fitter.params_[terms].to_numpy()),
            "cox.se": _floats(fitter.standard_errors_[terms].to_numpy()),
        }

    return {"km": km, "logrank": logrank, "aj": aj, "cox": cox}
