"""A curated trial and its imported registry record: what the import brings and what it warns about."""

from __future__ import annotations

from datetime import date

from remission.protocols.results import Verdict
from remission.trials import Registry, match_trials
from support.records import TODAY, make_record, parse

from .conftest import FIXTURES

ON = date(2026, 11, 21)


def interfant(registry: Registry):
    return next(t for t in registry.trials() if t.id == "NCT05327894")


class TestMerge:
    def test_the_shipped_trials_are_there_before_any_import(self, registry: Registry) -> None:
        """An empty registry folder still holds the shipped curated trials."""
        assert {t.id for t in registry.trials()} >= {"NCT06516679", "NCT05327894", "NCT04065399"}

    def test_the_import_brings_status_and_sites_but_the_curated_criteria_stay(
        self, registry: Registry
    ) -> None:
        """A newer registry record updates status and sites; the criteria remain the curated ones."""
        curated = interfant(registry)
        registry.import_files([FIXTURES / "NCT05327894_registry.json"], imported_on=ON)
        merged = interfant(registry)
        assert merged.origin == "curated + imported"
        assert (merged.status.as_of, merged.status.source) == (date(2026, 3, 2), "registry")
        assert [s.city for s in merged.sites] == ["Utrecht", "Brussels"]
        assert merged.protocol == curated.protocol

    def test_a_record_that_matches_the_curated_text_gives_no_warning(self, registry: Registry) -> None:
        """Every curated criterion text is found in the registry's text, line breaks aside."""
        registry.import_files([FIXTURES / "NCT05327894_registry.json"], imported_on=ON)
        assert interfant(registry).warnings == ()

    def test_a_changed_registry_record_is_flagged_criterion_by_criterion(self, registry: Registry) -> None:
        """A new maximumAge and a reworded exclusion each give a warning naming the change."""
        registry.import_files([FIXTURES / "NCT05327894_registry_changed.json"], imported_on=ON)
        warnings = interfant(registry).warnings
        assert any(
            w.startswith("maximumAge changed since curation: '365 Days' → '18 Months'") for w in warnings
        )
        assert any(w.startswith("criterion excl-relapsed: its text no longer appears") for w in warnings)
        assert len(warnings) == 2

    def test_an_older_import_does_not_overwrite_a_newer_curated_status(
        self, registry: Registry, tmp_path
    ) -> None:
        """The status with the later source date wins."""
        old = tmp_path / "old.json"
        text = (FIXTURES / "NCT05327894_registry.json").read_text("utf-8").replace("2026-03-02", "2025-01-10")
        old.write_text(text.replace('"RECRUITING"', '"NOT_YET_RECRUITING"', 1), "utf-8")
        registry.import_files([old], imported_on=ON)
        status = interfant(registry).status
        assert (status.overall.value, status.source) == ("RECRUITING", "meddatax")


class TestRanking:
    def test_trials_rank_by_verdict_then_recruitment_then_unknowns(self, registry: Registry) -> None:
        """Eligible first; among needs review, recruiting ones first, then fewer unknowns."""
        registry.import_files(
            [FIXTURES / "study_single.json", FIXTURES / "studies_page.json"], imported_on=ON
        )
        child = parse(make_record(patient={"date_of_birth": "2025-01-15"}, diagnosis={"date": "2025-06-01"}))
        report = match_trials(child, registry.trials(), as_of=TODAY)
        order = [(m.trial.id, m.verdict) for m in report.matches]
        verdicts = [verdict for _, verdict in order]
        assert verdicts == sorted(
            verdicts, key=[Verdict.ELIGIBLE, Verdict.NEEDS_REVIEW, Verdict.NOT_ELIGIBLE].index
        )
        review = [m for m in report.matches if m.verdict is Verdict.NEEDS_REVIEW]
        ranks = [m.rank_key()[1:3] for m in review]
        assert ranks == sorted(ranks)
        assert order[0] == ("NCT06516679", Verdict.ELIGIBLE)

    def test_the_nearest_site_is_reported_in_kilometres(self, registry: Registry) -> None:
        """With --near, each trial with located sites reports its nearest open site and the distance."""
        registry.import_files([FIXTURES / "study_single.json"], imported_on=ON)
        from remission.trials import Point

        report = match_trials(
            parse(make_record()), [registry.trial("NCT99000001")], as_of=TODAY, near=Point(35.87, 128.6)
        )
        nearest = report.matches[0].to_dict()["nearest_site"]
        assert (nearest["city"], nearest["sites_without_coordinates"]) == ("Busan", 1)
        assert 80 < nearest["distance_km"] < 100
