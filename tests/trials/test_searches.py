"""Saved searches: the first run sets a baseline; imports and changes are reported as what is new."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from remission.errors import InputError
from remission.trials import Registry, delete_search, run_all_searches, run_search, save_search, search_names
from support.records import TODAY, make_record

from .conftest import FIXTURES

KMT2A_R_TODDLER = {
    "patient": {"date_of_birth": "2025-01-15"},
    "diagnosis": {"date": "2025-06-01"},
    "genetics": {"kmt2a": {"status": "rearranged", "partner": "AFF1"}},
}


def record_file(tmp_path: Path, data: dict[str, Any], name: str = "child.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), "utf-8")
    return path


def save(registry: Registry, path: Path, name: str = "child", **options: Any):
    return save_search(
        registry,
        name,
        record_path=path,
        link=options.pop("link", False),
        near=None,
        as_of=TODAY,
        today=TODAY,
        **options,
    )


class TestSaveAndRun:
    def test_the_first_run_reports_every_matching_trial_as_new(
        self, registry: Registry, tmp_path: Path
    ) -> None:
        """Saving runs the search once; trials that are not 'not eligible' are new."""
        result = save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)))
        assert result.first_run
        assert {m.trial.id for m in result.newly_matching} == {"NCT06516679", "NCT05327894", "NCT04065399"}

    def test_running_again_without_changes_reports_nothing_new(
        self, registry: Registry, tmp_path: Path
    ) -> None:
        """A second run with the same registry and record has nothing new."""
        save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)))
        again = run_search(registry, "child", as_of=TODAY, today=TODAY)
        assert (again.first_run, again.anything_new) == (False, False)

    def test_an_import_reports_a_newly_matching_trial(self, registry: Registry, tmp_path: Path) -> None:
        """After importing a study the child may join, the saved search lists it as new."""
        save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)))
        registry.import_files([FIXTURES / "study_single.json"], imported_on=TODAY)
        [news] = run_all_searches(registry, as_of=TODAY, today=TODAY)
        assert [(m.trial.id, m.verdict.value) for m in news.newly_matching] == [
            ("NCT99000001", "needs review")
        ]
        assert news.changed == ()

    def test_an_updated_import_reports_a_changed_verdict(self, registry: Registry, tmp_path: Path) -> None:
        """A re-imported record whose maximum age drops below the child's reports the verdict change."""
        registry.import_files([FIXTURES / "study_single.json"], imported_on=TODAY)
        save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)))
        lowered = tmp_path / "lowered.json"
        lowered.write_text(
            (FIXTURES / "study_single.json").read_text("utf-8").replace('"18 Years"', '"12 Months"'), "utf-8"
        )
        registry.import_files([lowered], imported_on=TODAY)
        [news] = run_all_searches(registry, as_of=TODAY, today=TODAY)
        assert [c.to_dict() for c in news.changed] == [
            {"trial": "NCT99000001", "before": "needs review", "after": "not eligible"}
        ]

    def test_a_saved_copy_does_not_follow_the_file(self, registry: Registry, tmp_path: Path) -> None:
        """Without --link the search keeps the record as saved, whatever happens to the file."""
        path = record_file(tmp_path, make_record(**KMT2A_R_TODDLER))
        save(registry, path)
        path.write_text(json.dumps(make_record()), "utf-8")
        assert not run_search(registry, "child", as_of=TODAY, today=TODAY).anything_new

    def test_a_linked_search_reads_the_file_again(self, registry: Registry, tmp_path: Path) -> None:
        """With --link, a changed record file changes the verdicts reported."""
        path = record_file(tmp_path, make_record(**KMT2A_R_TODDLER))
        save(registry, path, link=True)
        path.write_text(
            json.dumps(make_record(**{**KMT2A_R_TODDLER, "genetics": {"kmt2a": {"status": "germline"}}})),
            "utf-8",
        )
        changed = {
            c.trial_id: c.after for c in run_search(registry, "child", as_of=TODAY, today=TODAY).changed
        }
        assert changed == {"NCT05327894": "not eligible", "NCT04065399": "not eligible"}

    def test_time_passing_is_a_change_too(self, registry: Registry, tmp_path: Path) -> None:
        """A later matching date that makes a child old enough is reported as a changed verdict."""
        newborn = make_record(
            patient={"date_of_birth": "2026-10-25"},
            diagnosis={"date": "2026-11-01"},
            genetics={"kmt2a": {"status": "rearranged"}},
            consent=None,
            study_entry_date=None,
            mrd=[],
            attestations=[],
        )
        save(registry, record_file(tmp_path, newborn))
        later = run_search(registry, "child", as_of=date(2026, 11, 30), today=TODAY)
        assert [c.to_dict() for c in later.changed] == [
            {"trial": "NCT04065399", "before": "not eligible", "after": "needs review"}
        ]


