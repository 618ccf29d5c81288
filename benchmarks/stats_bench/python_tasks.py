"""The benchmark tasks in Python: remission's, lifelines', scikit-survival's and comprisk's estimators.

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


def group_codes(data: dict[str, Any]) -> list[int]:
    """The cohort's group codes, ascending (R's factor order for numbers)."""
    return [int(g) for g in np.unique(data["group"])]


def covariate_columns(data: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """Model column names and the (n, columns) matrix: ``stage`` as two indicators, as R's ``factor``."""
    names: list[str] = []
    columns: list[np.ndarray] = []
    for name in data["covariates"]:
        if name == "stage":
            for level in (1, 2):
                names.append(f"stage={level}")
                columns.append((data["stage"] == level).astype(float))
        else:
            names.append(name)
            columns.append(np.asarray(data[name], dtype=float))
    return names, np.column_stack(columns)


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
        names = list(data["covariates"])
        return design_matrix({name: data[name] for name in names}, names, ["stage"])

    def cox(data: dict[str, Any], probe: list[float]) -> Numbers:
        x = design(data)
        fit = cox_ph(data["time"], data["event"], x.matrix, x.terms, ties="efron")
        return {"cox.coef": _floats(fit.coef), "cox.se": _floats(fit.se)}

    def cox_breslow(data: dict[str, Any], probe: list[float]) -> Numbers:
        x = design(data)
        fit = cox_ph(data["time"], data["event"], x.matrix, x.terms, ties="breslow")
        return {"cox_breslow.coef": _floats(fit.coef), "cox_breslow.se": _floats(fit.se)}

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
        "cox_breslow": cox_breslow,
        "finegray": finegray,
    }


# --- lifelines --------------------------------------------------------------------------------------


def lifelines_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """Data frames and per-group arrays lifelines takes, built before timing."""
    import pandas as pd

    prepared = dict(data)
    names, matrix = covariate_columns(data)
    frame = pd.DataFrame(matrix, columns=names)
    frame.insert(0, "E", data["event"])
    frame.insert(0, "T", data["time"])
    prepared["cox_frame"], prepared["cox_terms"] = frame, names
    for g in group_codes(data):
        member = data["group"] == g
        prepared[f"T{g}"] = data["time"][member]
        prepared[f"E{g}"] = data["event"][member]
    return prepared


def lifelines_tasks() -> dict[str, Task]:
    """lifelines 0.30: KaplanMeierFitter, logrank_test, AalenJohansenFitter (with variance), CoxPHFitter."""
    from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    def km(data: dict[str, Any], probe: list[float]) -> Numbers:
        out: Numbers = {}
        for g in group_codes(data):
            fitter = KaplanMeierFitter().fit(data[f"T{g}"], data[f"E{g}"])
            out[f"km.survival.g{g}"] = _floats(fitter.survival_function_at_times(probe).to_numpy())
        return out

    def logrank(data: dict[str, Any], probe: list[float]) -> Numbers:
        if len(group_codes(data)) == 2:
            test = logrank_test(data["T0"], data["T1"], data["E0"], data["E1"])
        else:
            test = multivariate_logrank_test(data["time"], data["group"], data["event"])
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
        terms = data["cox_terms"]
        return {
            "cox.coef": _floats(fitter.params_[terms].to_numpy()),
            "cox.se": _floats(fitter.standard_errors_[terms].to_numpy()),
        }

    return {"km": km, "logrank": logrank, "aj": aj, "cox": cox}


# --- scikit-survival --------------------------------------------------------------------------------


def sksurv_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """Structured outcome arrays, per-group arrays and the covariate matrix, built before timing."""
    prepared = dict(data)
    outcome = np.empty(data["time"].size, dtype=[("event", bool), ("time", float)])
    outcome["event"], outcome["time"] = data["event"].astype(bool), data["time"]
    prepared["outcome"] = outcome
    prepared["cox_terms"], prepared["X"] = covariate_columns(data)
    for g in group_codes(data):
        member = data["group"] == g
        prepared[f"T{g}"] = data["time"][member]
        prepared[f"E{g}"] = data["event"][member].astype(bool)
    return prepared


