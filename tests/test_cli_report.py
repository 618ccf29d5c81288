"""``remission report`` run in-process through the entry point, on the demo database (``remission demo``)
and on bad input.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from tests.support.cli import run_cli

from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.report.estimates import incidence_limits
from stats.report.helpers import html_tables, shown

REPO = Path(__file__).resolve().parents[1]
YEARS = [3 * 365.25, 4 * 365.25, 5 * 365.25]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database loaded by ``remission demo`` (examples and the synthetic cohort)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    result = run("demo", "--database", url)
    assert result.returncode == 0, result.stderr
    return url


@pytest.fixture(scope="module")
def written(
    demo: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The report of the demo database (directory and the finished process)."""
    out = tmp_path_factory.mktemp("report")
    return out, run("report", "--database", demo, "--out", str(out), "--as-of", "2026-01-31")


def dataset(out: Path) -> pd.DataFrame:
    return pq.read_table(out / "endpoints.parquet").to_pandas()


class TestDemoReport:
    def test_the_report_writes_html_pdf_json_and_the_dataset(self, written):
        """Exit 0, and report.html, report.pdf, report.json and endpoints.parquet exist in --out."""
        out, result = written
        assert result.returncode == 0, result.stderr
        names = sorted(p.name for p in out.iterdir())
        assert names == ["endpoints.parquet", "report.html", "report.json", "report.pdf"]
        assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")

    def test_progress_is_reported_on_stderr_step_by_step(self, written):
        """Each step prints a numbered line on stderr; stdout lists the files written."""
        _, result = written
        assert re.findall(r"\[(\d)/5\]", result.stderr) == ["1", "2", "3", "4", "5"]
        assert "report.html" in result.stdout

    def test_the_html_shows_the_numbers_of_the_written_dataset(self, written):
        """EFS by risk group in the HTML equals survfit on endpoints.parquet (final groups, enrolled)."""
        out, _ = written
        data = dataset(out)
        data = data[data.protocol_id.notna() & data.risk_group.isin(["LR", "IR", "HR"])]
        fit = kaplan_meier(data.efs_time_days, data.efs_event, group=data.risk_group)
        tables, _ = html_tables((out / "report.html").read_text("utf-8"))
        body = tables["table-efs_by_risk_group"]
        for curve in fit.curves:
            (row,) = [r for r in body if r[0] == curve.group]
            cells = [
                shown(p["survival"], p["std_err"], p["lower"], p["upper"]) if p["n_risk"] else "not estimable"
                for p in curve.at(YEARS)
            ]
            assert row == [curve.group, str(curve.n), str(curve.events), *cells]

    def test_the_relapse_incidence_is_reproducible_from_the_dataset(self, written):
        """The pooled relapse row equals cuminc on endpoints.parquet (enrolled patients)."""
        out, _ = written
        data = dataset(out)
        data = data[data.protocol_id.notna()]
        fit = cumulative_incidence(data.relapse_time_days, data.relapse_cause)
        tables, _ = html_tables((out / "report.html").read_text("utf-8"))
        row = tables["table-relapse_incidence"][1]
        points = fit.curve("all", 1).at(YEARS)
        assert row[1] == "relapse"
        std_errs = [np.sqrt(p["variance"]) for p in points]
        assert row[4:] == [
            shown(p["estimate"], se, *incidence_limits(p["estimate"], se))
            for p, se in zip(points, std_errs, strict=True)
        ]

    def test_os_after_relapse_by_age_is_reproducible_from_the_dataset(self, written):
        """OS after relapse by age in the HTML equals survfit on the relapsed, enrolled rows."""
        out, _ = written
        data = dataset(out)
        data = data[data.protocol_id.notna() & data.relapse_site.notna()]
        age = np.where(data.age_under_6_months.astype(bool), "< 6 months", "≥ 6 months")
        fit = kaplan_meier(data.os_after_relapse_time_days, data.os_after_relapse_event, group=age)
        tables, _ = html_tables((out / "report.html").read_text("utf-8"))
        body = tables["table-os_after_relapse_by_age"]
        for curve in fit.curves:
            (row,) = [r for r in body if r[0] == curve.group]
            assert row[1:3] == [str(curve.n), str(curve.events)]

    def test_the_synthetic_patients_are_labelled_in_the_report(self, written):
        """The report says how many patients are synthetic demo data."""
        out, _ = written
        synthetic = int(dataset(out).patient_key.str.startswith("SYN-").sum())
        assert synthetic > 0
        assert f"{synthetic} patients (SYN-…) are SYNTHETIC demo data" in (out / "report.html").read_text(
            "utf-8"
        )

    def test_the_data_cut_limits_the_dataset(self, written):
        """With --as-of 2026-01-31 the dataset records the cut and nothing after it."""
        out, _ = written
        table = pq.read_table(out / "endpoints.parquet")
        assert table.schema.metadata[b"data_cut"] == b"2026-01-31"
        assert "Data cut (as-of)" in (out / "report.html").read_text("utf-8")

    def test_the_export_is_in_the_audit_trail_and_the_trail_holds(self, demo, written):
        """The report's dataset export is logged (entity endpoint_dataset) and `audit verify` passes."""
        out, _ = written
        with sqlite3.connect(demo.removeprefix("sqlite:///")) as connection:
            notes = [
                row[0]
                for row in connection.execute(
                    "select new_value from audit_entries"
                    " where action = 'export' and entity = 'endpoint_dataset'"
                )
            ]
        assert any(
            f"path={(out / 'endpoints.parquet').resolve()}" in note and "purpose=report" in note
            for note in notes
        )
        verified = run("audit", "verify", "--database", demo)
        assert verified.returncode == 0, verified.stdout + verified.stderr


