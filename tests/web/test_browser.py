"""Browser tests: Debian's Chromium (headless, Playwright) against a real uvicorn server over SQLite.

One server and one study copy serve the whole module; each test uses its own patient or its own
new study id, so the tests do not depend on each other's writes.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from remission.store.database import Store

from .live import sign_in
from .support import patient_id

TODAY = date.today()
SCREENSHOTS = os.environ.get("REMISSION_WEB_SCREENSHOTS", "")


class TestKeyboard:
    def test_sign_in_and_skip_link_work_from_the_keyboard(self, page: Page, server: str) -> None:
        """A keyboard user signs in, and the first Tab reaches a visible-focus skip link to the content."""
        sign_in(page, server, "coordinator-sev")
        expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")


class TestEnrollment:
    def test_wizard_enrolls_a_new_patient_with_a_live_checklist(self, page: Page, server: str) -> None:
        """The checklist updates live (needs review, then eligible once attested); the child is enrolled."""
        sign_in(page, server, "coordinator-sev")
        page.get_by_role("link", name="Enroll", exact=True).click()
        label = lambda text: page.get_by_label(text, exact=True)  # noqa: E731
        label("Study id (required)").fill("WEB-BROWSER-01")
        label("Sex").select_option("female")
        label("Date of birth").fill((TODAY - timedelta(days=210)).isoformat())
        label("Date of diagnosis").fill((TODAY - timedelta(days=20)).isoformat())
        label("Diagnosis (WHO)").select_option("B-ALL")
        label("KMT2A").select_option("germline")
        label("Predisposition syndromes").select_option("none")
        label("Prior stem cell transplant").select_option("no")
        label("Relapse status").select_option("never relapsed")
        label("Steroids before study entry").select_option("none")
        label("Other studies").select_option("none")
        label("Consent given by").select_option("parents")
        label("Date of consent").fill((TODAY - timedelta(days=15)).isoformat())
        label("Consent form version").fill("synthetic ICF v2")  # a form the demo registers
        label("Enrollment date (required)").fill((TODAY - timedelta(days=14)).isoformat())
        verdict = page.locator("#verdict")
        expect(verdict).to_contain_text("Needs review")
        expect(page.locator("#criterion-incl-age .truth")).to_have_text("met")
        page.get_by_label("Attest excl-contraindication").select_option("not met")
        expect(verdict).to_contain_text("Eligible")
        page.get_by_role("button", name="Enroll", exact=True).click()
        expect(page.get_by_role("heading", name="Patient WEB-BROWSER-01")).to_be_visible()
        expect(page.locator("#saved-notice")).to_contain_text("the patient is enrolled")
        expect(page.get_by_text("Enrolled in NCT06516679 v")).to_be_visible()
        expect(page.locator("#risk")).to_contain_text("germline-track")


class TestDataEntry:
    def test_validation_error_is_shown_next_to_the_field(self, page: Page, server: str, study: Store) -> None:
        """A grade the CTCAE term lacks is reported beside the grade; the corrected event is saved."""
        sign_in(page, server, "coordinator-sev")
        page.goto(f"{server}/patients/{patient_id(study, 'INF-01')}")
        page.get_by_role("link", name="Add adverse event").click()
        page.get_by_label("Term (required)").fill("Febrile neutropenia")
        grade = page.get_by_label("Grade (required)")
        grade.select_option("2")
        page.get_by_label("Onset (required)").fill("2025-02-03")
        page.get_by_label("Relation to protocol treatment (required)").select_option("possible")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#f-grade-error")).to_contain_text("Febrile neutropenia has grades 3, 4, 5")
        expect(grade).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Term (required)")).to_have_value("Febrile neutropenia")
        grade.select_option("3")
        page.get_by_role("button", name="Save").click()
        expect(
            page.locator(".timeline strong", has_text="Adverse event: Febrile neutropenia, grade 3")
        ).to_be_visible()

    def test_dose_form_shows_the_running_total_while_typing(
        self, page: Page, server: str, study: Store
    ) -> None:
        """Choosing a drug and typing a dose shows the doxorubicin-equivalent total with it, before saving."""
        sign_in(page, server, "coordinator-sev")
        page.goto(f"{server}/patients/{patient_id(study, 'INF-04')}/anthracycline-doses/new")
        page.get_by_label("Drug (required)").select_option("daunorubicin")
        page.get_by_label("Dose (mg/m²) (required)").fill("25")
        expect(page.locator("#dose-preview")).to_contain_text("Total with it: 15.0 mg/m²")


class TestRisk:
    def test_mrd_entry_makes_a_risk_assignment_appear(self, page: Page, server: str, study: Store) -> None:
        """INF-05 is pending; a positive MRD after consolidation 1 shows a final HR assignment, traced."""
        sign_in(page, server, "coordinator-snu")
        page.goto(f"{server}/patients/{patient_id(study, 'INF-05')}")
        expect(page.locator("#risk .risk")).to_have_text("pending")
        page.get_by_role("link", name="Add MRD result").click()
        page.get_by_label("Time point (required)").select_option("after consolidation 1")
        page.get_by_label("Method (required)").select_option("IG/TR RQ-PCR")
        page.get_by_label("Sample date (required)").fill("2025-12-02")
        page.get_by_label("MRD value", exact=True).fill("1e-3")
        page.get_by_label("Sensitivity (fraction)").fill("0.00001")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#mrd-confirm")).to_contain_text("You entered 1e-3 (fraction) = 10⁻³ = 0.1 %")
        page.get_by_role("button", name="Confirm and save").click()
        expect(page.locator("#saved-notice")).to_contain_text("HR")
        expect(page.locator("#risk .risk")).to_have_text("HR")
        why = page.locator("#risk .explanation")
        expect(why).to_contain_text(  # INF-05 also has a positive, not quantifiable result
            "High risk (HR) applies: KMT2A status: rearranged and MRD after consolidation 1: "
            "positive, not quantifiable by IG/TR RQ-PCR, sampled 2026-01-20 (counted indeterminate "
            "(assumption)) → indeterminate; 10⁻³ (0.1 %) by IG/TR RQ-PCR, sampled 2025-12-02, "
            "≥ cutoff 10⁻⁴ (assumption) → positive; combined by any positive (assumption): positive."
        )
        expect(why.locator(".assumption-mark").first).to_be_visible()
        expect(why).to_contain_text("mrd_threshold_fraction")
        expect(page.locator("#risk .data-date")).to_have_text("2026-01-20")  # the latest result read
        raw = page.locator("#risk details.trace")
        expect(raw.locator("code").first).not_to_be_visible()
        raw.locator("summary").click()
        expect(raw).to_contain_text("after_consolidation_1:HR")


class TestDashboard:
    def test_dashboard_draws_the_curves(self, page: Page, server: str) -> None:
        """The statistician's dashboard shows the three survival figures (loaded images) and the tables."""
        sign_in(page, server, "statistician")
        expect(page.get_by_role("heading", name="Study dashboard")).to_be_visible()
        plots = page.locator("img.plot")
        expect(plots).to_have_count(3)
        for index in range(3):
            assert plots.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
        expect(page.locator("#risk-groups")).to_contain_text("HR")
        expect(page.locator("#figure-os table")).to_contain_text("Numbers at risk")


