"""Reading ClinicalTrials.gov API v2 files and turning studies into trials with automatic criteria."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from remission.protocols.model import DecidedBy
from remission.trials import Registry, TrialFileError, read_study_file, study_to_trial

from .conftest import FIXTURES

IMPORTED_ON = date(2026, 11, 21)


def trial_of(name: str, index: int = 0):
    study = read_study_file(FIXTURES / name)[index]
    return study_to_trial(study.study, imported_on=IMPORTED_ON, source_file=study.source)


def criterion(trial, criterion_id: str):
    return next(c for c in trial.protocol.eligibility if c.id == criterion_id)


class TestReading:
    def test_a_single_study_file_gives_one_study(self) -> None:
        """A file holding one study object is read as that study."""
        studies = read_study_file(FIXTURES / "study_single.json")
        assert [s.nct_id for s in studies] == ["NCT99000001"]

    def test_a_page_file_gives_every_study_with_its_position(self) -> None:
        """A {"studies": [...]} page gives each study, named by its place in the page."""
        studies = read_study_file(FIXTURES / "studies_page.json")
        assert [s.nct_id for s in studies] == ["NCT99000002", "NCT99000003", "NCT99000004", "NCT99000005"]
        assert studies[2].source.endswith("studies_page.json studies[2]")

    @pytest.mark.parametrize(
        ("name", "field", "message"),
        [
            ("not_json.txt", "(json)", "not JSON"),
            ("study.xml", "(file)", "looks like XML"),
            ("classic_api.json", "(file)", "classic API JSON, not API v2"),
            ("wrong_shape.json", "(file)", "JSON list"),
            ("empty_page.json", "studies", "holds no studies"),
            (
                "missing_nct.json",
                "studies[1].protocolSection.identificationModule.nctId",
                "needs its NCT number",
            ),
            (
                "bad_age.json",
                "(NCT99000008) protocolSection.eligibilityModule.minimumAge",
                "unknown unit 'Moons'",
            ),
            ("bad_status.json", "(NCT99000009) protocolSection.statusModule.overallStatus", "'OPEN'"),
            (
                "bad_geo.json",
                "(NCT99000010) protocolSection.contactsLocationsModule.locations[0].geoPoint.lat",
                "[-90, 90]",
            ),
        ],
    )
    def test_a_malformed_file_is_refused_naming_the_file_and_item(
        self, name: str, field: str, message: str
    ) -> None:
        """Each kind of bad file gives an error that names the file, the item and the problem."""
        with pytest.raises(TrialFileError) as caught:
            read_study_file(FIXTURES / name)
        assert caught.value.source == str(FIXTURES / name)
        assert [(p.field, message in p.problem) for p in caught.value.problems] == [(field, True)]

    def test_a_missing_file_is_an_input_error(self, tmp_path: Path) -> None:
        """A path that does not exist is reported, not raised as a traceback."""
        with pytest.raises(TrialFileError, match="No such file"):
            read_study_file(tmp_path / "absent.json")


class TestStructuredCriteria:
    def test_minimum_age_in_months_becomes_an_age_test_in_months(self) -> None:
        """minimumAge '12 Months' is age ≥ 12 completed months on the matching date."""
        trial = trial_of("study_single.json")
        test = criterion(trial, "registry-minimum-age").expression
        assert test.model_dump(by_alias=True, exclude_none=True) == {
            "age": {"on": "study_entry", "unit": "months", "ge": {"param": "minimum_age_months"}}
        }
        assert trial.protocol.parameters["minimum_age_months"].value == 12

    def test_maximum_age_in_years_becomes_an_inclusive_age_test_in_years(self) -> None:
        """maximumAge '18 Years' is age ≤ 18 completed years."""
        trial = trial_of("study_single.json")
        test = criterion(trial, "registry-maximum-age").expression
        assert test.model_dump(by_alias=True, exclude_none=True)["age"]["le"] == {
            "param": "maximum_age_years"
        }
        assert trial.protocol.parameters["maximum_age_years"].value == 18

    def test_weeks_become_days_in_the_parameter(self) -> None:
        """maximumAge '6 Weeks' is held as 42 days, and the parameter says so."""
        trial = trial_of("studies_page.json", 0)
        parameter = trial.protocol.parameters["maximum_age_days"]
        assert parameter.value == 42
        assert "6 weeks = 42 days" in parameter.description

    def test_a_missing_or_na_bound_makes_no_criterion(self) -> None:
        """'N/A' and an absent maximumAge add no age criterion: there is no limit."""
        trial = trial_of("studies_page.json", 1)
        assert not any(c.id.endswith("-age") for c in trial.protocol.eligibility)

    def test_a_bound_in_hours_that_is_not_whole_days_stays_for_a_person(self) -> None:
        """minimumAge '36 Hours' becomes a not-computable criterion, never a guessed day count."""
        trial = trial_of("studies_page.json", 3)
        minimum = criterion(trial, "registry-minimum-age")
        assert (minimum.decided, minimum.expression) == (DecidedBy.NOT_COMPUTABLE, None)

    def test_sex_other_than_all_becomes_a_test_of_the_patients_sex(self) -> None:
        """sex FEMALE is the inclusion patient.sex = female."""
        trial = trial_of("studies_page.json", 0)
        test = criterion(trial, "registry-sex").expression
        assert test.model_dump(by_alias=True, exclude_none=True) == {
            "field": "patient.sex",
            "equals": "female",
        }

    def test_sex_all_makes_no_criterion(self) -> None:
        """sex ALL restricts nobody."""
        trial = trial_of("study_single.json")
        assert not any(c.id == "registry-sex" for c in trial.protocol.eligibility)


class TestFreeText:
    def test_each_bullet_is_a_not_computable_criterion_with_its_text(self) -> None:
        """The free text is split into bullets kept verbatim and not computable."""
        trial = trial_of("study_single.json")
        texts = [
            (c.kind.value, c.text, c.decided) for c in trial.protocol.eligibility if c.source == "registry"
        ]
        assert ("exclusion", "Down syndrome", DecidedBy.NOT_COMPUTABLE) in texts
        assert (
            "inclusion",
            "Newly diagnosed acute lymphoblastic leukemia",
            DecidedBy.NOT_COMPUTABLE,
        ) in texts

    def test_bullet_ids_follow_the_text_not_the_position(self) -> None:
        """The same bullet keeps its id when another bullet is added before it."""
        trial = trial_of("study_single.json")
        down = next(c.id for c in trial.protocol.eligibility if c.text == "Down syndrome")
        study = read_study_file(FIXTURES / "study_single.json")[0].study
        module = study["protocolSection"]["eligibilityModule"]
        module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(
            "Exclusion Criteria:\n\n", "Exclusion Criteria:\n\n* Prior CAR-T therapy\n"
        )
        changed = study_to_trial(study, imported_on=IMPORTED_ON, source_file="edited")
        assert down in {c.id for c in changed.protocol.eligibility}

    def test_a_study_without_criteria_text_is_never_complete(self) -> None:
        """No free text gives a not-computable placeholder, so the study cannot look eligible."""
        trial = trial_of("studies_page.json", 1)
        assert [c.id for c in trial.protocol.eligibility] == ["registry-criteria-text"]

    def test_bullets_before_any_heading_are_inclusions_with_a_note(self) -> None:
        """Bullets without a heading become inclusions, and their note says the kind was assumed."""
        trial = trial_of("studies_page.json", 2)
        bullet = next(c for c in trial.protocol.eligibility if c.text == "Relapsed acute leukemia")
        assert bullet.kind.value == "inclusion"
        assert "kind assumed inclusion" in (bullet.note or "")


class TestRegistryFields:
    def test_status_sites_and_provenance_are_taken_from_the_record(self) -> None:
        """Status with its date, every site with coordinates, and a registry source with the URL."""
        trial = trial_of("study_single.json")
        assert (trial.status.overall.value, trial.status.as_of) == ("RECRUITING", date(2026, 10, 1))
        assert [s.city for s in trial.sites] == ["Seoul", "Busan", "Daegu", "Incheon"]
        assert trial.sites[3].lat is None
        registry = trial.protocol.provenance.sources[0]
        assert registry.url == "https://clinicaltrials.gov/study/NCT99000001"


class TestImportIsAllOrNothing:
    def test_a_bad_file_among_good_ones_imports_nothing(self, registry: Registry) -> None:
        """When one file is bad, no study of any file is written."""
        with pytest.raises(TrialFileError):
            registry.import_files(
                [FIXTURES / "study_single.json", FIXTURES / "missing_nct.json"], imported_on=IMPORTED_ON
            )
        assert registry.imported_trials() == {}

    def test_importing_twice_reports_unchanged_and_a_new_version_updated(
        self, registry: Registry, tmp_path: Path
    ) -> None:
        """A second import of the same record is unchanged; an edited record is updated."""
        registry.import_files([FIXTURES / "study_single.json"], imported_on=IMPORTED_ON)
        again = registry.import_files([FIXTURES / "study_single.json"], imported_on=IMPORTED_ON)
        edited = tmp_path / "edited.json"
        text = (FIXTURES / "study_single.json").read_text("utf-8").replace("RECRUITING", "SUSPENDED", 1)
        edited.write_text(text, "utf-8")
        updated = registry.import_files([edited], imported_on=IMPORTED_ON)
        assert [o.change for o in again] == ["unchanged"]
        assert [o.change for o in updated] == ["updated"]

    def test_two_different_versions_of_one_study_in_one_import_are_refused(
        self, registry: Registry, tmp_path: Path
    ) -> None:
        """The same NCT number with different content in one import is an error naming it."""
        edited = tmp_path / "edited.json"
        text = (FIXTURES / "study_single.json").read_text("utf-8").replace("RECRUITING", "SUSPENDED", 1)
        edited.write_text(text, "utf-8")
        with pytest.raises(TrialFileError, match="NCT99000001 is given twice"):
            registry.import_files([FIXTURES / "study_single.json", edited], imported_on=IMPORTED_ON)


class TestStoredRecords:
    def test_a_stored_record_edited_into_nonsense_is_refused_by_path(self, registry: Registry) -> None:
        """A hand-edited stored study that lost its NCT number is an input error naming the file."""
        registry.import_files([FIXTURES / "study_single.json"], imported_on=IMPORTED_ON)
        stored = registry.studies_dir / "NCT99000001.json"
        stored.write_text(stored.read_text("utf-8").replace('"nctId": "NCT99000001"', '"nctId": 7'), "utf-8")
        with pytest.raises(TrialFileError) as caught:
            registry.trials()
        assert caught.value.source == str(stored)
        assert caught.value.problems[0].field == "study.protocolSection.identificationModule.nctId"

    def test_the_registry_folder_follows_the_environment_variable(self, monkeypatch, tmp_path: Path) -> None:
        """$REMISSION_TRIALS_REGISTRY names the default registry folder."""
        from remission.trials import ENV_VARIABLE, default_registry_path

        monkeypatch.setenv(ENV_VARIABLE, str(tmp_path / "elsewhere"))
        assert default_registry_path() == tmp_path / "elsewhere"