def report_json(out: Path) -> dict:
    return json.loads((out / "report.json").read_text("utf-8"))


class TestDemoReportTables:
    def test_the_flow_agrees_with_the_endpoint_dataset(self, written):
        """Registered = rows of the dataset, enrolled = rows with a protocol, arms = final risk groups."""
        out, _ = written
        data = dataset(out)
        flow = report_json(out)["flow"]
        steps = {step["step"]: step for step in flow["steps"]}
        assert steps["Registered"]["count"] == len(data)
        assert steps["Enrolled"]["count"] == int(data.protocol_id.notna().sum())
        pending = int((data.risk_group == "pending").sum())
        assert steps["Enrolled"]["lost"][0]["count"] == pending > 0
        assert steps["Stratified"]["count"] == int(data.protocol_id.notna().sum()) - pending
        groups = data.risk_group.value_counts()
        assert flow["arms"] == [{"arm": f"{g}-arm", "count": int(groups[g])} for g in ("LR", "IR", "HR")]

    def test_every_screened_patient_not_enrolled_is_lost_with_a_reason(self, written):
        """Screened − eligible = not eligible + needs review; the demo's examples give both."""
        out, _ = written
        steps = {step["step"]: step for step in report_json(out)["flow"]["steps"]}
        lost = {loss["reason"].split(" (")[0]: loss for loss in steps["Screened"]["lost"]}
        assert lost["not eligible"]["count"] > 0
        assert lost["needs review"]["count"] > 0
        assert steps["Screened"]["count"] - steps["Eligible"]["count"] == sum(
            loss["count"] for loss in lost.values()
        )
        assert sum(lost["not eligible"]["detail"].values()) >= lost["not eligible"]["count"]

    def test_adverse_events_count_each_patient_once_per_term_at_the_worst_grade(self, demo, written):
        """The table equals SQL on the database: worst grade per enrolled patient and term, by arm."""
        out, _ = written
        with sqlite3.connect(demo.removeprefix("sqlite:///")) as connection:
            worst = connection.execute(
                """
                select ae.term, coalesce(ra.arm, 'no arm yet (risk group pending)'), max(ae.grade)
                from adverse_events ae
                join enrollments e on e.patient_id = ae.patient_id and e.enrolled_on <= '2026-01-31'
                left join risk_assignments ra on ra.id = (
                    select max(id) from risk_assignments r where r.patient_id = ae.patient_id)
                where ae.onset_date <= '2026-01-31'
                group by ae.patient_id, ae.term
                """
            ).fetchall()
        expected: dict[tuple[str, str, int], int] = {}
        for term, arm, grade in worst:
            expected[term, arm, grade] = expected.get((term, arm, grade), 0) + 1
        table = report_json(out)["adverse_events"]
        got = {
            (row["term"], row["arm"], int(grade)): n
            for row in table["rows"]
            for grade, n in row["worst_grade"].items()
            if n
        }
        assert got == expected
        assert sum(expected.values()) > 0
        assert table["terminologies"] == ["CTCAE v5.0"]
        for row in table["rows"]:
            assert row["grade_3_or_more"] == sum(row["worst_grade"][g] for g in ("3", "4", "5"))

    def test_the_baseline_columns_count_the_enrolled_patients_by_group(self, written):
        """n per risk-group column is the dataset's enrolled patients in that group; pending has its own."""
        out, _ = written
        data = dataset(out)
        enrolled = data[data.protocol_id.notna()]
        baseline = report_json(out)["baseline"]
        assert baseline["columns"] == ["LR", "IR", "HR", "Pending (no final risk group yet)", "Total"]
        n = next(row for row in baseline["rows"] if row["variable"] == "n")["values"]
        counts = enrolled.risk_group.value_counts()
        assert n == [int(counts[g]) for g in ("LR", "IR", "HR", "pending")] + [len(enrolled)]

    def test_the_html_and_pdf_hold_the_three_tables(self, written):
        """The HTML has the flow (figure and table), baseline and adverse-event tables; the PDF, pages."""
        out, _ = written
        tables, _ = html_tables((out / "report.html").read_text("utf-8"))
        assert {"table-study-flow", "table-baseline", "table-adverse-events"} <= set(tables)
        html = (out / "report.html").read_text("utf-8")
        assert 'alt="Study flow of NCT06516679: registered' in html
        pdf = (out / "report.pdf").read_bytes()
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1 + 3 + 10

    def test_the_tables_read_is_in_the_audit_trail(self, demo, written):
        """Reading the flow and adverse events writes an export entry (entity report_tables)."""
        with sqlite3.connect(demo.removeprefix("sqlite:///")) as connection:
            notes = [
                row[0]
                for row in connection.execute(
                    "select new_value from audit_entries where action = 'export' and entity = 'report_tables'"
                )
            ]
        assert any("protocol=NCT06516679" in note and "as_of=2026-01-31" in note for note in notes)


