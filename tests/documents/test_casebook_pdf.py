"""The casebook PDF read back as text: every form's values, a query's thread, a missing-data code,
each signature's printed name, UTC time and meaning (21 CFR Part 11 §11.50) and its invalidation, the
lock and protocol version, the audit appendix for its readers, and a header on every page.

The PDF's content does not depend on the back end (the store tests of ``read_casebook`` run on both),
so these run on SQLite only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.documents.casebook_world import (
    ANSWER,
    CODE_NOTE,
    EDIT_REASON,
    QUESTION,
    SIGNER_NAME,
    STUDY_ID,
    build,
    page_texts,
    pdf_text,
)
from tests.store.helpers import PASSWORD, World

from remission.documents import casebook_pdf, casebook_pdf_bytes
from remission.documents.pdf_fonts import pdf_fonts
from remission.store import (
    NOTHING_REQUIRED,
    AdverseEvent,
    Casebook,
    Delivery,
    LockLevel,
    LockState,
    SignatureMeaning,
    SignedUnit,
    UnitRef,
    events,
    open_query,
    read_casebook,
    set_lock,
    sign_units,
    verify_item,
)
from remission.store.vocabulary import Role

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def as_text(world: World, role: Role, site: str | None = None) -> str:
    _, content = casebook_pdf_bytes(world.store, actor=world.actor(role, site), study_id=STUDY_ID)
    return pdf_text(content)


class TestForms:
    def test_every_form_prints_its_values(self, world: World) -> None:
        """The baseline, the enrollment, the consent and the adverse event each print their values."""
        build(world)
        text = as_text(world, Role.DATA_MANAGER)
        assert "genetics.kmt2a.status rearranged" in text
        assert "genetics.fusions KMT2A::AFF1" in text
        assert "verdict eligible" in text
        assert "form_version ICF v2.0" in text
        assert "term Febrile neutropenia" in text
        assert "resolution_date 2025-04-20" in text

    def test_a_query_prints_its_whole_thread(self, world: World) -> None:
        """The query on the SAE's grade prints its state and every message with who and what."""
        build(world)
        text = as_text(world, Role.DATA_MANAGER)
        assert "on grade: answered (opened by data_manager-study)" in text
        assert f"data_manager-study · open: {QUESTION}" in text
        assert f"coordinator-snu · answer: {ANSWER}" in text

    def test_a_missing_data_code_prints_in_place_of_the_value(self, world: World) -> None:
        """The coded baseline field prints no value, its code and the code's note (µ and ⁹ intact)."""
        build(world)
        text = as_text(world, Role.DATA_MANAGER)
        assert f"prednisone_response — not done — {CODE_NOTE} (recorded by coordinator-snu" in text

    def test_many_rows_make_a_long_casebook(self, world: World) -> None:
        """A child with 300 adverse events gets every one of them, over many numbered pages."""
        scenario = build(world)
        with world.session(world.actor(Role.COORDINATOR, "SNU")) as session:
            for day in range(300):
                values = {
                    "term": f"Mucositis oral episode {day + 1}",
                    "grade": 1 + day % 3,
                    "onset_date": date(2025, 4, 1 + day % 28),
                    "serious": False,
                    "attribution": "possible",
                }
                events.create_row(session, model=AdverseEvent, patient_id=scenario.patient_id, values=values)
        pages = page_texts(casebook_pdf_bytes(world.store, actor=world.system, study_id=STUDY_ID)[1])
        text = " ".join(pages)
        assert "Mucositis oral episode 1 " in text
        assert "Mucositis oral episode 300 " in text
        assert len(pages) > 30
        assert f"page {len(pages)} of {len(pages)}" in pages[-1]


class TestSignatures:
    def test_a_signature_prints_printed_name_utc_time_and_meaning(self, world: World) -> None:
        """§11.50: the SAE's signature prints its printed name (Hangul intact), UTC time and meaning."""
        scenario = build(world)
        text = as_text(world, Role.DATA_MANAGER)
        assert (
            f"serious-adverse-event {scenario.sae_id}: signed by {SIGNER_NAME} (investigator-snu) "
            f"on {scenario.signed_at}, meaning: review" in text
        )

    def test_an_edit_after_signing_prints_invalidated(self, world: World) -> None:
        """The SAE changed after signing: its signature prints as invalidated, with the change that did it."""
        build(world)
        text = as_text(world, Role.DATA_MANAGER)
        assert "meaning: review — invalidated — re-signature needed since" in text
        assert "resolution_date) by coordinator-snu" in text

    def test_a_signature_of_unchanged_content_prints_valid(self, world: World) -> None:
        """A signed, unchanged eligibility decision prints valid; the casebook prints required, unsigned."""
        scenario = build(world)
        investigator = world.actor(Role.INVESTIGATOR, "SNU")
        with world.session(investigator) as session:
            sign_units(
                session,
                units=[UnitRef(scenario.patient_id, SignedUnit.ELIGIBILITY, 1)],
                meaning=SignatureMeaning.RESPONSIBILITY,
                username=investigator.username,
                password=PASSWORD,
            )
        text = as_text(world, Role.DATA_MANAGER)
        assert "eligibility 1: signed by " in text
        assert "meaning: responsibility — valid" in text
        assert "casebook approval — — unsigned (required by NCT06516679)" in text


