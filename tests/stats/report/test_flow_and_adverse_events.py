"""The study flow and the adverse-event table counted from hand-written per-patient rows."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from remission.stats.report import build_report, write_json
from remission.stats.report.adverse_events import NO_ARM_YET, adverse_event_table
from remission.stats.report.baseline import BASELINE_COLUMNS
from remission.stats.report.consort import study_flow
from remission.stats.report.flow_figure import flow_alt_text, flow_svg_uri
from remission.stats.report.pdf_tables import adverse_event_pages
from stats.report.helpers import baseline_frame, endpoint_frame

ARMS = ("LR-arm", "IR-arm", "HR-arm")


def flow_rows() -> pd.DataFrame:
    """Eight children: one without a diagnosis, two not eligible (one failing two criteria), one
    needing review, one eligible but not enrolled, one pending, three stratified (LR, HR, HR)."""
    rows = [
        ("P1", False, None, [], False, None, None),
        ("P2", True, "not eligible", ["incl-age", "excl-syndromes"], False, None, None),
        ("P3", True, "not eligible", ["incl-age"], False, None, None),
        ("P4", True, "needs review", [], False, None, None),
        ("P5", True, "eligible", [], False, None, None),
        ("P6", True, "eligible", [], True, "pending", None),
        ("P7", True, "eligible", [], True, "LR", "LR-arm"),
        ("P8", True, "eligible", [], True, "HR", "HR-arm"),
        ("P9", True, "eligible", [], True, "HR", "HR-arm"),
    ]
    columns = ["patient_key", "screened", "verdict", "failing", "enrolled", "risk_group", "arm"]
    return pd.DataFrame(rows, columns=columns)


class TestStudyFlow:
    def test_each_step_counts_who_reached_it(self):
        """Registered 9, screened 8, eligible 5, enrolled 4, stratified 3."""
        flow = study_flow(flow_rows(), protocol_id="P", arm_order=ARMS)
        assert [(s.label, s.count) for s in flow.steps] == [
            ("Registered", 9),
            ("Screened", 8),
            ("Eligible", 5),
            ("Enrolled", 4),
            ("Stratified", 3),
        ]

    def test_losses_give_reasons_and_failing_criteria(self):
        """2 not eligible (incl-age twice, excl-syndromes once), 1 needs review, 1 not enrolled, 1 pending."""
        flow = study_flow(flow_rows(), protocol_id="P", arm_order=ARMS)
        screened = flow.step("Screened").lost
        assert [loss.count for loss in screened] == [2, 1]
        assert screened[0].detail == (("incl-age", 2), ("excl-syndromes", 1))
        assert flow.step("Registered").lost[0].count == 1
        assert flow.step("Eligible").lost[0].count == 1
        assert flow.step("Enrolled").lost[0].count == 1

    def test_arms_follow_the_protocol_order_even_when_empty(self):
        """LR 1, IR 0, HR 2, in the protocol's order."""
        flow = study_flow(flow_rows(), protocol_id="P", arm_order=ARMS)
        assert flow.arms == (("LR-arm", 1), ("IR-arm", 0), ("HR-arm", 2))

    def test_the_figure_is_svg_and_its_text_alternative_has_the_counts(self):
        """The figure is an SVG data URI; its alt text names every step and arm count."""
        flow = study_flow(flow_rows(), protocol_id="P", arm_order=ARMS)
        assert flow_svg_uri(flow).startswith("data:image/svg+xml;base64,")
        assert flow_alt_text(flow) == (
            "Study flow of P: registered 9, screened 8, eligible 5, enrolled 4, stratified 3; "
            "by arm: LR-arm 1, IR-arm 0, HR-arm 2. The table below gives the losses and reasons."
        )


