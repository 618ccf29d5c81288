"""Browser test of electronic signatures and locks (issue 12): Debian's Chromium (Playwright) against uvicorn.

An investigator signs a casebook from the signing list — a wrong password first is refused at the
password field — and the patient page shows the signature with name, time and meaning; a coordinator's
new follow-up invalidates it; the data manager locks the casebook (with an override reason) and the
coordinator's next entry is refused with the lock's message.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from remission.store.database import Store

from .live import PASSWORD, sign_in, signed_in_page
from .support import patient_id


def add_follow_up(page: Page, server: str, target: int, day: str) -> None:
    page.goto(f"{server}/patients/{target}/follow-ups/new")
    page.get_by_label("Date of follow-up (required)").fill(day)
    page.get_by_label("Status (required)").select_option("alive in remission")
    page.get_by_role("button", name="Save").click()


class TestSigningAndLocking:
    def test_sign_invalidate_and_lock(self, page: Page, browser: Browser, server: str, study: Store) -> None:
        """Wrong password refused → signed → invalidated by an edit → locked → the edit refused."""
        target = patient_id(study, "INF-01")
        sign_in(page, server, "investigator-sev")
        page.goto(f"{server}/patients/{target}")
        page.get_by_role("link", name="Sign records of this patient").click()
        page.get_by_role("checkbox", name="Sign the whole casebook of INF-01", exact=False).check()
        page.get_by_label("Meaning of my signature").select_option("approval")
        page.get_by_role("button", name="Review and sign").click()
        expect(page.locator("#records-to-sign")).to_contain_text("the whole casebook of INF-01")
        expect(page.locator("#printed-name")).to_have_text("Demo Investigator SEV")
        expect(page.locator("#attestation")).to_contain_text("legally binding")
        page.get_by_label("User name (first signature of this session)").fill("investigator-sev")
        page.get_by_label("Password").fill("not my password")
        page.get_by_role("button", name="Sign 1 record").click()
        expect(page.locator("#password-error")).to_contain_text("not correct")
        page.get_by_label("User name (first signature of this session)").fill("investigator-sev")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign 1 record").click()
        expect(page.locator("#signed-notice")).to_contain_text("Signed 1 record")
        page.goto(f"{server}/patients/{target}#signatures")
        signature = page.locator("#signatures .signature").first
        expect(signature).to_contain_text("signed by Demo Investigator SEV")
        expect(signature).to_contain_text("approval")
        expect(signature).to_contain_text("valid")

        coordinator = signed_in_page(browser, server, "coordinator-sev")
        add_follow_up(coordinator, server, target, "2025-09-01")
        page.reload()
        expect(page.locator("#signatures .signature").first).to_contain_text(
            "invalidated — re-signature needed"
        )

        manager = signed_in_page(browser, server, "data-manager")
        manager.goto(f"{server}/locks")
        form = manager.get_by_role("form", name="Freeze or lock")
        form.get_by_label("What").select_option("casebook")
        form.get_by_label("Freeze or lock").select_option("locked")
        form.get_by_label("Patient study id").fill("INF-01")
        form.get_by_label("Reason", exact=True).fill("end of study")
        form.get_by_label("Override reason").fill("investigator re-signs after the correction")
        form.get_by_role("button", name="Apply").click()
        expect(manager.locator("#locks")).to_contain_text("casebook of INF-01")
        manager.context.close()

        add_follow_up(coordinator, server, target, "2025-10-01")
        expect(coordinator.locator("main")).to_contain_text("is locked")
        coordinator.goto(f"{server}/patients/{target}")
        expect(coordinator.locator("#lock-banner")).to_contain_text("locked")
        coordinator.context.close()
