"""Browser test of consent versions (issue 12, item 5): Debian's Chromium (Playwright) against uvicorn.

The data manager registers a newly approved parental permission form of the demo study and lands on
its re-consent list, which names the enrolled children whose latest permission is on an older form.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from remission.store.database import Store

from .live import sign_in


def test_a_new_approved_version_lists_who_must_re_consent(page: Page, server: str, study: Store) -> None:
    """Registering "synthetic ICF v3" (approved 2026-01-05) shows children on v1 or v2 to re-consent."""
    sign_in(page, server, "data-manager")
    page.goto(f"{server}/consent-versions")
    form = page.locator("#add-version")
    form.get_by_label("Study").select_option("NCT06516679")
    form.get_by_label("Form").select_option("parental permission")
    form.get_by_label("Version").fill("synthetic ICF v3")
    form.get_by_label("Approved on").fill("2026-01-05")
    form.get_by_label("Approved by (ethics committee)").fill("Synthetic ethics committee")
    form.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("synthetic ICF v3")
    expect(page.get_by_role("status")).to_contain_text("Version synthetic ICF v3 registered")
    rows = page.locator("#reconsent tbody tr")
    expect(rows.first).to_contain_text("SYN-")
    expect(page.locator("#reconsent")).to_contain_text("synthetic ICF v2")
    rows.first.get_by_role("link").click()
    expect(page.locator("#consent-actions")).to_contain_text("re-consent")
    expect(page.locator("#consent-actions")).to_contain_text("synthetic ICF v3")
