"""Browser test of notifications (issue 12, item 4): Debian's Chromium (Playwright) against uvicorn.

A monitor opens a data query on a patient of SEV; the site's coordinator sees the unread count on
the Inbox link, finds the query in the inbox, opens it from there (which marks it read), and sets
a preference.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from remission.store.database import Store

from .live import sign_in, signed_in_page
from .support import patient_id


class TestInbox:
    def test_a_query_opened_by_a_monitor_reaches_the_coordinators_inbox(
        self, page: Page, browser: Browser, server: str, study: Store
    ) -> None:
        """Monitor opens a query → the SEV coordinator's inbox shows it, unread → Open marks it read."""
        target = patient_id(study, "INF-07")
        coordinator = signed_in_page(browser, server, "coordinator-sev")
        inbox_link = coordinator.get_by_role("navigation", name="Main").locator("#nav-inbox")
        before = inbox_link.inner_text()

        sign_in(page, server, "monitor")
        page.goto(f"{server}/patients/{target}")
        page.locator("#patient-queries").get_by_role("link", name="Open a query on the baseline").click()
        page.get_by_label("Field").select_option(label="WBC at diagnosis (×10⁹/L)")
        page.get_by_label("Question (required)").fill("Please check the WBC against the lab report.")
        page.get_by_role("button", name="Open the query").click()
        expect(page.locator("#query-state")).to_have_text("open")
        query_path = page.url.removeprefix(server)

        coordinator.reload()
        expect(inbox_link).not_to_have_text(before)
        expect(inbox_link.locator(".badge")).to_be_visible()
        inbox_link.click()
        line = coordinator.locator("#inbox li.unread", has_text="INF-07").filter(has_text="query opened")
        expect(line).to_have_count(1)
        expect(line).not_to_contain_text("lab report")  # the query's words stay in the query
        line.get_by_role("button", name="Open").click()
        expect(coordinator).to_have_url(f"{server}{query_path}")
        coordinator.goto(f"{server}/notifications")
        expect(coordinator.locator("#inbox li.unread", has_text="INF-07")).to_have_count(0)

        coordinator.get_by_role("link", name="Preferences").click()
        coordinator.get_by_label("E-mail address").fill("not an address")
        coordinator.get_by_role("button", name="Save").click()
        expect(coordinator.locator("#email-error")).to_contain_text("email")
        coordinator.get_by_label("E-mail address").fill("coordinator@sev.example")
        coordinator.get_by_label("risk group by e-mail").check()
        coordinator.get_by_role("button", name="Save").click()
        expect(coordinator.get_by_role("status")).to_have_text("Saved.")
        expect(coordinator.get_by_label("risk group by e-mail")).to_be_checked()
        coordinator.context.close()
