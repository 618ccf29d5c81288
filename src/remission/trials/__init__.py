"""The trial registry: ClinicalTrials.gov API v2 import, curated computable criteria, matching.

Trials are screened with the protocols' engine (:mod:`remission.protocols.screening`), so a
trial verdict means what a protocol verdict means. See ``docs/trials.md``.
"""

from __future__ import annotations

from remission.rules.expressions import parameters_read
from remission.trials.ages import AgeFormatError, RegisteredAge, parse_registered_age
from remission.trials.biomarkers import BiomarkerMatch, match_biomarker
from remission.trials.cohort import FlatCriterion, TrialCriteria, flat_criteria
from remission.trials.criteria_text import Bullet, split_criteria
from remission.trials.ctgov_read import StudyInFile, TrialFileError, read_study_file
from remission.trials.ctgov_trial import study_to_trial
from remission.trials.curated import (
    generate_trial_schema,
    load_curated_file,
    load_curated_text,
    load_shipped_trial,
    parse_curated_trial,
    shipped_trial_ids,
    shipped_trials,
    trial_json_schema,
)
from remission.trials.genes import fusion_problem, known_genes, record_gene_warnings, record_notation_problems
from remission.trials.geo import (
    EARTH_MEAN_RADIUS_KM,
    NearestSite,
    Point,
    great_circle_km,
    nearest_site,
    parse_point,
)
from remission.trials.matching import match_trial, match_trials, screen_for_trial, trial_reference_dates
from remission.trials.merge import merge_trial
from remission.trials.model import (
    Biomarker,
    CuratedTrial,
    OverallStatus,
    RegistryRecord,
    Site,
    Status,
    Trial,
    recruitment_rank,
)
from remission.trials.records import read_record_file, record_from_data
from remission.trials.registry import ENV_VARIABLE, ImportOutcome, Registry, default_registry_path
from remission.trials.results import MatchReport, TrialMatch
from remission.trials.searches import (
    VerdictChange,
    WhatsNew,
    delete_search,
    run_all_searches,
    run_search,
    save_search,
    search_names,
    search_summary,
)

__all__ = [
    "EARTH_MEAN_RADIUS_KM",
    "ENV_VARIABLE",
    "AgeFormatError",
    "Biomarker",
    "BiomarkerMatch",
    "Bullet",
    "CuratedTrial",
    "FlatCriterion",
    "ImportOutcome",
    "MatchReport",
    "NearestSite",
    "OverallStatus",
    "Point",
    "RegisteredAge",
    "Registry",
    "RegistryRecord",
    "Site",
    "Status",
    "StudyInFile",
    "Trial",
    "TrialCriteria",
    "TrialFileError",
    "TrialMatch",
    "VerdictChange",
    "WhatsNew",
    "default_registry_path",
    "delete_search",
    "flat_criteria",
    "fusion_problem",
    "generate_trial_schema",
    "great_circle_km",
    "known_genes",
    "load_curated_file",
    "load_curated_text",
    "load_shipped_trial",
    "match_biomarker",
    "match_trial",
    "match_trials",
    "merge_trial",
    "nearest_site",
    "parameters_read",
    "parse_curated_trial",
    "parse_point",
    "parse_registered_age",
    "read_record_file",
    "read_study_file",
    "record_from_data",
    "record_gene_warnings",
    "record_notation_problems",
    "recruitment_rank",
    "run_all_searches",
    "run_search",
    "save_search",
    "screen_for_trial",
    "search_names",
    "search_summary",
    "shipped_trial_ids",
    "shipped_trials",
    "split_criteria",
    "study_to_trial",
    "trial_json_schema",
    "trial_reference_dates",
]