class TestAdverseEvents:
    def events(self) -> pd.DataFrame:
        rows = [
            ("P7", "CTCAE v5.0", "Sepsis", 2),
            ("P7", "CTCAE v5.0", "Sepsis", 4),  # worst grade 4: counted once, at 4
            ("P7", "CTCAE v5.0", "Febrile neutropenia", 3),
            ("P8", "CTCAE v5.0", "Sepsis", 1),
            ("P9", "CTCAE v5.0", "Sepsis", 5),
            ("P9", "CTCAE v6.0", "Sepsis", 3),  # another terminology version: its own row
            ("P6", "CTCAE v5.0", "Sepsis", 3),  # pending: no arm yet
            ("P5", "CTCAE v5.0", "Sepsis", 3),  # not enrolled: not counted
        ]
        return pd.DataFrame(rows, columns=["patient_key", "terminology", "term", "grade"])

    def test_patients_are_counted_once_per_term_at_their_worst_grade(self):
        """LR: one sepsis at grade 4; HR: grades 1 and 5; pending: grade 3; P5 (not enrolled) nowhere."""
        table = adverse_event_table(self.events(), flow_rows(), arm_order=ARMS)
        sepsis = {
            row.arm: row for row in table.rows if row.term == "Sepsis" and row.terminology == "CTCAE v5.0"
        }
        assert sepsis["LR-arm"].by_grade == (0, 0, 0, 1, 0)
        assert sepsis["HR-arm"].by_grade == (1, 0, 0, 0, 1)
        assert sepsis["HR-arm"].grade_3_or_more == 1
        assert sepsis[NO_ARM_YET].by_grade == (0, 0, 1, 0, 0)
        assert sum(sum(row.by_grade) for row in table.rows if row.term == "Sepsis") == 5

    def test_arms_list_their_enrolled_patients_and_versions_stay_apart(self):
        """Arm sizes count enrolled patients; CTCAE v5.0 and v6.0 are both named."""
        table = adverse_event_table(self.events(), flow_rows(), arm_order=ARMS)
        assert table.arms == (("LR-arm", 1), ("IR-arm", 0), ("HR-arm", 2), (NO_ARM_YET, 1))
        assert table.terminologies == ("CTCAE v5.0", "CTCAE v6.0")
        v6 = [row for row in table.rows if row.terminology == "CTCAE v6.0" and row.arm == "HR-arm"]
        assert v6[0].by_grade == (0, 0, 1, 0, 0)


class TestPdfAndJson:
    def test_an_empty_adverse_event_table_gives_one_page_and_no_rows(self):
        """No events: no rows, one PDF page that says so instead of failing."""
        empty = pd.DataFrame({"patient_key": [], "terminology": [], "term": [], "grade": []})
        table = adverse_event_table(empty, flow_rows(), arm_order=ARMS)
        assert table.rows == ()
        assert len(adverse_event_pages(table, "2026-01-31")) == 1

    def test_a_long_adverse_event_table_continues_on_the_next_page(self):
        """30 terms × 4 arm columns = 120 rows: three pages of 40."""
        events = pd.DataFrame(
            {
                "patient_key": ["P7"] * 30,
                "terminology": ["CTCAE v5.0"] * 30,
                "term": [f"term {i:02}" for i in range(30)],
                "grade": [3] * 30,
            }
        )
        table = adverse_event_table(events, flow_rows(), arm_order=ARMS)
        assert len(table.rows) == 120
        assert len(adverse_event_pages(table, "2026-01-31")) == 3

    def test_the_json_report_holds_the_three_tables(self, tmp_path):
        """report.json parses (no NaN) and carries the flow, adverse events and baseline numbers."""
        frame = endpoint_frame()
        base = baseline_frame(n=len(frame))
        frame = frame.assign(**{c: base[c].to_numpy() for c in BASELINE_COLUMNS if c != "risk_group"})
        flow = flow_rows()
        report = build_report(
            frame,
            as_of=date(2026, 1, 31),
            flow=flow,
            flow_protocol="P",
            adverse_events=pd.DataFrame(
                {"patient_key": ["P9"], "terminology": ["CTCAE v5.0"], "term": ["Sepsis"], "grade": [5]}
            ),
        )
        data = json.loads(write_json(report, tmp_path / "report.json").read_text("utf-8"))
        assert [s["count"] for s in data["flow"]["steps"]] == [9, 8, 5, 4, 3]
        hr = next(r for r in data["adverse_events"]["rows"] if r["arm"] == "HR-arm")
        assert hr["worst_grade"]["5"] == 1
        n = next(r for r in data["baseline"]["rows"] if r["variable"] == "n")
        assert n["values"][-1] == len(frame)