class TestIsolation:
    def test_another_sites_patient_shows_the_not_found_page(
        self, page: Page, server: str, study: Store
    ) -> None:
        """A SEV coordinator opening an SNU patient's address gets the 404 page."""
        sign_in(page, server, "coordinator-sev")
        answer = page.goto(f"{server}/patients/{patient_id(study, 'INF-02')}")
        assert answer is not None
        assert answer.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("INF-02")


class TestSmallScreens:
    @pytest.mark.parametrize("path", ["/patients", "/enroll", "/patients/{id}", "/patients/{id}/mrd/new"])
    def test_pages_fit_a_phone_screen(self, page: Page, server: str, study: Store, path: str) -> None:
        """At 390 px wide the page needs no sideways scrolling (wide tables scroll in their own box)."""
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, server, "coordinator-sev")
        page.goto(server + path.format(id=patient_id(study, "INF-04")))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


class TestTherapyOptions:
    def test_one_row_per_therapy_in_three_groups_on_a_phone(
        self, page: Page, server: str, study: Store
    ) -> None:
        """At 390 px the therapy options are grouped, each therapy once, and nothing is cut."""
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, server, "coordinator-sev")
        page.goto(f"{server}/patients/{patient_id(study, 'INF-04')}")
        headings = page.locator(".therapy-group")
        expect(headings).to_have_count(3)
        expect(headings.nth(0)).to_contain_text("Applies now")
        expect(headings.nth(1)).to_contain_text("Would apply if…")
        expect(headings.nth(2)).to_contain_text("Does not apply")
        names = page.locator(".therapy-name").all_text_contents()
        assert len(names) == len(set(names))
        assert "imatinib" in names
        imatinib = page.locator(".therapy-row", has_text="imatinib").first
        expect(imatinib).to_contain_text("Ph-like class is recorded and shows Ph-like ABL-class")
        page.locator(".therapy-not-applying summary").click()  # the rows that do not apply, folded
        expect(page.locator(".therapy-not-applying .therapy-row").first).to_be_visible()
        for row in page.locator(".therapy-row").all():
            assert row.evaluate("el => el.scrollWidth <= el.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.skipif(
    not SCREENSHOTS, reason="set REMISSION_WEB_SCREENSHOTS=docs/images to refresh the screenshots"
)
class TestScreenshots:
    PAGES = (
        ("coordinator-sev", "patients", "/patients"),
        ("coordinator-sev", "patient", "/patients/{INF-04}"),
        ("coordinator-sev", "enroll", "/enroll"),
        ("coordinator-sev", "mrd-form", "/patients/{INF-04}/mrd/new"),
        ("coordinator-sev", "baseline", "/patients/{INF-04}/baseline"),
        ("coordinator-sev", "screening", "/patients/{INF-04}/screening"),
        ("statistician", "dashboard", "/dashboard"),
        ("monitor", "audit", "/audit?entity=patients&entity_id={INF-04}"),
        ("admin", "admin-users", "/admin/users"),
    )

    @pytest.mark.parametrize("width", [1280, 390])
    def test_main_pages(self, page: Page, server: str, study: Store, width: int) -> None:
        """Screenshots of the main pages at this width, for docs/web.md."""
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": width, "height": 900})
        signed_in = ""
        for username, name, path in self.PAGES:
            if username != signed_in:
                page.context.clear_cookies()
                sign_in(page, server, username)
                signed_in = username
            target = re.sub(r"\{(INF-\d+)\}", lambda m: str(patient_id(study, m.group(1))), path)
            page.goto(server + target)
            page.screenshot(path=str(folder / f"web-{name}-{width}.png"), full_page=True)
            assert (folder / f"web-{name}-{width}.png").stat().st_size > 0