class TestDemoCohort:
    def test_the_cohort_has_every_kind_of_outcome_the_report_analyses(self, written):
        """Risk groups, relapses, deaths in remission, relapse before/after HSCT and second HSCTs occur."""
        out, _ = written
        data = dataset(out)
        synthetic = data[data.patient_key.str.startswith("SYN-")]
        assert set(synthetic.risk_group) >= {"LR", "IR", "HR"}
        assert set(synthetic.relapse_cause.dropna()) == {0, 1, 2}
        assert set(synthetic.relapse_timing.dropna()) == {"before HSCT", "after HSCT", "no HSCT"}
        assert (synthetic.hsct_count == 2).any()
        assert set(synthetic.remission_before_second_hsct.dropna()) == {True, False}
        assert set(synthetic.age_under_6_months.dropna()) == {True, False}
        assert set(synthetic.site) == {"SYN-A", "SYN-B", "SYN-C"}

    def test_a_second_demo_run_adds_no_synthetic_patient(self, demo):
        """Running the demo again leaves the synthetic cohort as it was (no duplicates)."""
        path = demo.removeprefix("sqlite:///")

        def counts() -> tuple[int, int]:
            with sqlite3.connect(path) as connection:
                patients = connection.execute("select count(*) from patients where study_id like 'SYN-%'")
                audit = connection.execute("select count(*) from audit_entries where action != 'export'")
                return patients.fetchone()[0], audit.fetchone()[0]

        before = counts()
        assert run("demo", "--database", demo).returncode == 0
        assert counts() == before


class TestBadInput:
    def test_an_unknown_database_file_exits_2(self, tmp_path: Path):
        """A SQLite URL whose file does not exist is refused, and no file is created."""
        missing = tmp_path / "missing.sqlite"
        result = run("report", "--database", f"sqlite:///{missing}", "--out", str(tmp_path / "out"))
        assert result.returncode == 2
        assert "no database file there" in result.stderr
        assert not missing.exists()

    def test_out_naming_a_file_exits_2(self, demo: str, tmp_path: Path):
        """--out must be a directory; a file is refused with exit 2."""
        target = tmp_path / "report.html"
        target.write_text("keep me")
        result = run("report", "--database", demo, "--out", str(target))
        assert result.returncode == 2
        assert "is a file" in result.stderr
        assert target.read_text() == "keep me"

    def test_an_empty_study_exits_2(self, tmp_path: Path):
        """A migrated database without enrolled patients has nothing to report: exit 2, no dataset file."""
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
        assert run("db", "upgrade", "--database", url).returncode == 0
        result = run("report", "--database", url, "--out", str(tmp_path / "out"))
        assert result.returncode == 2
        assert "no enrolled patients" in result.stderr
        assert not (tmp_path / "out" / "endpoints.parquet").exists()

    def test_a_file_that_is_not_a_study_database_exits_2(self, tmp_path: Path):
        """A SQLite file without the remission schema is refused with exit 2 and a hint."""
        path = tmp_path / "other.sqlite"
        with sqlite3.connect(path) as connection:
            connection.execute("create table notes (text varchar)")
        result = run("report", "--database", f"sqlite:///{path}", "--out", str(tmp_path / "out"))
        assert result.returncode == 2
        assert "db upgrade" in result.stderr

    @pytest.mark.parametrize(
        ("option", "value", "message"),
        [("--format", "docx", "html, pdf"), ("--as-of", "31/01/2026", "YYYY-MM-DD")],
    )
    def test_bad_options_exit_2(self, demo: str, tmp_path: Path, option: str, value: str, message: str):
        """An unknown format or a malformed date exits 2 naming the option."""
        result = run("report", "--database", demo, "--out", str(tmp_path), option, value)
        assert result.returncode == 2
        assert option in result.stderr
        assert message in result.stderr
