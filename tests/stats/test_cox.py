"""Cox proportional hazards against R's survival::coxph (fixtures from reference/R/cox.R), plus
properties any correct fit has (invariances, equivalent data layouts) and the refusals of bad input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from remission.errors import InputError
from remission.stats._cox_likelihood import evaluate, risk_sets
from remission.stats._newton import newton_raphson
from remission.stats.cox import cox_ph
from remission.stats.design import design_matrix
from remission.stats.regression import RegressionResult
from stats.r_reference import assert_close, dataset, fixture


@dataclass(frozen=True)
class Case:
    """How one R fit in cox.R is set up here; ``terms`` pairs our term names with R's."""

    data: str
    covariates: tuple[str, ...]
    categorical: tuple[str, ...]
    terms: tuple[tuple[str, str], ...]
    entry: str | None = None
    strata: str | None = None


CASES = {
    "lung": Case("lung", ("age", "sex"), (), (("age", "age"), ("sex", "sex"))),
    "lung_ecog": Case(
        "lung",
        ("age", "sex", "ph_ecog"),
        ("ph_ecog",),
        (
            ("age", "age"),
            ("sex", "sex"),
            ("ph_ecog=1", "factor(ph_ecog)1"),
            ("ph_ecog=2", "factor(ph_ecog)2"),
            ("ph_ecog=3", "factor(ph_ecog)3"),
        ),
    ),
    "veteran": Case(
        "veteran",
        ("celltype", "karno", "trt"),
        ("celltype",),
        (
            ("celltype=large", "celltypelarge"),
            ("celltype=smallcell", "celltypesmallcell"),
            ("celltype=squamous", "celltypesquamous"),
            ("karno", "karno"),
            ("trt", "trt"),
        ),
    ),
    "ovarian": Case(
        "ovarian",
        ("age", "rx", "resid_ds", "ecog_ps"),
        (),
        (("age", "age"), ("rx", "rx"), ("resid_ds", "resid_ds"), ("ecog_ps", "ecog_ps")),
    ),
    "aml": Case("aml", ("x",), ("x",), (("x=Nonmaintained", "xNonmaintained"),)),
    "edge": Case("edge", ("group",), ("group",), (("group=B", "groupB"), ("group=C", "groupC"))),
    "ovarian_separated": Case("ovarian", ("neg_time", "age"), (), (("neg_time", "neg_time"), ("age", "age"))),
    "heart": Case(
        "heart",
        ("age", "surgery", "transplant"),
        (),
        (("age", "age"), ("surgery", "surgery"), ("transplant", "transplant")),
        entry="start",
    ),
    "veteran_strata": Case(
        "veteran", ("karno", "trt"), (), (("karno", "karno"), ("trt", "trt")), strata="celltype"
    ),
    "heart_strata": Case(
        "heart",
        ("age", "transplant"),
        (),
        (("age", "age"), ("transplant", "transplant")),
        entry="start",
        strata="surgery",
    ),
}
FITS = [(case, ties) for case in CASES for ties in ("efron", "breslow")]
FIT_IDS = [f"{case}-{ties}" for case, ties in FITS]


def _fit(case_name: str, ties: str) -> RegressionResult:
    case = CASES[case_name]
    frame = dataset(case.data)
    if "neg_time" in case.covariates:
        # cox.R's separated ovarian case adds minus the follow-up time as a covariate.
        frame = frame.assign(neg_time=-frame["time"])
    design = design_matrix(frame, case.covariates, case.categorical)
    used = frame[design.rows_used]
    return cox_ph(
        used["stop"] if case.entry else used["time"],
        used["event"],
        design.matrix,
        design.terms,
        ties=ties,
        entry=used[case.entry] if case.entry else None,
        strata=used[case.strata] if case.strata else None,
    )


def _model_based(r: dict[str, Any]) -> dict[str, Any]:
    """R's variance-based values: as reported, or (when coxph ran out of iterations, where its
    reported variance is not the inverse information) as R computes them at its coefficients."""
    return r.get("at_coef", r)


@pytest.fixture(scope="module", params=FITS, ids=FIT_IDS)
def fitted(request: pytest.FixtureRequest) -> tuple[Case, RegressionResult, dict[str, Any]]:
    case_name, ties = request.param
    return CASES[case_name], _fit(case_name, ties), fixture(f"cox_{case_name}_{ties}")