def sksurv_tasks() -> dict[str, Task]:
    """scikit-survival 0.28: Kaplan–Meier, compare_survival, cumulative incidence, Cox (Efron, Breslow).

    Its Aalen–Johansen variance (``conf_type``) builds a times × times array, so with continuous
    times at 10^6 it runs out of memory: that is reported as the peer's error.
    """
    from sksurv.compare import compare_survival
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.nonparametric import cumulative_incidence_competing_risks, kaplan_meier_estimator

    def km(data: dict[str, Any], probe: list[float]) -> Numbers:
        out: Numbers = {}
        for g in group_codes(data):
            # Limits included (log-log: the only transform it offers), as R and remission compute them.
            time, survival, _ = kaplan_meier_estimator(data[f"E{g}"], data[f"T{g}"], conf_type="log-log")
            index = np.searchsorted(time, probe, side="right") - 1
            out[f"km.survival.g{g}"] = _floats(np.where(index >= 0, survival[np.maximum(index, 0)], 1.0))
        return out

    def logrank(data: dict[str, Any], probe: list[float]) -> Numbers:
        statistic, _ = compare_survival(data["outcome"], data["group"])
        return {"logrank.statistic": [float(statistic)]}

    def aj(data: dict[str, Any], probe: list[float]) -> Numbers:
        time, incidence, _ = cumulative_incidence_competing_risks(
            data["cause"], data["time"], conf_type="log-log"
        )
        index = np.searchsorted(time, probe, side="right") - 1
        return {f"aj.estimate.c{c}": _floats(incidence[c][index]) for c in (1, 2)}

    def cox_fit(data: dict[str, Any], ties: str, key: str) -> Numbers:
        model = CoxPHSurvivalAnalysis(ties=ties).fit(data["X"], data["outcome"])
        return {f"{key}.coef": _floats(model.coef_)}

    return {
        "km": km,
        "logrank": logrank,
        "aj": aj,
        "cox": lambda data, probe: cox_fit(data, "efron", "cox"),
        "cox_breslow": lambda data, probe: cox_fit(data, "breslow", "cox_breslow"),
    }


# --- comprisk ---------------------------------------------------------------------------------------


def comprisk_inputs(data: dict[str, Any]) -> dict[str, Any]:
    prepared = dict(data)
    prepared["cox_terms"], prepared["X"] = covariate_columns(data)
    return prepared


def comprisk_tasks() -> dict[str, Task]:
    """comprisk 0.8: CumulativeIncidence (Aalen–Johansen with variance), gray_test, FineGrayRegression."""
    from comprisk import CumulativeIncidence, FineGrayRegression
    from comprisk import gray_test as comprisk_gray

    def curves(fit: Any, probe: list[float], prefix: str) -> Numbers:
        out: Numbers = {}
        for (group, cause), curve in fit.curves_.items():
            estimate, variance = curve.evaluate(np.asarray(probe, dtype=float))
            key = f"c{cause}" if group is None else f"g{group}.c{cause}"
            out[f"{prefix}.estimate.{key}"] = _floats(estimate)
            out[f"{prefix}.variance.{key}"] = _floats(variance)
        return out

    def aj(data: dict[str, Any], probe: list[float]) -> Numbers:
        return curves(CumulativeIncidence().fit(data["time"], data["cause"]), probe, "aj")

    def gray_statistics(data: dict[str, Any]) -> list[float]:
        return [
            float(comprisk_gray(data["time"], data["cause"], data["group"], cause=c).stat) for c in (1, 2)
        ]

    def cuminc_gray(data: dict[str, Any], probe: list[float]) -> Numbers:
        fit = CumulativeIncidence().fit(data["time"], data["cause"], group=data["group"])
        out = curves(fit, probe, "cuminc")
        out["gray.statistic"] = gray_statistics(data)
        return out

    def gray(data: dict[str, Any], probe: list[float]) -> Numbers:
        return {"gray.statistic": gray_statistics(data)}

    def finegray(data: dict[str, Any], probe: list[float]) -> Numbers:
        model = FineGrayRegression(cause=1).fit(data["X"], time=data["time"], event=data["cause"])
        return {"finegray.coef": _floats(model.coef_), "finegray.se": _floats(model.se_)}

    return {"aj": aj, "cuminc_gray": cuminc_gray, "gray": gray, "finegray": finegray}