class TestCover:
    def test_every_page_names_the_study_its_number_and_who_generated_it(self, world: World) -> None:
        """Each page's header and footer: study id, page x of y, generated at (UTC) and for whom."""
        build(world)
        pages = page_texts(
            casebook_pdf_bytes(world.store, actor=world.actor(Role.MONITOR), study_id=STUDY_ID)[1]
        )
        assert len(pages) > 1
        for number, page in enumerate(pages, start=1):
            assert f"Casebook {STUDY_ID} · site SNU" in page
            assert f"page {number} of {len(pages)}" in page
            assert " UTC for monitor-study (monitor-study)" in page

    def test_the_protocol_version_and_the_lock_are_stated(self, world: World) -> None:
        """The cover states the protocol version enrolled under and who froze the casebook, since when."""
        scenario = build(world)
        with world.session(world.actor(Role.DATA_MANAGER)) as session:
            set_lock(
                session,
                level=LockLevel.CASEBOOK,
                state=LockState.FROZEN,
                patient_id=scenario.patient_id,
                reason="interim analysis",
            )
        text = as_text(world, Role.DATA_MANAGER)
        assert f"Protocol versions NCT06516679 version {scenario.protocol_version}" in text
        assert "Freeze or lock frozen: this casebook since " in text
        assert "by data_manager-study (interim analysis)" in text

    def test_the_date_of_birth_is_printed_only_for_the_patients_site(self, world: World) -> None:
        """The SNU coordinator's casebook prints the date of birth; the data manager's says it is withheld."""
        build(world)
        assert "date_of_birth 2024-11-20" in as_text(world, Role.COORDINATOR, "SNU")
        study = as_text(world, Role.DATA_MANAGER)
        assert "2024-11-20" not in study
        assert "date_of_birth withheld (identifier)" in study


class TestAuditAppendix:
    def test_audit_readers_get_the_patients_trail(self, world: World) -> None:
        """A data manager's casebook ends with the patient's audit entries, the SAE edit with its reason."""
        build(world)
        text = as_text(world, Role.DATA_MANAGER)
        appendix = text[text.index("Appendix: audit trail") :]
        assert "create patients" in appendix
        edit = "coordinator-snu · update adverse_events 1 · resolution_date: — → 2025-04-20"
        assert f"{edit} · reason: {EDIT_REASON}" in appendix

    def test_the_appendix_is_withheld_from_site_roles(self, world: World) -> None:
        """A coordinator's casebook says the appendix is withheld and prints no audit entry."""
        build(world)
        text = as_text(world, Role.COORDINATOR, "SNU")
        assert "The audit-trail appendix is withheld" in text
        assert EDIT_REASON not in text


class TestSDV:
    def test_the_plan_s_items_print_unverified(self, world: World) -> None:
        """The items NCT06516679's SDV plan requires print with their state: unverified before any mark."""
        scenario = build(world)
        text = as_text(world, Role.MONITOR)
        assert f"SDV: adverse-events#{scenario.sae_id}:: unverified" in text
        assert NOTHING_REQUIRED not in text

    def test_a_verified_form_prints_who_verified_it_and_when(self, world: World) -> None:
        """A monitor's mark on the serious adverse event prints on its form with the monitor and time."""
        scenario = build(world)
        with world.session(world.actor(Role.MONITOR)) as session:
            verify_item(
                session, patient_id=scenario.patient_id, form="adverse-events", row_id=scenario.sae_id
            )
        text = as_text(world, Role.MONITOR)
        assert f"SDV: adverse-events#{scenario.sae_id}:: verified — by monitor-study on" in text


class TestFonts:
    def test_characters_no_font_has_do_not_stop_the_pdf(self, world: World) -> None:
        """A query text with an emoji and rare CJK prints, and its Hangul and symbols read back intact."""
        scenario = build(world)
        with world.session(world.actor(Role.MONITOR)) as session:
            open_query(
                session,
                patient_id=scenario.patient_id,
                form="baseline",
                row_id=None,
                field=None,
                text="확인 부탁드립니다 😀 𠀀 ≥ 10⁹/L",
            )
        text = as_text(world, Role.DATA_MANAGER)
        assert "확인 부탁드립니다" in text
        assert "≥ 10⁹/L" in text

    def test_without_dejavu_the_pdf_falls_back_to_helvetica_and_says_so(
        self, world: World, tmp_path: Path
    ) -> None:
        """With no DejaVu font the PDF is still made, in Helvetica, Hangul as ?, and its cover says why."""
        build(world)
        fonts = pdf_fonts(dejavu=tmp_path, nanum=tmp_path)
        made: list[bytes] = []

        def deliver(casebook: Casebook) -> Delivery:
            made.append(casebook_pdf(casebook, fonts=fonts))
            return Delivery("pdf")

        read_casebook(world.store, actor=world.actor(Role.DATA_MANAGER), deliver=deliver, study_id=STUDY_ID)
        text = pdf_text(made[0])
        assert "Fonts DejaVu Sans was not found" in text
        assert "fonts-dejavu-core" in text
        assert "signed by ??? Kim Min-jun" in text
        assert "Grade 3 — confirmed against the chart." in text