class TestNames:
    def test_a_taken_name_needs_replace(self, registry: Registry, tmp_path: Path) -> None:
        """Saving twice under one name is refused unless replace is asked for."""
        path = record_file(tmp_path, make_record())
        save(registry, path)
        with pytest.raises(InputError, match="use --replace"):
            save(registry, path)
        save(registry, path, replace=True)
        assert search_names(registry) == ["child"]

    @pytest.mark.parametrize("name", ["", "../escape", "a b", "-dash"])
    def test_unsafe_names_are_refused(self, registry: Registry, tmp_path: Path, name: str) -> None:
        """A name that is not a plain identifier is refused before anything is written."""
        with pytest.raises(InputError):
            save(registry, record_file(tmp_path, make_record()), name=name)

    def test_running_an_unknown_search_lists_the_saved_ones(self, registry: Registry, tmp_path: Path) -> None:
        """An unknown name is an error that lists the names that exist."""
        save(registry, record_file(tmp_path, make_record()))
        with pytest.raises(InputError, match="saved: child"):
            run_search(registry, "chlid", as_of=TODAY, today=TODAY)

    def test_a_deleted_search_is_gone(self, registry: Registry, tmp_path: Path) -> None:
        """delete removes the saved search."""
        save(registry, record_file(tmp_path, make_record()))
        delete_search(registry, "child")
        assert search_names(registry) == []


class TestRecruitment:
    def test_a_matching_trial_that_stops_recruiting_is_reported(
        self, registry: Registry, tmp_path: Path
    ) -> None:
        """A re-import that changes a matching trial's status to not recruiting is part of what is new."""
        save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)))
        registry.import_files([FIXTURES / "NCT05327894_registry_changed.json"], imported_on=TODAY)
        [news] = run_all_searches(registry, as_of=TODAY, today=TODAY)
        assert [c.to_dict() for c in news.recruitment_changed] == [
            {"trial": "NCT05327894", "before": "RECRUITING", "after": "ACTIVE_NOT_RECRUITING"}
        ]


class TestSubscriber:
    def test_the_subscriber_is_kept_and_given_with_each_run(self, registry: Registry, tmp_path: Path) -> None:
        """A search saved with a subscriber names it, and its saving day, in every later run."""
        save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)), subscriber=" kim ")
        news = run_search(registry, "child", as_of=TODAY, today=TODAY)
        assert (news.subscriber, news.saved_on) == ("kim", TODAY.isoformat())

    def test_a_blank_subscriber_is_refused(self, registry: Registry, tmp_path: Path) -> None:
        """A subscriber of only spaces is an input error naming --subscriber, and nothing is saved."""
        with pytest.raises(InputError) as raised:
            save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)), subscriber="  ")
        assert raised.value.source == "--subscriber"
        assert search_names(registry) == []

    def test_a_failing_hook_leaves_the_baseline_so_the_news_comes_again(
        self, registry: Registry, tmp_path: Path
    ) -> None:
        """The hook runs before the baseline moves: if it fails, the next run finds the same trial new."""
        save(registry, record_file(tmp_path, make_record(**KMT2A_R_TODDLER)), subscriber="kim")
        registry.import_files([FIXTURES / "study_single.json"], imported_on=TODAY)

        def unreachable(news: Any) -> None:
            raise OSError("database unreachable")

        with pytest.raises(OSError, match="unreachable"):
            run_search(registry, "child", as_of=TODAY, today=TODAY, before_saving=unreachable)
        seen: list[list[str]] = []
        run_search(
            registry,
            "child",
            as_of=TODAY,
            today=TODAY,
            before_saving=lambda news: seen.append([m.trial.id for m in news.newly_matching]),
        )
        assert seen == [["NCT99000001"]]
        assert not run_search(registry, "child", as_of=TODAY, today=TODAY).anything_new