class TestAgainstR:
    def test_terms_are_rs_columns_in_rs_order(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """The design gives one term per R coefficient, in R's order (factor levels as COLUMN=LEVEL)."""
        case, result, r = fitted
        assert [r_name for _, r_name in case.terms] == r["terms"]
        assert result.terms == tuple(name for name, _ in case.terms)

    def test_coefficients_and_hazard_ratios_match_r(
        self, fitted: tuple[Case, RegressionResult, dict]
    ) -> None:
        """Coefficients and exp(coef) agree with coxph to 1e-6 relative."""
        _, result, r = fitted
        assert_close(result.coef, r["coef"], where="coef")
        assert_close(result.hazard_ratio, r["exp_coef"], where="exp(coef)")

    def test_standard_errors_match_r(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """Model-based standard errors agree with sqrt(diag(fit$var)) to 1e-6 relative."""
        _, result, r = fitted
        assert_close(result.se, _model_based(r)["se"], where="se")

    def test_z_and_p_values_match_r(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """Wald z statistics and their two-sided p-values agree with R to 1e-6 relative."""
        _, result, r = fitted
        assert_close(result.z, _model_based(r)["z"], where="z")
        assert_close(result.p_value, _model_based(r)["p_value"], where="p")

    def test_log_likelihoods_match_r(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """The log partial likelihood at β = 0 and at the solution agree with fit$loglik."""
        _, result, r = fitted
        assert_close([dict(result.details)["log_likelihood_initial"], result.log_likelihood], r["loglik"])

    def test_iterations_match_r(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """Newton–Raphson stops after as many iterations as coxph (fit$iter)."""
        _, result, r = fitted
        assert result.iterations == r["iterations"]

    def test_global_tests_match_r(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """Likelihood-ratio, Wald and score tests (statistic, df, p) agree with R."""
        _, result, r = fitted
        details = dict(result.details)
        for test in ("likelihood_ratio_test", "score_test"):
            assert_close(details[test], r[test], where=test)
        assert_close(details["wald_test"], _model_based(r)["wald_test"], where="wald_test")

    def test_counts_match_r(self, fitted: tuple[Case, RegressionResult, dict]) -> None:
        """The numbers of rows and events are R's n and nevent."""
        _, result, r = fitted
        assert (result.n, result.events) == (r["n"], r["events"])

    def test_possibly_infinite_coefficient_is_warned_as_r_does(
        self, fitted: tuple[Case, RegressionResult, dict]
    ) -> None:
        """Loglik converging before a variable is warned exactly when R warns, naming R's variable."""
        case, result, r = fitted
        warning = dict(result.details)["warning"] or ""
        flagged = [
            name
            for index, (name, _) in enumerate(case.terms)
            if any(f"Loglik converged before variable  {index + 1} " in message for message in r["warnings"])
        ]
        assert ("Loglik converged before" in warning) == bool(flagged)
        assert all(name in warning for name in flagged)

    def test_running_out_of_iterations_is_warned_as_r_does(
        self, fitted: tuple[Case, RegressionResult, dict]
    ) -> None:
        """Non-convergence (and R's 'may be infinite' addendum) is reported exactly when R reports it."""
        _, result, r = fitted
        details = dict(result.details)
        warning = details["warning"] or ""
        ran_out = "Ran out of iterations and did not converge" in r["warnings"]
        assert details["converged"] is not ran_out
        assert ("did not converge" in warning) == ran_out
        assert ("one or more coefficients may be infinite" in warning) == (
            "one or more coefficients may be infinite" in r["warnings"]
        )


class TestNonConvergence:
    def test_variance_is_inverse_information_at_the_reported_coefficients(self) -> None:
        """Out of iterations, the variance is R's inverse information at the coefficients, not coxph's."""
        result, r = _fit("ovarian_separated", "efron"), fixture("cox_ovarian_separated_efron")
        assert_close(result.se, r["at_coef"]["se"], where="se")
        assert_close(result.log_likelihood, r["at_coef"]["loglik"], where="loglik")
        assert not np.allclose(result.se, r["se"], rtol=0.05)


class TestZeroLogLikelihood:
    """One event alone in its risk set: the log partial likelihood is exactly 0 at every β."""

    @pytest.mark.parametrize("ties", ["efron", "breslow"])
    def test_newton_runs_out_of_iterations_as_r_does(self, ties: str) -> None:
        """R's |1 - old/new| is NaN for 0/0: no convergence, iter = 21, β and loglik stay 0."""
        r = fixture("cox_zero_loglik")
        data = r["data"]
        time = np.array([row["time"] for row in data], dtype=float)
        event = np.array([row["event"] for row in data], dtype=np.int64)
        x = np.array([[row["x"]] for row in data], dtype=float)
        sets = risk_sets(time, event, x, np.zeros(time.size, np.int64), None, efron=ties == "efron")
        fit = newton_raphson(lambda beta: evaluate(sets, beta), 1)
        assert not fit.converged
        assert fit.iterations == r[ties]["iter"]
        assert_close(fit.beta, [r[ties]["coef"]], where="coef")
        assert_close(
            [fit.initial.log_likelihood, fit.final.log_likelihood], r[ties]["loglik"], where="loglik"
        )

    def test_cox_ph_refuses_the_term_without_information(self) -> None:
        """No crash: the term carries no information and is refused by name (R leaves it at 0)."""
        with pytest.raises(InputError, match="'x' carry no information"):
            cox_ph([1, 2, 3, 4, 5], [0, 0, 0, 0, 1], [[1.0], [2.0], [3.0], [4.0], [5.0]], ["x"])


class TestProperties:
    def test_efron_equals_breslow_without_tied_events(self) -> None:
        """With no tied event times the two tie methods are the same likelihood."""
        ovarian = dataset("ovarian")
        assert not ovarian.loc[ovarian.event == 1, "time"].duplicated().any()
        x = ovarian[["age", "rx"]].to_numpy()
        efron = cox_ph(ovarian.time, ovarian.event, x, ["age", "rx"], ties="efron")
        breslow = cox_ph(ovarian.time, ovarian.event, x, ["age", "rx"], ties="breslow")
        np.testing.assert_allclose(efron.coef, breslow.coef, rtol=1e-12)
        np.testing.assert_allclose(efron.covariance, breslow.covariance, rtol=1e-12)

    def test_row_order_does_not_matter(self) -> None:
        """Shuffling the rows leaves the fit unchanged."""
        lung = dataset("lung")
        x = lung[["age", "sex"]].to_numpy()
        order = np.random.default_rng(7).permutation(len(lung))
        base = cox_ph(lung.time, lung.event, x, ["age", "sex"])
        shuffled = cox_ph(lung.time.to_numpy()[order], lung.event.to_numpy()[order], x[order], ["age", "sex"])
        np.testing.assert_allclose(shuffled.coef, base.coef, rtol=1e-10)
        np.testing.assert_allclose(shuffled.log_likelihood, base.log_likelihood, rtol=1e-12)

    def test_one_stratum_equals_no_strata(self) -> None:
        """A single stratum label is the unstratified model."""
        lung = dataset("lung")
        x = lung[["age", "sex"]].to_numpy()
        plain = cox_ph(lung.time, lung.event, x, ["age", "sex"])
        one = cox_ph(lung.time, lung.event, x, ["age", "sex"], strata=["all"] * len(lung))
        np.testing.assert_allclose(one.coef, plain.coef, rtol=1e-12)

    def test_entry_at_zero_equals_no_entry(self) -> None:
        """Entering everyone at time 0 is the right-censored model."""
        lung = dataset("lung")
        x = lung[["age", "sex"]].to_numpy()
        plain = cox_ph(lung.time, lung.event, x, ["age", "sex"])
        entered = cox_ph(lung.time, lung.event, x, ["age", "sex"], entry=np.zeros(len(lung)))
        np.testing.assert_allclose(entered.coef, plain.coef, rtol=1e-12)
        np.testing.assert_allclose(entered.se, plain.se, rtol=1e-12)

    def test_split_follow_up_equals_unsplit(self) -> None:
        """Splitting each subject into (0, s] and (s, t] episodes (event on the last) changes nothing."""
        lung = dataset("lung")
        time, event, x = lung.time.to_numpy(float), lung.event.to_numpy(), lung[["age", "sex"]].to_numpy()
        split = np.floor(time / 2.0) + 0.5
        plain = cox_ph(time, event, x, ["age", "sex"])
        episodes = cox_ph(
            np.r_[split, time],
            np.r_[np.zeros_like(event), event],
            np.vstack([x, x]),
            ["age", "sex"],
            entry=np.r_[np.zeros_like(time), split],
        )
        np.testing.assert_allclose(episodes.coef, plain.coef, rtol=1e-10)
        np.testing.assert_allclose(episodes.se, plain.se, rtol=1e-10)

    def test_late_entry_removes_subjects_from_earlier_risk_sets(self) -> None:
        """Entry times change the fit: subjects are not at risk before they enter."""
        lung = dataset("lung")
        x = lung[["age", "sex"]].to_numpy()
        entry = np.minimum(lung.time.to_numpy(float) - 1.0, 100.0)
        plain = cox_ph(lung.time, lung.event, x, ["age", "sex"])
        late = cox_ph(lung.time, lung.event, x, ["age", "sex"], entry=entry)
        assert not np.allclose(late.coef, plain.coef, rtol=1e-3)

    def test_result_renders_as_json(self) -> None:
        """The result serialises to JSON with a row per term, including the infinite-coefficient case."""
        parsed = json.loads(_fit("edge", "efron").to_json())
        assert [row["term"] for row in parsed["coefficients"]] == ["group=B", "group=C"]

    def test_details_carry_the_fit_description(self) -> None:
        """Details name the tie method, strata count, late entry and convergence."""
        details = dict(_fit("heart_strata", "breslow").details)
        assert (details["ties"], details["strata"], details["late_entry"], details["converged"]) == (
            "breslow",
            2,
            True,
            True,
        )


class TestRefusals:
    @staticmethod
    def _field(error: pytest.ExceptionInfo[InputError]) -> str:
        return error.value.problems[0].field

    def test_no_events_is_refused(self) -> None:
        """All-censored data cannot be fitted and is refused under ``event``."""
        with pytest.raises(InputError, match="no events") as error:
            cox_ph([1, 2, 3], [0, 0, 0], [[1.0], [2.0], [0.0]], ["x"])
        assert self._field(error) == "event"

    def test_entry_not_before_time_is_refused(self) -> None:
        """A row entering at or after its time is refused under ``entry``."""
        with pytest.raises(InputError) as error:
            cox_ph([1, 2, 3], [1, 0, 1], [[1.0], [2.0], [0.0]], ["x"], entry=[0, 2, 1])
        assert self._field(error) == "entry"

    def test_unknown_tie_method_is_refused(self) -> None:
        """Only efron and breslow are offered."""
        with pytest.raises(InputError) as error:
            cox_ph([1, 2, 3], [1, 0, 1], [[1.0], [2.0], [0.0]], ["x"], ties="exact")
        assert self._field(error) == "ties"

    def test_terms_must_name_every_column(self) -> None:
        """The number of term names must equal the number of covariate columns."""
        with pytest.raises(InputError) as error:
            cox_ph([1, 2, 3], [1, 0, 1], [[1.0, 2.0], [2.0, 1.0], [0.0, 3.0]], ["x"])
        assert self._field(error) == "terms"

    def test_missing_covariate_value_is_refused(self) -> None:
        """NaN covariates are refused: drop incomplete rows with design_matrix first."""
        with pytest.raises(InputError) as error:
            cox_ph([1, 2, 3], [1, 0, 1], [[1.0], [np.nan], [0.0]], ["x"])
        assert self._field(error) == "covariates"

    def test_covariate_rows_must_match_times(self) -> None:
        """The covariate matrix needs one row per time."""
        with pytest.raises(InputError) as error:
            cox_ph([1, 2, 3], [1, 0, 1], [[1.0], [0.0]], ["x"])
        assert self._field(error) == "covariates"

    def test_missing_stratum_is_refused(self) -> None:
        """A missing stratum label is refused under ``strata``."""
        with pytest.raises(InputError) as error:
            cox_ph([1, 2, 3], [1, 0, 1], [[1.0], [2.0], [0.0]], ["x"], strata=["a", None, "b"])
        assert self._field(error) == "strata"

    def test_term_constant_within_strata_is_refused(self) -> None:
        """A term constant within every stratum has no information and is refused by name."""
        veteran = dataset("veteran")
        is_squamous = (veteran.celltype == "squamous").to_numpy(float)
        x = np.column_stack([veteran.karno, is_squamous])
        with pytest.raises(InputError, match="'squamous' carry no information"):
            cox_ph(veteran.time, veteran.event, x, ["karno", "squamous"], strata=veteran.celltype)
