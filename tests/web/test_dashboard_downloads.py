"""The study dashboard, the downloads and the audit view, for the roles allowed."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.cited_paths import missing_paths

from remission.stats.report import ANALYSES, MIN_GROUP_SIZE, YEAR_DAYS, at_risk_table, run_analysis
from remission.store import read_dashboard_dataset
from remission.store.actor import Actor
from remission.store.database import Store
from remission.store.models import AdverseEvent, AuditEntry, Enrollment, Patient, RiskAssignment
from remission.web.dashboard_data import risk_group_order

from .support import patient_id, sign_in, signed_in_csrf


def _table(html: str, table_id: str) -> dict[str, list[str]]:
    """Rows of the table ``table_id``: the row header's text to the cells' texts."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, table_id
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        head = re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", row, re.S).group(1)).strip()
        rows[head] = [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
    return rows


def _latest_groups(store: Store) -> Counter[str]:
    """Latest risk group of each enrolled patient, read straight from the tables."""
    with store.session(Actor.for_system("web tests")) as session:
        latest: dict[int, str] = {}
        for assignment in session.scalars(select(RiskAssignment).order_by(RiskAssignment.id)):
            latest[assignment.patient_id] = assignment.risk_group
        enrolled = set(session.scalars(select(Enrollment.patient_id)))
    return Counter(group for patient, group in latest.items() if patient in enrolled)


class TestRiskGroupOrder:
    def test_groups_follow_the_protocol_not_a_fixed_list(self) -> None:
        """INTERFANT-06's groups come in its own order, MR included, before pending and unclassified."""
        assert risk_group_order(["INTERFANT-06"]) == ("LR", "MR", "HR", "pending", "unclassified")

    def test_groups_of_several_protocols_are_merged_in_protocol_order(self) -> None:
        """Two protocols give each group once: the first protocol's order, then the other's new groups."""
        assert risk_group_order(["NCT06516679", "INTERFANT-06"]) == (
            "LR",
            "MR",
            "HR",
            "IR",
            "pending",
            "unclassified",
        )


class TestDashboard:
    def test_risk_groups_match_the_stored_assignments(self, client: TestClient, web_store: Store) -> None:
        """The risk-group table counts each enrolled patient's latest stored assignment."""
        sign_in(client, "statistician")
        shown = {
            group: int(cells[0])
            for group, cells in _table(client.get("/dashboard").text, "risk-groups").items()
        }
        assert shown == dict(_latest_groups(web_store))

    def test_the_curves_are_the_reports_analyses(self, client: TestClient, web_store: Store) -> None:
        """The OS figure's numbers at risk are those of the report's OS-by-risk-group analysis."""
        sign_in(client, "statistician")
        html = client.get("/dashboard").text
        section = re.search(r'id="figure-os">(.*?)</section>', html, re.S).group(1)
        shown = _table(section.replace('class="numbers at-risk"', 'class="numbers at-risk" id="t"'), "t")
        with web_store.session(Actor.for_system("web tests")) as session:
            frame = read_dashboard_dataset(session).to_pandas()
        (definition,) = (d for d in ANALYSES if d.key == "os_by_risk_group")
        result = run_analysis(frame, definition, (), MIN_GROUP_SIZE)
        table = at_risk_table(result, year_days=YEAR_DAYS)
        assert table is not None
        assert shown == {group: [str(n) for n in counts] for group, counts in table.rows}

    def test_adverse_events_are_counted_by_grade(self, client: TestClient, web_store: Store) -> None:
        """The AE table gives, per grade, the number of events and of patients with one."""
        sign_in(client, "data-manager")
        shown = _table(client.get("/dashboard").text, "ae-grades")
        with web_store.session(Actor.for_system("web tests")) as session:
            rows = session.execute(select(AdverseEvent.grade, AdverseEvent.patient_id)).all()
        for grade in range(1, 6):
            events = [row for row in rows if row.grade == grade]
            assert shown[str(grade)] == [str(len(events)), str(len({row.patient_id for row in events}))]

    def test_survival_figures_come_with_numbers_at_risk(self, client: TestClient) -> None:
        """OS, EFS and relapse incidence are drawn as SVG, each with a numbers-at-risk table."""
        sign_in(client, "monitor")
        html = client.get("/dashboard").text
        for key in ("os", "efs", "relapse"):
            section = re.search(rf'id="figure-{key}">(.*?)</section>', html, re.S).group(1)
            uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', section).group(1)
            assert base64.b64decode(uri).startswith(b"<?xml")
            first_column = [
                int(cells[0])
                for cells in _table(
                    section.replace('class="numbers at-risk"', 'class="numbers at-risk" id="t"'), "t"
                ).values()
            ]
            assert sum(first_column) > 0

    def test_enrollment_by_year_adds_up_to_the_enrollments(
        self, client: TestClient, web_store: Store
    ) -> None:
        """The yearly enrollment table's totals add up to the stored enrollments."""
        sign_in(client, "admin")
        html = client.get("/dashboard").text
        body = re.search(
            r"Enrolled patients by year of enrollment</caption>.*?<tbody>(.*?)</tbody>", html, re.S
        ).group(1)
        totals = [
            int(re.findall(r"<td>(\d+)</td>", row)[-1]) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        ]
        with web_store.session(Actor.for_system("web tests")) as session:
            assert sum(totals) == session.scalar(select(func.count(Enrollment.id)))


class TestDownloads:
    def test_the_dataset_download_is_audited(self, client: TestClient, web_store: Store) -> None:
        """A statistician's CSV download has one row per patient and writes an export entry to the trail."""
        sign_in(client, "statistician")
        answer = client.post(
            "/downloads/endpoints.csv", data={"csrf_token": signed_in_csrf(client, "/downloads")}
        )
        assert answer.status_code == 200
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        with web_store.session(Actor.for_system("web tests")) as session:
            assert len(rows) == session.scalar(select(func.count(Patient.id)))
            exports = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert [entry.username for entry in exports] == ["statistician"]

    def test_the_report_downloads_as_html(self, client: TestClient) -> None:
        """The study report downloads as an HTML document."""
        sign_in(client, "data-manager")
        answer = client.post(
            "/downloads/report.html", data={"csrf_token": signed_in_csrf(client, "/downloads")}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        assert "<html" in answer.text.lower()
        for section in ("study-flow-title", "baseline-title", "adverse-events-title"):  # as the CLI's
            assert f'id="{section}"' in answer.text

    def test_every_cited_file_exists(self, client: TestClient) -> None:
        """The Downloads page and the report it serves cite no file missing from the repository."""
        sign_in(client, "data-manager")
        page = client.get("/downloads")
        token = signed_in_csrf(client, "/downloads")
        report = client.post("/downloads/report.html", data={"csrf_token": token})
        assert (page.status_code, report.status_code) == (200, 200)
        assert "docs/export.md" in page.text
        assert missing_paths(page.text + report.text, Path(__file__).resolve().parents[2]) == []

    def test_site_roles_may_not_download(self, client: TestClient) -> None:
        """A coordinator gets 403 for the downloads page and for the download itself."""
        sign_in(client, "coordinator-sev")
        token = signed_in_csrf(client)
        assert client.get("/downloads").status_code == 403
        assert client.post("/downloads/endpoints.csv", data={"csrf_token": token}).status_code == 403


class TestAuditView:
    def test_audit_view_lists_a_records_entries(self, client: TestClient, web_store: Store) -> None:
        """The audit view of a patient record lists its creation entries, with who made them."""
        sign_in(client, "monitor")
        target = patient_id(web_store, "INF-01")
        html = client.get(f"/audit?entity=patients&entity_id={target}").text
        assert "study_id" in html
        assert "INF-01" in html
        assert "demo" in html

    def test_statistician_may_not_read_the_audit_trail(self, client: TestClient) -> None:
        """The audit view answers 403 to a statistician."""
        sign_in(client, "statistician")
        assert client.get("/audit").status_code == 403

    def test_the_latest_entries_come_first(self, client: TestClient) -> None:
        """Without a record, the audit view lists the latest entries, newest first."""
        sign_in(client, "admin")
        html = client.get("/audit").text
        numbers = [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", html)]
        assert numbers
        assert numbers == sorted(numbers, reverse=True)
