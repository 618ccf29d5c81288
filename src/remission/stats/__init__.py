"""Survival and competing-risk estimators on arrays (NumPy/SciPy), matching R's ``survival`` and ``cmprsk``.

Every estimator is a pure function of arrays that returns a result object; result objects render
as text, JSON-ready dicts and HTML (see :mod:`remission.stats.results`). Input problems raise
:class:`remission.errors.InputError` naming the argument and what is wrong.
"""

from remission.stats.cox import cox_ph
from remission.stats.cumulative_incidence import (
    CumulativeIncidenceResult,
    IncidenceCurve,
    cumulative_incidence,
)
from remission.stats.design import Design, design_matrix
from remission.stats.fine_gray import fine_gray
from remission.stats.gray_test import GrayTestResult, GrayTestRow, gray_test
from remission.stats.kaplan_meier import KaplanMeierResult, SurvivalCurve, kaplan_meier
from remission.stats.landmark import LandmarkResult, landmark
from remission.stats.logrank import LogrankResult, logrank_test
from remission.stats.regression import RegressionResult
from remission.stats.restricted_mean import (
    GroupRestrictedMean,
    RestrictedMeanDifference,
    RestrictedMeanResult,
    restricted_mean,
)
from remission.stats.results import Result, Table

__all__ = [
    "CumulativeIncidenceResult",
    "Design",
    "GrayTestResult",
    "GrayTestRow",
    "GroupRestrictedMean",
    "IncidenceCurve",
    "KaplanMeierResult",
    "LandmarkResult",
    "LogrankResult",
    "RegressionResult",
    "RestrictedMeanDifference",
    "RestrictedMeanResult",
    "Result",
    "SurvivalCurve",
    "Table",
    "cox_ph",
    "cumulative_incidence",
    "design_matrix",
    "fine_gray",
    "gray_test",
    "kaplan_meier",
    "landmark",
    "logrank_test",
    "restricted_mean",
]
