"""Browser tests of the data-entry pages of issue 15, item 4: Debian's Chromium (Playwright) against uvicorn.

Baseline correction (seen on the patient page and in the audit trail), the audit trail's filters
and paging, MRD entry in percent with its echo, and the stored screening page. One server and one
study copy serve the module; each test works on its own patient.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from remission.store.database import Store

from .live import sign_in, signed_in_page
from .support import patient_id


class TestBaselineCorrection:
    def test_a_corrected_wbc_shows_on_the_patient_page_and_in_the_audit_trail(
        self, page: Page, browser: Browser, server: str, study: Store
    ) -> None:
        """A coordinator corrects INF-04's WBC with a reason; the page shows it, and a data manager reads
        the old value, the new one and the reason in the patient's history."""
        sign_in(page, server, "coordinator-sev")
        target = patient_id(study, "INF-04")
        page.goto(f"{server}/patients/{target}")
        page.get_by_role("link", name="Correct baseline data").click()
        wbc = page.get_by_label("WBC at diagnosis (×10⁹/L)")
        expect(wbc).to_have_value("486.0")
        wbc.fill("468")
        page.get_by_role("button", name="Save the correction").click()
        expect(page.locator("#error-summary")).to_contain_text("Reason for this change")
        expect(page.get_by_label("Reason for this change (required)")).to_have_attribute(
            "aria-invalid", "true"
        )
        expect(wbc).to_have_value("468")
        page.get_by_label("Reason for this change (required)").fill("digits transposed in the lab report")
        page.get_by_role("button", name="Save the correction").click()
        expect(page.locator("#saved-notice")).to_be_visible()
        expect(page.locator(".facts", has_text="WBC at diagnosis")).to_contain_text("468 ×10⁹/L")

        auditor = signed_in_page(browser, server, "data-manager")
        auditor.goto(f"{server}/patients/{target}")
        auditor.get_by_role("link", name="History of this patient record").click()
        row = auditor.locator("table.audit tr", has_text="digits transposed in the lab report")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("coordinator-sev")
        expect(row.locator("td.value").first).to_contain_text("486")
        expect(row.locator("td.value").last).to_contain_text("468")
        auditor.context.close()


class TestAuditTrail:
    def test_filters_narrow_the_trail_and_paging_keeps_them(self, page: Page, server: str) -> None:
        """A data manager filters by action, pages to older entries and back with the filter kept,
        then narrows to one patient; a bad date is named at its input."""
        sign_in(page, server, "data-manager")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
        filters = page.get_by_role("search", name="Filter the audit trail")
        filters.get_by_label("Action").select_option("create")
        filters.get_by_role("button", name="Show").click()
        expect(page.get_by_role("status")).to_contain_text("100 entries, newest first, page 1")
        actions = page.locator("table.audit tbody tr td:nth-child(4)")
        assert set(actions.all_inner_texts()) == {"create"}
        page.get_by_role("link", name="Next (older)").click()
        expect(page.get_by_role("status")).to_contain_text("page 2")
        assert "action=create" in page.url
        assert set(actions.all_inner_texts()) == {"create"}
        page.get_by_role("link", name="Previous (newer)").click()
        expect(page.get_by_role("status")).to_contain_text("page 1")

        filters.get_by_label("Patient (study id)").fill("INF-01")
        filters.get_by_label("Action").select_option("")
        filters.get_by_role("button", name="Show").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail: patient INF-01")
        expect(page.get_by_role("link", name="Next (older)")).to_have_count(0)

        filters.get_by_label("From (UTC day)").fill("2025-01-01")
        filters.get_by_label("To (UTC day)").fill("2024-01-01")
        filters.get_by_role("button", name="Show").click()
        expect(page.get_by_role("status")).to_contain_text("0 entries")


class TestMRDPercent:
    def test_a_percentage_is_echoed_live_and_confirmed_before_saving(
        self, page: Page, server: str, study: Store
    ) -> None:
        """Typing 0.05 % shows 5 × 10⁻⁴ as it is typed; Save shows the server's echo, and only
        Confirm and save stores the result, shown on the timeline as a fraction."""
        sign_in(page, server, "coordinator-snu")
        page.goto(f"{server}/patients/{patient_id(study, 'INF-02')}/mrd/new")
        page.get_by_label("Time point (required)").select_option("end of induction")
        page.get_by_label("Method (required)").select_option("flow cytometry")
        page.get_by_label("Sample date (required)").fill("2025-05-02")
        page.get_by_label("Unit of the MRD value").select_option("percent")
        page.get_by_label("MRD value", exact=True).fill("0.05")
        expect(page.locator("#mrd-echo")).to_have_text("You entered 0.05 % = 5 × 10⁻⁴ (fraction)")
        page.get_by_label("MRD value", exact=True).fill("150")
        expect(page.locator("#mrd-echo")).to_contain_text("between 0 and 100 %")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#f-value-fraction-error")).to_contain_text("at most 100 %")
        page.get_by_label("MRD value", exact=True).fill("0.05")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#mrd-confirm")).to_contain_text("You entered 0.05 % = 5 × 10⁻⁴ (fraction)")
        expect(page.get_by_label("Unit of the MRD value")).to_have_value("percent")
        page.get_by_role("button", name="Confirm and save").click()
        expect(page.locator("#saved-notice")).to_be_visible()
        expect(page.locator(".timeline strong", has_text="MRD 5 × 10⁻⁴ (0.05 %)")).to_be_visible()


class TestStoredScreening:
    def test_the_stored_screening_is_one_link_from_the_patient_page(
        self, page: Page, server: str, study: Store
    ) -> None:
        """From INF-01's page the stored screening shows the protocol version, the outcome, each
        criterion's result and the attestations with who and when."""
        sign_in(page, server, "coordinator-sev")
        page.goto(f"{server}/patients/{patient_id(study, 'INF-01')}")
        page.get_by_role("link", name="Stored screening and attestations").click()
        expect(page.get_by_role("heading", name="Stored screening of INF-01")).to_be_visible()
        expect(page.get_by_role("heading", level=2)).to_contain_text("NCT06516679 v")
        expect(page.locator(".facts")).to_contain_text("eligible")
        criteria = page.get_by_role("region", name="Criteria of NCT06516679")
        expect(criteria.locator("tbody tr").first).to_be_visible()
        expect(criteria.locator(".truth").first).to_have_text("met")
        attestations = page.get_by_role("region", name="Attestations for NCT06516679")
        expect(attestations.locator("tbody tr").first).to_be_visible()
