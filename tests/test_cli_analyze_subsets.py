"""`remission analyze --where` and `--plot`: R's numbers on the same subsets (R/where.R), and figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.analyze_cli import LUNG, MGUS2, analyze, analyze_json

from stats.r_reference import assert_close, fixture


class TestWhere:
    """``--where`` keeps the rows R's subset keeps; the numbers are R's on that subset (R/where.R)."""

    def test_km_on_a_numeric_subset_matches_r(self, capsys: pytest.CaptureFixture[str]) -> None:
        reference = fixture("where_subsets")["lung"]
        args = ("km", "--data", LUNG, "--time", "time", "--event", "event", "--group", "sex")
        where = ("--where", "ph_ecog <= 1", "--where", "age>=50")
        code, _, err = analyze(capsys, *args, *where)
        assert code == 0, err
        assert f"kept {reference['n']} of " in err
        assert "where ph_ecog <= 1 and age >= 50" in err
        result = analyze_json(capsys, *args, *where)
        assert_close(result["logrank"]["statistic"], reference["chisq"], rtol=1e-10, where="chisq")
        assert [group["events"] for group in result["groups"]] == reference["observed"]
        assert [group["median"] for group in result["groups"]] == reference["medians"]
        assert sum(group["n"] for group in result["groups"]) == reference["n"]

    def test_cuminc_on_a_text_and_numeric_subset_matches_r(self, capsys: pytest.CaptureFixture[str]) -> None:
        reference = fixture("where_subsets")["mgus2_old"]
        result = analyze_json(
            capsys,
            *("cuminc", "--data", MGUS2, "--time", "time", "--cause", "cause", "--group", "sex"),
            *("--where", "age >= 70", "--where", "sex != 'X'"),
        )
        tests = result["gray_test"]
        assert_close([t["statistic"] for t in tests], reference["gray_statistic"], rtol=1e-9, where="gray")
        assert_close([t["p_value"] for t in tests], reference["gray_p"], rtol=1e-7, where="gray p")

    @pytest.mark.parametrize(
        ("where", "words"),
        [
            ("sex = male", "sex holds numbers: compare it with a number"),
            ("age", "expected COLUMN OP VALUE"),
            ("nosuch = 1", "column 'nosuch' is not in the file"),
            ("age > 1000", "no complete row satisfies age > 1000"),
        ],
    )
    def test_a_bad_condition_is_refused_by_name(
        self, capsys: pytest.CaptureFixture[str], where: str, words: str
    ) -> None:
        code, out, err = analyze(
            capsys, "km", "--data", LUNG, "--time", "time", "--event", "event", "--where", where
        )
        assert code == 2
        assert out == ""
        assert words in err
        assert "Traceback" not in err

    def test_text_columns_take_only_equality(self, capsys: pytest.CaptureFixture[str]) -> None:
        args = ("cuminc", "--data", MGUS2, "--time", "time", "--cause", "cause", "--where", "sex > F")
        code, _, err = analyze(capsys, *args)
        assert code == 2
        assert "sex holds text: use = or !=" in err


class TestPlot:
    @pytest.mark.parametrize("kind", ["png", "svg"])
    def test_km_and_cuminc_draw_the_curves(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
    ) -> None:
        km_file, ci_file = tmp_path / f"km.{kind}", tmp_path / f"ci.{kind}"
        code, _, err = analyze(
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
            "--plot",
            str(km_file),
        )
        assert code == 0, err
        code, _, err = analyze(
            capsys,
            *("cuminc", "--data", MGUS2, "--time", "time", "--cause", "cause", "--group", "sex"),
            *("--plot", str(ci_file)),
        )
        assert code == 0, err
        for path in (km_file, ci_file):
            content = path.read_bytes()
            assert content.startswith(b"\x89PNG") if kind == "png" else b"<svg" in content[:500]
        if kind == "svg":
            text = km_file.read_text()
            assert "Number at risk" in text
            assert "Time (time, in the file" in text

    def test_an_unknown_ending_is_refused_before_the_analysis(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        target = tmp_path / "km.pdf"
        code, _, err = analyze(
            capsys, "km", "--data", LUNG, "--time", "time", "--event", "event", "--plot", str(target)
        )
        assert code == 2
        assert "give a file ending in .png or .svg" in err
        assert not target.exists()
