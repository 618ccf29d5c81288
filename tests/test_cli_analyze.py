"""``remission analyze``: JSON equal to the estimators and to R's numbers; bad input exits 2 naming the field.

Most tests run the real entry point (``remission.cli.main.main``) in-process for speed; two run it
as a subprocess to pin the installed command. R's numbers are the committed fixtures written by
``tests/stats/reference/R/*.R``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.analyze_cli import HEART, LUNG, MGUS2, VETERAN, analyze, analyze_json

from remission.stats.cox import cox_ph
from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.design import design_matrix
from remission.stats.fine_gray import fine_gray
from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.landmark import landmark
from remission.stats.logrank import logrank_test
from remission.stats.restricted_mean import restricted_mean
from stats.r_reference import assert_close, dataset, fixture

REPO = Path(__file__).resolve().parents[1]


def as_json(payload: dict[str, Any]) -> Any:
    """The estimator's dict after the JSON round trip the CLI output goes through."""
    return json.loads(json.dumps(payload))


class TestKaplanMeier:
    def test_json_equals_the_estimator(self, capsys: pytest.CaptureFixture[str]) -> None:
        """km --json prints exactly kaplan_meier(...).to_dict(at)."""
        lung = dataset("lung")
        got = analyze_json(
            capsys,
            "km",
            "--data",
            LUNG,
            "--time",
            "time",
            "--event",
            "event",
            "--group",
            "sex",
            "--at",
            "0,100,365",
        )
        want = kaplan_meier(lung.time, lung.event, group=lung.sex).to_dict([0, 100, 365])
        assert got == as_json(want)

    def test_json_matches_r_survfit_and_survdiff(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Curves at R's times, medians and the log-rank test agree with R's lung fixtures."""
        case = next(c for c in fixture("km_curves_lung") if c["group"] == "sex" and c["conf_type"] == "log")
        times = ",".join(str(t) for t in case["at_times"])
        got = analyze_json(
            capsys,
            "km",
            "--data",
            LUNG,
            "--time",
            "time",
            "--event",
            "event",
            "--group",
            "sex",
            "--at",
            times,
        )
        assert [g["group"] for g in got["groups"]] == [c["group"] for c in case["curves"]]
        for ours, theirs in zip(got["groups"], case["curves"], strict=True):
            for key in ("n", "events", "median", "median_lower", "median_upper"):
                assert_close(ours[key], theirs[key], where=key)
            for key in ("time", "n_risk", "survival", "std_err", "lower", "upper"):
                assert_close([row[key] for row in ours["at"]], theirs["at"][key], where=key)
        logrank = next(t["test"] for t in fixture("km_logrank") if t["test"]["name"] == "lung_sex")
        assert_close(got["logrank"], {k: logrank[k] for k in ("statistic", "df", "p_value")})

    def test_strata_give_r_stratified_log_rank(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--strata replaces the log-rank test with survdiff(... + strata()) as R computes it."""
        got = analyze_json(
            capsys,
            "km",
            "--data",
            VETERAN,
            "--time",
            "time",
            "--event",
            "event",
            "--group",
            "trt",
            "--strata",
            "celltype",
        )
        want = next(
            t["test"] for t in fixture("km_logrank") if t["test"]["name"] == "veteran_trt_by_celltype"
        )
        assert_close(got["logrank"], {k: want[k] for k in ("statistic", "df", "p_value")})

    def test_late_entry_matches_r(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--entry gives R's Surv(start, stop, event) curves (heart, by surgery)."""
        case = next(
            c for c in fixture("km_curves_heart") if c["group"] == "surgery" and c["conf_type"] == "log"
        )
        times = ",".join(str(t) for t in case["at_times"])
        got = analyze_json(
            capsys,
            "km",
            "--data",
            HEART,
            "--time",
            "stop",
            "--event",
            "event",
            "--entry",
            "start",
            "--group",
            "surgery",
            "--at",
            times,
        )
        for ours, theirs in zip(got["groups"], case["curves"], strict=True):
            for key in ("n_risk", "survival", "std_err", "lower", "upper"):
                assert_close([row[key] for row in ours["at"]], theirs["at"][key], where=key)
        assert got["logrank"] is None

    def test_tables_show_groups_and_the_test(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --json the output is readable tables with the medians and the log-rank line."""
        code, out, _ = analyze(
            capsys, "km", "--data", LUNG, "--time", "time", "--event", "event", "--group", "sex"
        )
        assert code == 0
        assert "Kaplan–Meier estimate" in out
        assert "Chi-square = 10.33 on 1 df" in out

    def test_labels_in_brackets_print_literally(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A group label like [red] is shown as text, not eaten as rich markup."""
        path = tmp_path / "brackets.csv"
        path.write_text("t,e,g\n1,1,[red]\n2,0,[red]\n3,1,b\n4,1,b\n", "utf-8")
        code, out, _ = analyze(
            capsys, "km", "--data", str(path), "--time", "t", "--event", "e", "--group", "g"
        )
        assert code == 0
        assert "[red]" in out

    def test_parquet_gives_the_same_json_as_csv(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """The same cohort as Parquet gives the same answer as the CSV."""
        parquet = tmp_path / "lung.parquet"
        dataset("lung").to_parquet(parquet)
        args = ("km", "--time", "time", "--event", "event", "--group", "sex", "--at", "365")
        assert analyze_json(capsys, *args, "--data", str(parquet)) == analyze_json(
            capsys, *args, "--data", LUNG
        )


class TestCumulativeIncidence:
    def test_json_equals_the_estimator(self, capsys: pytest.CaptureFixture[str]) -> None:
        """cuminc --json prints exactly cumulative_incidence(...).to_dict(at)."""
        mgus2 = dataset("mgus2")
        got = analyze_json(
            capsys,
            "cuminc",
            "--data",
            MGUS2,
            "--time",
            "time",
            "--cause",
            "cause",
            "--group",
            "sex",
            "--at",
            "12,60",
        )
        assert got == as_json(
            cumulative_incidence(mgus2.time, mgus2.cause, group=mgus2.sex).to_dict([12, 60])
        )

    def test_json_matches_r_cuminc_timepoints_and_gray(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Estimates, variances (NA after follow-up) and Gray's tests agree with cmprsk on mgus2 by sex."""
        reference = fixture("cmprsk_cuminc_mgus2_sex")
        points = reference["timepoints"]
        got = analyze_json(
            capsys,
            "cuminc",
            "--data",
            MGUS2,
            "--time",
            "time",
            "--cause",
            "cause",
            "--group",
            "sex",
            "--at",
            ",".join(str(t) for t in points["times"]),
        )
        names = [f"{row['group']} {row['cause']}" for row in got["groups"]]
        assert names == [curve["name"] for curve in points["curves"]]
        for row, curve in zip(got["groups"], points["curves"], strict=True):
            assert_close([p["estimate"] for p in row["at"]], curve["est"], where=curve["name"])
            assert_close([p["variance"] for p in row["at"]], curve["var"], where=curve["name"])
        for ours, theirs in zip(got["gray_test"], reference["tests"], strict=True):
            assert_close(
                ours, {"cause": theirs["cause"], "statistic": theirs["stat"], "p_value": theirs["pv"]}
            )

    def test_gray_table_names_the_groups(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The text output's Gray's test lists the group labels (F, M), not their codes."""
        code, out, _ = analyze(capsys, "cuminc", "--data", MGUS2, "--time", "time", "--cause", "cause",
                               "--group", "sex")  # fmt: skip
        assert code == 0
        assert "Gray's test (F, M; rho = 0)" in out


class TestCox:
    def test_json_matches_r_coxph_after_dropping_a_missing_row(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """lung with factor ECOG: the row missing ph_ecog is dropped (said on stderr) and R's fit results."""
        code, out, err = analyze(
            capsys,
            "cox",
            "--data",
            LUNG,
            "--time",
            "time",
            "--event",
            "event",
            "--covariates",
            "age,sex",
            "--categorical",
            "ph_ecog",
            "--json",
        )
        assert code == 0, err
        assert "dropped 1 of 228 rows" in err
        want = fixture("cox_lung_ecog_efron")
        rows = json.loads(out)["coefficients"]
        assert [row["term"] for row in rows] == ["age", "sex", "ph_ecog=1", "ph_ecog=2", "ph_ecog=3"]
        for key, theirs in (
            ("coef", "coef"),
            ("se", "se"),
            ("hr", "exp_coef"),
            ("z", "z"),
            ("p_value", "p_value"),
        ):
            assert_close([row[key] for row in rows], want[theirs], where=key)

    def test_json_equals_the_estimator(self, capsys: pytest.CaptureFixture[str]) -> None:
        """cox --json with Breslow ties and strata prints exactly cox_ph(...).to_dict()."""
        veteran = dataset("veteran")
        got = analyze_json(
            capsys,
            "cox",
            "--data",
            VETERAN,
            "--time",
            "time",
            "--event",
            "event",
            "--covariates",
            "karno,age",
            "--strata",
            "celltype",
            "--ties",
            "breslow",
        )
        design = design_matrix(veteran, ["karno", "age"])
        want = cox_ph(
            veteran.time, veteran.event, design.matrix, design.terms, ties="breslow", strata=veteran.celltype
        )
        assert got == as_json(want.to_dict())


class TestFineGray:
    def test_json_matches_r_crr(self, capsys: pytest.CaptureFixture[str]) -> None:
        """mgus2 (age, sex, hgb; 13 rows missing hgb dropped) agrees with crr to 1e-4."""
        code, out, err = analyze(
            capsys,
            "finegray",
            "--data",
            MGUS2,
            "--time",
            "time",
            "--cause",
            "cause",
            "--covariates",
            "age,sex,hgb",
            "--categorical",
            "sex",
            "--json",
        )
        assert code == 0, err
        assert "dropped 13 of 1384 rows" in err
        want = fixture("cmprsk_crr_mgus2_failcode1")
        rows = json.loads(out)["coefficients"]
        assert [row["term"] for row in rows] == want["terms"]
        assert_close([row["coef"] for row in rows], want["coef"], rtol=1e-4)
        assert_close([row["se"] for row in rows], want["se"], rtol=1e-4)

    def test_json_equals_the_estimator(self, capsys: pytest.CaptureFixture[str]) -> None:
        """finegray --json --failcode 2 prints exactly fine_gray(...).to_dict()."""
        mgus2 = dataset("mgus2").dropna(subset=["age", "hgb"]).reset_index(drop=True)
        got = analyze_json(
            capsys,
            "finegray",
            "--data",
            MGUS2,
            "--time",
            "time",
            "--cause",
            "cause",
            "--covariates",
            "age,hgb",
            "--failcode",
            "2",
        )
        want = fine_gray(
            mgus2.time, mgus2.cause, mgus2[["age", "hgb"]].to_numpy(), ["age", "hgb"], failcode=2
        )
        assert got == as_json(want.to_dict())


class TestOtherAnalyses:
    def test_rmst_json_equals_the_estimator_and_r(self, capsys: pytest.CaptureFixture[str]) -> None:
        """rmst --tau 365 on lung by sex is restricted_mean(...) and R's rmean."""
        lung = dataset("lung")
        got = analyze_json(
            capsys,
            "rmst",
            "--data",
            LUNG,
            "--time",
            "time",
            "--event",
            "event",
            "--group",
            "sex",
            "--tau",
            "365",
        )
        assert got == as_json(restricted_mean(lung.time, lung.event, tau=365, group=lung.sex).to_dict())
        want = next(r for r in fixture("km_rmean") if r["data"] == "lung" and r["tau"] == 365)
        assert_close([g["rmean"] for g in got["groups"]], want["rmean"])

    def test_landmark_json_equals_the_estimator(self, capsys: pytest.CaptureFixture[str]) -> None:
        """landmark --landmark 180 prints exactly landmark(...).to_dict(at)."""
        lung = dataset("lung")
        got = analyze_json(
            capsys,
            "landmark",
            "--data",
            LUNG,
            "--time",
            "time",
            "--event",
            "event",
            "--group",
            "sex",
            "--landmark",
            "180",
            "--at",
            "90,365",
        )
        want = landmark(lung.time, lung.event, lung.sex, landmark_time=180).to_dict([90, 365])
        assert got == as_json(want)

    def test_km_strata_equal_logrank_test(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The stratified km test is logrank_test(..., strata=...) on the same rows."""
        veteran = dataset("veteran")
        got = analyze_json(
            capsys,
            "km",
            "--data",
            VETERAN,
            "--time",
            "time",
            "--event",
            "event",
            "--group",
            "celltype",
            "--strata",
            "trt",
        )
        want = logrank_test(veteran.time, veteran.event, veteran.celltype, strata=veteran.trt)
        assert got["logrank"]["statistic"] == want.statistic


COHORT = "t,e,c,g,x,y,z,k,one\n1,1,1,a,1,2,5,u,s\n2,0,0,b,2,4,3,v,s\n3,1,2,a,3,6,4,u,s\n4,1,1,b,4,8,1,v,s\n"


def bad_cohort(tmp_path: Path, text: str = COHORT, name: str = "cohort.csv") -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


KM = ("km", "--time", "t", "--event", "e")
COX = ("cox", "--time", "t", "--event", "e")
CUMINC = ("cuminc", "--time", "t", "--cause", "c")


def bad(case: str, args: tuple[str, ...], field: str, text: str = COHORT, name: str = "c.csv") -> Any:
    """One bad-input case: the command line, the field its message must name, the file's text and name."""
    return pytest.param(args, field, text, name, id=case)


BAD_INPUT = [
    bad("missing column", ("km", "--time", "tt", "--event", "e"), "--time tt"),
    bad("negative times", KM, "--time t", "t,e\n-1,1\n2,0\n"),
    bad("non-numeric time", KM, "--time t", "t,e\nsoon,1\n2,0\n"),
    bad("event code 2", KM, "--event e", "t,e\n1,2\n2,0\n"),
    bad("undeclared cause", (*CUMINC, "--causes", "1"), "--cause c"),
    bad("negative cause", CUMINC, "--cause c", "t,c\n1,-1\n2,1\n"),
    bad("no rows left", KM, "--data", "t,e\n1,\n,0\n"),
    bad("header only", KM, "--data", "t,e\n"),
    bad("unknown format", KM, "--data", name="c.xlsx"),
    bad("unreadable parquet", KM, "--data", name="c.parquet"),
    bad("collinear design", (*COX, "--covariates", "x,y"), "--covariates y"),
    bad("single-level factor", (*COX, "--categorical", "one"), "--categorical one"),
    bad("text covariate", (*COX, "--covariates", "k"), "--covariates k"),
    bad("no covariates", COX, "--covariates"),
    bad("cox no events", (*COX, "--covariates", "x"), "--event e", "t,e,x\n1,0,1\n2,0,2\n3,0,5\n"),
    bad("cuminc no events", CUMINC, "--cause c", "t,c\n1,0\n2,0\n"),
    bad(
        "failcode absent",
        ("finegray", "--time", "t", "--cause", "c", "--covariates", "x", "--failcode", "3"),
        "--cause c",
    ),
    bad("bad --at", (*KM, "--at", "1,later"), "--at"),
    bad("bad --ties", (*COX, "--covariates", "x", "--ties", "exact"), "--ties"),
    bad("bad --conf-type", (*KM, "--conf-type", "logit"), "--conf-type"),
    bad("strata without group", (*KM, "--strata", "g"), "--strata"),
    bad("entry after time", (*KM, "--entry", "z"), "--entry z"),
    bad("tau not positive", ("rmst", "--time", "t", "--event", "e", "--tau", "0"), "--tau"),
]


class TestBadInput:
    @pytest.mark.parametrize(("args", "field", "text", "name"), BAD_INPUT)
    def test_exits_2_naming_the_field(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        args: tuple[str, ...],
        field: str,
        text: str,
        name: str,
    ) -> None:
        """Each kind of bad input exits with status 2 and a message naming the option or column."""
        path = bad_cohort(tmp_path, text, name)
        code, out, err = analyze(capsys, *args, "--data", path)
        assert code == 2
        assert f"  {field}: " in err
        assert "Traceback" not in err + out
        assert out == ""

    def test_missing_file_is_named(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A file that does not exist is named with --data."""
        code, _, err = analyze(
            capsys, "km", "--data", str(tmp_path / "absent.csv"), "--time", "t", "--event", "e"
        )
        assert code == 2
        assert "absent.csv" in err
        assert "--data: no such file" in err

    def test_missing_column_lists_the_available_ones(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A misspelt column is named and the file's columns are listed."""
        code, _, err = analyze(capsys, "km", "--data", bad_cohort(tmp_path), "--time", "time", "--event", "e")
        assert code == 2
        assert "column 'time' is not in the file (columns: t, e, c, g, x, y, z, k, one)" in err

    def test_all_column_problems_come_at_once(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """Negative times and a bad event code are both reported in one run."""
        path = bad_cohort(tmp_path, "t,e\n-1,1\n2,2\n")
        code, _, err = analyze(capsys, "km", "--data", path, "--time", "t", "--event", "e")
        assert code == 2
        assert "--time t: 1 value(s) are negative" in err
        assert "--event e: codes [2] are outside the declared set [0, 1]" in err


class TestMissingValues:
    def test_no_drop_note_when_rows_are_complete(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A complete cohort prints nothing on stderr."""
        code, _, err = analyze(capsys, "km", "--data", LUNG, "--time", "time", "--event", "event", "--json")
        assert code == 0
        assert err == ""

    def test_dropped_rows_are_counted_per_column(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """Rows missing the time or the group are dropped, and stderr says how many per column."""
        path = bad_cohort(tmp_path, "t,e,g\n1,1,a\n,0,b\n3,1,\n4,0,b\n5,1,a\n")
        code, out, err = analyze(
            capsys, "km", "--data", path, "--time", "t", "--event", "e", "--group", "g", "--json"
        )
        assert code == 0
        assert "dropped 2 of 5 rows with a missing value (t: 1, g: 1)" in err
        assert [g["n"] for g in json.loads(out)["groups"]] == [2, 1]

    def test_km_without_events_warns(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A km run with no event at all still answers but says so on stderr."""
        path = bad_cohort(tmp_path, "t,e\n1,0\n2,0\n")
        code, _, err = analyze(capsys, "km", "--data", path, "--time", "t", "--event", "e")
        assert code == 0
        assert "has no events" in err


class TestInstalledCommand:
    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "remission", "analyze", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
            check=False,
        )

    def test_json_from_the_command(self) -> None:
        """``python -m remission analyze km --json`` prints the groups and exits 0."""
        result = self.run(
            "km", "--data", LUNG, "--time", "time", "--event", "event", "--group", "sex", "--json"
        )
        assert result.returncode == 0, result.stderr
        assert [g["group"] for g in json.loads(result.stdout)["groups"]] == ["1", "2"]

    def test_bad_input_from_the_command(self) -> None:
        """The command exits 2 naming the field, without a traceback, for an event coded 1/2."""
        result = self.run("km", "--data", LUNG, "--time", "time", "--event", "sex")
        assert result.returncode == 2
        assert "--event sex: codes [2] are outside the declared set [0, 1]" in result.stderr
        assert "Traceback" not in result.stderr


class TestEstimatorBugs:
    def test_gray_test_of_cumulative_incidence_keeps_the_group_labels(self) -> None:
        """The Gray test attached by cumulative_incidence names the groups by label, as the curves do."""
        mgus2 = dataset("mgus2")
        result = cumulative_incidence(mgus2.time, mgus2.cause, group=mgus2.sex)
        assert result.gray_test is not None
        assert result.gray_test.groups == result.groups
