"""Browser test of source data verification (issue 12, item 2): Chromium (Playwright) against uvicorn.

A monitor marks a child's consent form verified from the patient page; the coordinator corrects a
value of that form; the monitor sees the mark reset, with what changed, on the page and the worklist.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from remission.store.database import Store

from .live import sign_in, signed_in_page
from .support import patient_id


def test_a_verified_form_shows_reset_after_a_coordinator_edits_it(
    page: Page, browser: Browser, server: str, study: Store
) -> None:
    """The consent form of INF-01, marked verified by the monitor, shows *reset* with the changed
    version once the coordinator corrects it, and the SDV worklist lists it as reset."""
    target = patient_id(study, "INF-01")
    sign_in(page, server, "monitor")
    page.goto(f"{server}/patients/{target}#sdv")
    section = page.locator("#sdv")
    choice = section.get_by_label("Item to verify")
    consent = choice.locator("option", has_text="consent").filter(has_text="whole form").first
    value = consent.get_attribute("value") or ""
    choice.select_option(value)
    section.get_by_role("button", name="Mark verified").last.click()
    expect(page.locator("#saved-notice")).to_contain_text("marked verified")
    row_id = value.split("|")[1]
    mark = page.locator(f'#sdv-marks li.sdv-mark[data-item="consents#{row_id}:"]')
    expect(mark).to_contain_text("verified by monitor")

    coordinator = signed_in_page(browser, server, "coordinator-sev")
    coordinator.goto(f"{server}/patients/{target}/consents/{row_id}/edit")
    coordinator.get_by_label("Consent form version").fill("ICF v2.1")
    coordinator.get_by_label("Reason for this change (required)").fill("version misread from the form")
    coordinator.get_by_role("button", name="Save the change").click()
    expect(coordinator.locator("#saved-notice")).to_be_visible()
    coordinator.context.close()

    page.reload()
    expect(mark).to_contain_text("reset")
    expect(mark).to_contain_text("form_version changed from ICF v2.0 to ICF v2.1 after verification")
    expect(section.locator('tr.sdv-item[data-item^="consents#"] td.sdv-state').first).to_contain_text("reset")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SDV").click()
    page.get_by_role("form", name="Choose the site").locator("select").select_option("SEV")
    page.get_by_role("button", name="Show").click()
    listed = page.locator('#sdv-worklist tr.sdv-patient[data-study-id="INF-01"]')
    expect(listed.locator("li.sdv-reset").first).to_contain_text("form_version changed")
