"""The HTML and PDF writers: the tables show the estimators' numbers; the file stands alone."""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from remission.stats.cumulative_incidence import cumulative_incidence
from remission.stats.kaplan_meier import kaplan_meier
from remission.stats.plots import tick_times
from remission.stats.report import ANALYSES, NOT_ESTIMABLE, YEAR_DAYS, build_report, render_html, write_pdf
from remission.stats.report.estimates import incidence_limits
from stats.report.helpers import endpoint_frame, html_tables, shown

CUT = date(2026, 6, 30)
TIMES = [3 * YEAR_DAYS, 4 * YEAR_DAYS, 5 * YEAR_DAYS]


def rendered(frame=None, **options) -> str:
    return render_html(build_report(endpoint_frame() if frame is None else frame, as_of=CUT, **options))


@pytest.fixture(scope="module")
def document() -> str:
    """The report of the default test frame, rendered once for the tests that only read it."""
    return rendered()


class TestHtmlTables:
    def test_survival_rows_show_the_kaplan_meier_estimates(self, document):
        """Each risk-group row of the OS table prints n, events and survfit's estimate ± SE per year."""
        frame = endpoint_frame()
        tables, _ = html_tables(document)
        body = tables["table-os_by_risk_group"]
        assert body[0] == ["Group", "n", "Events", "3 years", "4 years", "5 years"]
        fit = kaplan_meier(frame.os_time_days, frame.os_event, group=frame.risk_group)
        for curve in fit.curves:
            (row,) = [r for r in body if r[0] == curve.group]
            cells = [shown(p["survival"], p["std_err"], p["lower"], p["upper"]) for p in curve.at(TIMES)]
            assert row == [curve.group, str(curve.n), str(curve.events), *cells]

    def test_incidence_rows_show_the_cuminc_estimates(self, document):
        """Each group × cause row of the relapse table prints cuminc's estimate ± sqrt(variance)."""
        frame = endpoint_frame()
        tables, _ = html_tables(document)
        body = tables["table-relapse_incidence_by_risk_group"]
        fit = cumulative_incidence(frame.relapse_time_days, frame.relapse_cause, group=frame.risk_group)
        names = {1: "relapse", 2: "death in remission"}
        for g, group in enumerate(fit.groups):
            for c, code in enumerate(fit.causes):
                (row,) = [r for r in body if r[:2] == [group, names[code]]]
                cells = [
                    shown(
                        p["estimate"],
                        np.sqrt(p["variance"]),
                        *incidence_limits(p["estimate"], np.sqrt(p["variance"])),
                    )
                    for p in fit.curve(group, code).at(TIMES)
                ]
                assert row[2:] == [str(fit.subjects[g]), str(fit.events[g][c]), *cells]

    def test_the_test_line_follows_the_table(self, document):
        """The table footer states the log-rank p-value of the same fit."""
        frame = endpoint_frame()
        tables, _ = html_tables(document)
        p = kaplan_meier(frame.efs_time_days, frame.efs_event, group=frame.risk_group).logrank.p_value
        footer = tables["table-efs_by_risk_group"][-1][0]
        assert footer.startswith("Log-rank test")
        assert footer.endswith("p < 0.001" if p < 0.001 else f"p = {p:.3f}")

    def test_a_small_group_prints_not_estimable(self):
        """A group below the minimum size prints "not estimable" in every year column."""
        frame = endpoint_frame()
        frame.loc[frame.index[:3], "risk_group"] = "tiny"
        tables, _ = html_tables(rendered(frame))
        (row,) = [r for r in tables["table-efs_by_risk_group"] if r[0] == "tiny"]
        assert row[1:] == ["3", str(int(frame.efs_event[:3].sum())), *[NOT_ESTIMABLE] * 3]

    def test_the_number_at_risk_table_is_the_kaplan_meier_n_risk(self, document):
        """The plot's number-at-risk table, repeated as HTML, holds the KM n_risk at every whole year."""
        frame = endpoint_frame()
        tables, _ = html_tables(document)
        fit = kaplan_meier(frame.os_time_days, frame.os_event, group=frame.risk_group)
        ticks = tick_times(float(frame.os_time_days.max()), YEAR_DAYS)
        body = tables["at-risk-os_by_risk_group"][1:]
        assert body == [[c.group, *(str(p["n_risk"]) for p in c.at(ticks))] for c in fit.curves]


class TestHtmlDocument:
    def test_every_analysis_has_a_section_with_its_definitions(self, document):
        """Each analysis title appears with its origin, endpoint, censoring rule and the data cut."""
        for definition in ANALYSES:
            section = document.split(f'id="{definition.key}"', 1)[1].split("</section>", 1)[0]
            for text in (definition.title, definition.origin, definition.endpoint, definition.censoring):
                assert text in section
            assert CUT.isoformat() in section

    def test_plots_are_embedded_svg_and_nothing_is_fetched(self, document):
        """Every image is an inline SVG data URI; the page links to no outside resource."""
        _, images = html_tables(document)
        assert len(images) == len(ANALYSES)
        for source in images:
            prefix = "data:image/svg+xml;base64,"
            assert source.startswith(prefix)
            assert b"<svg" in base64.b64decode(source.removeprefix(prefix))
        assert not re.search(r'(src|href)="(https?:)?//', document)

    def test_images_have_text_alternatives(self, document):
        """Every image carries a non-empty alt text and every table a caption."""
        assert len(re.findall(r'<img [^>]*alt="[^"]+"', document)) == len(ANALYSES)
        assert document.count("<table") == document.count("<caption>")

    def test_the_year_length_is_stated(self, document):
        """The report says a year is 365.25 days and gives the days of each time point."""
        assert "A year is 365.25 days" in document
        assert "3 years = day 1095.75" in document

    def test_notes_are_escaped(self):
        """Notes are printed as text, never as markup."""
        document = rendered(notes=["<script>alert(1)</script>"])
        assert "<script>" not in document
        assert "&lt;script&gt;" in document


class TestPdf:
    def test_the_pdf_has_a_title_page_and_a_page_per_analysis(self, tmp_path: Path):
        """The PDF starts with the PDF signature and has 1 + one page per analysis."""
        path = write_pdf(build_report(endpoint_frame(), as_of=CUT), tmp_path / "report.pdf")
        content = path.read_bytes()
        assert content.startswith(b"%PDF-")
        assert len(re.findall(rb"/Type /Page\b(?!s)", content)) == 1 + len(ANALYSES)


def _incidence_cell(point: dict) -> str:
    std_err = np.sqrt(point["variance"])
    return shown(point["estimate"], std_err, *incidence_limits(point["estimate"], std_err))
