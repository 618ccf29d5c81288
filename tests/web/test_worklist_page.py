"""The site worklist page and the dashboard's overdue counts: what a site owes on a date, its own
site by default, another site refused by name, the counts equal to the worklist."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .support import sign_in

AS_OF = "2026-12-02"


def _rows(html: str) -> list[str]:
    body = html.split('<table id="worklist">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr class="state-([a-z-]+)">', body)


def test_the_data_manager_reads_a_synthetic_site_s_worklist(client: TestClient) -> None:
    sign_in(client, "data-manager")
    page = client.get(f"/worklist?site=SYN-A&as_of={AS_OF}")
    assert page.status_code == 200
    states = _rows(page.text)
    assert states, "the synthetic site owes assessments on the date"
    assert states == sorted(states, key=["overdue", "due"].index)  # overdue first
    assert set(re.findall(r'href="/patients/\d+#calendar">(SYN-[A-Z])-', page.text)) == {"SYN-A"}
    summary = re.search(r'<p id="worklist-summary">(\d+) assessments? owed, (\d+) overdue', page.text)
    assert summary
    assert (int(summary.group(1)), int(summary.group(2))) == (len(states), states.count("overdue"))


def test_a_coordinator_sees_their_own_site_and_is_told_about_another(client: TestClient) -> None:
    sign_in(client, "coordinator-sev")
    page = client.get("/worklist?site=SYN-A")
    assert page.status_code == 200
    assert "site: &#39;SYN-A&#39; is not a site you may read" in page.text
    assert "<h1>Worklist · SEV</h1>" in page.text
    assert "SYN-A-" not in page.text


def test_a_bad_date_is_named_and_today_shown(client: TestClient) -> None:
    sign_in(client, "data-manager")
    page = client.get("/worklist?as_of=2026-02-30")
    assert page.status_code == 200
    assert "as of: &#39;2026-02-30&#39; is not a date YYYY-MM-DD; showing today" in page.text


def test_the_dashboard_counts_what_the_worklists_list(client: TestClient) -> None:
    sign_in(client, "data-manager")
    board = client.get("/dashboard").text
    section = board.split('id="owed-counts"', 1)[1].split("</section>", 1)[0]
    counts = {
        site: (int(overdue), int(due))
        for site, overdue, due in re.findall(
            r'<a href="/worklist\?site=([^"]+)">[^<]+</a></th><td>(\d+)</td><td>(\d+)</td>', section
        )
    }
    assert counts
    for site, (overdue, due) in counts.items():
        states = _rows(client.get(f"/worklist?site={site}").text)
        assert (states.count("overdue"), states.count("due")) == (overdue, due), site
