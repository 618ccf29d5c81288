"""Shared comparison of Kaplan–Meier curves with the R fixtures written by ``reference/R/km.R``."""

from __future__ import annotations

from typing import Any

from remission.stats.kaplan_meier import KaplanMeierResult, SurvivalCurve, kaplan_meier
from stats.r_reference import assert_close, dataset, fixture

CURVE_DATASETS = ("lung", "aml", "veteran", "ovarian", "edge", "heart")


def curve_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every (dataset, case) in the ``km_curves_<dataset>`` fixtures."""
    return [(name, case) for name in CURVE_DATASETS for case in fixture(f"km_curves_{name}")]


def case_id(name: str, case: dict[str, Any]) -> str:
    group = case.get("group") or "all"
    entry = "-entry" if case.get("entry") else ""
    return f"{name}-{group}{entry}-{case['conf_type']}-{case['conf_level']}"


def fit_case(name: str, case: dict[str, Any]) -> KaplanMeierResult:
    """Run :func:`kaplan_meier` on the dataset the way ``km.R`` ran ``survfit``."""
    frame = dataset(name)
    time = frame["stop"] if name == "heart" else frame["time"]
    return kaplan_meier(
        time.to_numpy(),
        frame["event"].to_numpy(),
        group=None if case.get("group") is None else frame[case["group"]].to_numpy(),
        entry=None if case.get("entry") is None else frame[case["entry"]].to_numpy(),
        conf_type=case["conf_type"],
        conf_level=case["conf_level"],
    )


def paired(result: KaplanMeierResult, case: dict[str, Any]) -> list[tuple[SurvivalCurve, dict[str, Any]]]:
    """Our curves next to R's, checking both list the same groups in the same order."""
    assert [c.group for c in result.curves] == [c["group"] for c in case["curves"]]
    return list(zip(result.curves, case["curves"], strict=True))


def assert_curve_matches(curve: SurvivalCurve, expected: dict[str, Any], where: str) -> None:
    """Every point of the curve (counts, survival, standard error, limits) agrees with R."""
    for field in ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"):
        assert_close(getattr(curve, field), expected[field], where=f"{where}.{field}")
