"""The report's cells, counts at risk and tests against R on one dataset (``reference/report.R``).

``reference/endpoints.csv`` (written by ``reference/write_dataset.py``) is read by both sides; R's
``summary(survfit(...), times = c(3, 4, 5) * 365.25, extend = TRUE)``, ``survdiff``,
``cmprsk::cuminc``/``timepoints`` outputs are committed in ``reference/report_r.json``. Where R has
no one at risk (``n.risk`` 0) or gives NA, or the group is below the minimum size, the report must
say "not estimable".
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from remission.stats.report import ALL, MIN_GROUP_SIZE, NOT_ESTIMABLE, StudyReport, build_report
from stats.r_reference import assert_close

REFERENCE = Path(__file__).parent / "reference"
SURVIVAL = (
    "efs_by_risk_group",
    "os_by_risk_group",
    "dfs_after_hsct",
    "os_after_relapse_by_age",
    "os_after_relapse_by_site",
    "os_after_relapse_by_remission_before_second_hsct",
)
#: R's labels of logical groups, as the report words them.
WORDS = {
    "os_after_relapse_by_age": {"TRUE": "< 6 months", "FALSE": "≥ 6 months"},
    "os_after_relapse_by_remission_before_second_hsct": {"TRUE": "in remission", "FALSE": "not in remission"},
}
CAUSES = {"1": "relapse", "2": "death in remission"}


@pytest.fixture(scope="module")
def r_output() -> dict[str, Any]:
    return json.loads((REFERENCE / "report_r.json").read_text())


@pytest.fixture(scope="module")
def report() -> StudyReport:
    frame = pd.read_csv(REFERENCE / "endpoints.csv")
    return build_report(frame, as_of=date(2026, 6, 30))


def check_cells(row: Any, r: dict[str, Any], n: int, where: str) -> None:
    """Cells agree with R's estimate and SE where someone is at risk, else say not estimable."""
    for cell, n_risk, estimate, std_err in zip(row.cells, r["n_risk"], r["surv"], r["std_err"], strict=True):
        assert cell.n_risk == n_risk, where
        if n_risk == 0 or n < MIN_GROUP_SIZE:
            assert cell.text == NOT_ESTIMABLE, where
        else:
            assert_close([cell.estimate, cell.std_err], [estimate, std_err], where=where)


@pytest.mark.parametrize("key", SURVIVAL)
def test_survival_cells_match_survfit_summary(
    report: StudyReport, r_output: dict[str, Any], key: str
) -> None:
    """Pooled and per-group cells are survfit's surv and std.err at 3, 4 and 5 years (n.risk too)."""
    result, expected = report.analysis(key), r_output[key]
    assert result.rows[0].group == ALL
    check_cells(result.rows[0], expected["pooled"], result.rows[0].n, f"{key}.pooled")
    words = WORDS.get(key, {})
    groups = {words.get(label, label): values for label, values in expected.get("groups", {}).items()}
    assert sorted(row.group for row in result.rows[1:]) == sorted(groups)
    for row in result.rows[1:]:
        check_cells(row, groups[row.group], row.n, f"{key}.{row.group}")


@pytest.mark.parametrize("key", [k for k in SURVIVAL if k != "dfs_after_hsct"])
def test_log_rank_matches_survdiff(report: StudyReport, r_output: dict[str, Any], key: str) -> None:
    """The log-rank statistic, degrees of freedom and p-value are survdiff's."""
    (test,) = report.analysis(key).tests
    expected = r_output[key]["logrank"]
    assert test.df == expected["df"]
    assert_close([test.statistic, test.p_value], [expected["chisq"], expected["p"]], where=key)


@pytest.mark.parametrize("key", ["relapse_incidence", "relapse_incidence_by_risk_group"])
def test_incidence_cells_match_cuminc_timepoints(
    report: StudyReport, r_output: dict[str, Any], key: str
) -> None:
    """Every group × cause row is timepoints()' estimate and sqrt(variance); NA is not estimable."""
    result = report.analysis(key)
    rows = {(row.group, row.cause): row for row in result.rows}
    grouped = key.endswith("by_risk_group")
    for curve in r_output[key]["curves"]:
        group, cause = curve["name"].rsplit(" ", 1)
        row = rows[(group if grouped else ALL, CAUSES[cause])]
        for cell, estimate, variance in zip(row.cells, curve["est"], curve["var"], strict=True):
            if estimate is None or row.n < MIN_GROUP_SIZE:
                assert cell.text == NOT_ESTIMABLE, curve["name"]
            else:
                assert_close([cell.estimate, cell.std_err**2], [estimate, variance], where=curve["name"])


def test_grays_test_matches_cuminc(report: StudyReport, r_output: dict[str, Any]) -> None:
    """Gray's statistic and p-value per cause are cuminc's $Tests."""
    tests = report.analysis("relapse_incidence_by_risk_group").tests
    expected = r_output["relapse_incidence_by_risk_group"]["gray"]
    assert len(tests) == len(expected)
    for test, r in zip(tests, expected, strict=True):
        assert CAUSES[r["cause"]] in test.name
        assert test.df == r["df"]
        assert_close([test.statistic, test.p_value], [r["stat"], r["p"]], where=test.name)


def test_median_follow_up_matches_reverse_survfit(report: StudyReport, r_output: dict[str, Any]) -> None:
    """The median follow-up is survfit's median of Surv(os_time_days, 1 - os_event), with its limits."""
    r = r_output["follow_up"]
    follow_up = report.follow_up
    assert follow_up is not None
    assert follow_up.patients == r["n"]
    assert (follow_up.median_days, follow_up.lower_days, follow_up.upper_days) == (
        r["median"],
        r["lower"],
        r["upper"],
    )
    assert follow_up.text.startswith(f"{r['median'] / 365.25:.1f} years (95% CI {r['lower'] / 365.25:.1f}–")


@pytest.mark.r_live
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_r_still_produces_the_committed_numbers(tmp_path: Path) -> None:
    """Re-running report.R gives the committed report_r.json (live R tier)."""
    target = tmp_path / "report_r.json"
    completed = subprocess.run(
        ["Rscript", "report.R", str(target)],
        cwd=REFERENCE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert_close(json.loads(target.read_text()), json.loads((REFERENCE / "report_r.json").read_text()))
