"""Browser test of missing-data codes (issue 11, item 5): Debian's Chromium (Playwright) against uvicorn.

A coordinator marks an open assessment of a child's calendar *not done* with a code, and sees its
state change on the patient page.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from remission.store.database import Store

from .live import sign_in
from .support import patient_id


def test_an_assessment_marked_not_done_changes_state(page: Page, server: str, study: Store) -> None:
    """The first assessment with a "Mark not done" button, coded *asked but declined*, shows
    *not done* with that code, and the code is listed under the missing-data codes."""
    sign_in(page, server, "coordinator-sev")
    page.goto(f"{server}/patients/{patient_id(study, 'INF-01')}")
    calendar = page.locator("#calendar")
    row = calendar.locator("tr.calendar-item", has=page.get_by_role("button", name="Mark not done")).first
    assessment = row.get_attribute("data-assessment")
    occurrence = row.get_attribute("data-occurrence")
    expect(row.locator("td.state")).not_to_contain_text("not done")
    row.get_by_label("Code").select_option("asked but declined")
    row.get_by_role("button", name="Mark not done").click()
    expect(page.locator("#saved-notice")).to_contain_text("missing-data codes are updated")
    marked = page.locator(
        f'#calendar tr.calendar-item[data-assessment="{assessment}"][data-occurrence="{occurrence}"]'
    )
    expect(marked.locator("td.state")).to_have_text("not done (asked but declined)")
    expect(marked.get_by_role("button", name="Mark not done")).to_have_count(0)
    expect(page.locator("#missing-codes tr.missing-code")).to_contain_text("asked but declined")
