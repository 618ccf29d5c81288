"""Browser test of data queries (issue 11, item 4): Debian's Chromium (Playwright) against uvicorn.

A data manager opens a query on a field from the patient's MRD result, a coordinator of the site
sees the marker next to that field on the form and answers it there, and the data manager closes
it from the answered worklist.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from remission.store.database import Store

from .live import sign_in, signed_in_page
from .support import patient_id


class TestQueryWorkflow:
    def test_open_on_a_field_answer_from_the_form_close(
        self, page: Page, browser: Browser, server: str, study: Store
    ) -> None:
        """Open (data manager) → marker and answer on the form (coordinator) → close (data manager)."""
        target = patient_id(study, "INF-07")
        sign_in(page, server, "data-manager")
        page.goto(f"{server}/patients/{target}")
        page.locator("#patient-queries").get_by_role("link", name="Open a query on the baseline").click()
        page.get_by_label("Field").select_option(label="WBC at diagnosis (×10⁹/L)")
        page.get_by_label("Question (required)").fill("The WBC differs from the lab report: please check.")
        page.get_by_role("button", name="Open the query").click()
        expect(page.locator("#query-state")).to_have_text("open")
        query_url = page.url

        coordinator = signed_in_page(browser, server, "coordinator-sev")
        coordinator.get_by_role("navigation", name="Main").get_by_role("link", name="Queries").click()
        coordinator.get_by_role("link", name="INF-07").first.click()
        coordinator.get_by_role("link", name="Correct baseline data").click()
        marker = coordinator.locator(".query-marker")
        expect(marker).to_have_count(1)
        expect(marker).to_contain_text("open")
        expect(coordinator.locator(".field", has=marker)).to_contain_text("WBC at diagnosis")
        coordinator.get_by_label("Your answer").fill("Checked: the report says the same value.")
        coordinator.get_by_role("button", name="Answer query").click()
        expect(coordinator.locator(".query-marker")).to_contain_text("answered")
        coordinator.context.close()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Queries").click()
        page.locator("#queries").get_by_role(
            "link", name=f"#{query_url.rsplit('/', 1)[-1]}", exact=True
        ).click()
        expect(page.locator(".thread")).to_contain_text("Checked: the report says the same value.")
        page.get_by_label("Close: your message (required)").fill("Thank you.")
        page.get_by_role("button", name="Close the query").click()
        expect(page.locator("#query-state")).to_have_text("closed")
        expect(page.locator(".thread li")).to_have_count(3)
