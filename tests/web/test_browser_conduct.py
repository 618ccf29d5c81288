"""Browser tests of trial conduct (issue 11): a hard edit check refusing an adverse event on its form,
and the site worklist reached from the dashboard — Debian's Chromium (Playwright) against uvicorn."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from remission.store.database import Store

from .live import sign_in
from .support import patient_id


def test_an_onset_before_the_diagnosis_is_refused_at_the_field(page: Page, server: str, study: Store) -> None:
    """INF-01 (diagnosed 2024-12-31, enrolled in NCT06516679): an adverse event starting the day before
    is refused by the hard check, with its message under Onset; the corrected date is saved."""
    sign_in(page, server, "coordinator-sev")
    target = patient_id(study, "INF-01")
    page.goto(f"{server}/patients/{target}/adverse-events/new")
    page.get_by_role("combobox", name="Term (required)").fill("Mucositis oral")
    page.get_by_label("Grade").select_option("2")
    page.locator("#f-onset-date").fill("2024-12-30")
    page.get_by_label("Relation to protocol treatment").select_option("possible")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#f-onset-date-error")
    expect(error).to_contain_text("cannot begin before the diagnosis")
    expect(error).to_contain_text("ae-onset-not-before-diagnosis")
    expect(page.locator("#f-onset-date")).to_have_attribute("aria-invalid", "true")
    page.locator("#f-onset-date").fill("2024-12-31")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/patients/{target}"))
    expect(page.locator("body")).to_contain_text("Mucositis oral")


def test_the_dashboard_leads_to_a_site_worklist(page: Page, server: str) -> None:
    """A data manager follows a site's overdue count from the dashboard to the worklist, which lists
    overdue assessments first and links each to the patient's calendar."""
    sign_in(page, server, "data-manager")
    page.goto(f"{server}/dashboard")
    owed = page.locator("#owed-counts")
    expect(owed).to_contain_text("SYN-A")
    owed.get_by_role("link", name="SYN-A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist · SYN-A")
    rows = page.locator("#worklist tbody tr")
    expect(rows.first).to_have_class(re.compile("state-overdue"))
    rows.first.get_by_role("link").click()
    expect(page.locator("#calendar")).to_be_visible()
