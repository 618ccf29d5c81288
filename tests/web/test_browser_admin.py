"""Browser test of the administrators' user page: Debian's Chromium (Playwright) against uvicorn."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .live import sign_in


class TestUserManagement:
    def test_an_admin_deactivates_a_user_and_changes_a_role(self, page: Page, server: str) -> None:
        """From the navigation an admin opens Users, deactivates a coordinator with a reason, and
        makes an investigator a monitor; the list shows both changes."""
        sign_in(page, server, "admin")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
        expect(page.get_by_role("heading", name="Users and roles")).to_be_visible()

        row = page.locator("#user-coordinator-sev")
        row.get_by_text("Change coordinator-sev").click()
        deactivate = row.get_by_role("form", name="Deactivate coordinator-sev")
        deactivate.get_by_label("Reason").fill("left the study")
        deactivate.get_by_role("button", name="Deactivate").click()
        expect(page.get_by_role("status")).to_have_text("User coordinator-sev deactivated.")
        expect(page.locator("#user-coordinator-sev")).to_contain_text("deactivated")

        row = page.locator("#user-investigator-snu")
        row.get_by_text("Change investigator-snu").click()
        roles = row.get_by_role("form", name="Roles of investigator-snu")
        roles.get_by_label("investigator at SNU").uncheck()
        roles.get_by_label("monitor", exact=True).check()
        roles.get_by_label("Reason").fill("now monitors the study")
        roles.get_by_role("button", name="Save roles").click()
        expect(page.get_by_role("status")).to_contain_text("Roles of investigator-snu changed")
        expect(page.locator("#user-investigator-snu td.roles")).to_have_text("monitor")
