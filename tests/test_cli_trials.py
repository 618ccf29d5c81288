"""The ``remission trials`` commands, run through the entry point in-process: output, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import run_cli

from support.records import make_record

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "trials" / "fixtures"
AS_OF = "2026-11-21"
KMT2A_R = {"genetics": {"kmt2a": {"status": "rearranged", "partner": "AFF1"}}}


def run(*args: str, registry: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--registry", str(registry)] if registry is not None else []
    return run_cli("trials", *args, *extra, cwd=REPO, env={"HOME": str(REPO / "nonexistent-home")})


def write(tmp_path: Path, data: Any, name: str = "child.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return tmp_path / "registry"


class TestImport:
    def test_importing_fixtures_succeeds_and_lists_each_study(self, registry: Path) -> None:
        """A good import exits 0 and says which studies are new."""
        result = run(
            "import",
            str(FIXTURES / "study_single.json"),
            str(FIXTURES / "studies_page.json"),
            "--json",
            registry=registry,
        )
        assert result.returncode == 0, result.stderr
        changes = {row["nct_id"]: row["change"] for row in json.loads(result.stdout)["imported"]}
        assert changes == dict.fromkeys(
            ["NCT99000001", "NCT99000002", "NCT99000003", "NCT99000004", "NCT99000005"], "new"
        )

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("study.xml", "looks like XML"),
            ("missing_nct.json", "studies[1].protocolSection.identificationModule.nctId: missing"),
            ("classic_api.json", "classic API JSON, not API v2"),
        ],
    )
    def test_a_bad_file_exits_2_naming_the_file_and_item_and_imports_nothing(
        self, registry: Path, name: str, expected: str
    ) -> None:
        """Bad input prints the file and the item on stderr, exits 2, and leaves the registry empty."""
        result = run("import", str(FIXTURES / "study_single.json"), str(FIXTURES / name), registry=registry)
        assert result.returncode == 2
        assert f"error in {FIXTURES / name}" in result.stderr
        assert expected in result.stderr
        assert "Traceback" not in result.stderr
        assert not (registry / "studies").exists()


class TestMatch:
    def test_match_ranks_trials_with_verdicts_in_json(self, tmp_path: Path) -> None:
        """A KMT2A-r infant: NCT06516679 eligible first, the others needing review, with biomarkers."""
        record = write(tmp_path, make_record(**KMT2A_R))
        result = run("match", str(record), "--as-of", AS_OF, "--json", registry=tmp_path / "registry")
        assert result.returncode == 0, result.stderr
        trials = json.loads(result.stdout)["trials"]
        assert (trials[0]["trial"]["id"], trials[0]["verdict"]) == ("NCT06516679", "eligible")
        assert {t["trial"]["id"]: t["verdict"] for t in trials}["NCT05327894"] == "needs review"
        assert trials[0]["matched_biomarkers"][0]["finding"] == "KMT2A::AFF1"

    def test_match_near_reports_the_nearest_site(self, tmp_path: Path, registry: Path) -> None:
        """With --near and an imported study, the table shows the nearest open site in km."""
        assert run("import", str(FIXTURES / "study_single.json"), registry=registry).returncode == 0
        record = write(tmp_path, make_record())
        result = run(
            "match",
            str(record),
            "--as-of",
            AS_OF,
            "--near",
            "35.87,128.60",
            "--trial",
            "NCT99000001",
            registry=registry,
        )
        assert result.returncode == 0, result.stderr
        assert "Fictional Children's Hospital Busan" in result.stdout
        assert " km" in result.stdout

    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (["--near", "95,10"], "latitude 95 is not between -90 and 90"),
            (["--as-of", "21/11/2026"], "not a date in YYYY-MM-DD form"),
            (["--trial", "NCT00000000"], "not in the registry"),
        ],
    )
    def test_bad_options_exit_2_with_a_message(self, tmp_path: Path, args: list[str], expected: str) -> None:
        """A malformed option is named on stderr with exit status 2."""
        record = write(tmp_path, make_record())
        result = run("match", str(record), *args, registry=tmp_path / "registry")
        assert (result.returncode, expected in result.stderr) == (2, True), result.stderr

    def test_a_malformed_fusion_in_the_record_exits_2_naming_the_field(self, tmp_path: Path) -> None:
        """'KMT2A-AFF1' is named at genetics.fusions[0] with the expected notation."""
        record = write(tmp_path, make_record(genetics={"fusions": ["KMT2A-AFF1"]}))
        result = run("match", str(record), registry=tmp_path / "registry")
        assert result.returncode == 2
        assert (
            "genetics.fusions[0]: 'KMT2A-AFF1' is not a fusion in HGNC notation GENE1::GENE2" in result.stderr
        )

    def test_an_unknown_gene_is_warned_about_and_matching_goes_on(self, tmp_path: Path) -> None:
        """A symbol outside the gene list is a warning on stderr; the match still runs."""
        record = write(tmp_path, make_record(genetics={"fusions": ["KMT2A::AFF9"]}))
        result = run("match", str(record), "--as-of", AS_OF, registry=tmp_path / "registry")
        assert result.returncode == 0
        assert "gene 'AFF9' is not in remission's gene list" in result.stderr


class TestSearches:
    def test_save_then_import_reports_what_is_new(self, tmp_path: Path, registry: Path) -> None:
        """A saved search is re-run by an import and shows the newly matching trial."""
        record = write(
            tmp_path, make_record(patient={"date_of_birth": "2025-01-15"}, diagnosis={"date": "2025-06-01"})
        )
        saved = run("search", "save", str(record), "--name", "inf-01", "--as-of", AS_OF, registry=registry)
        assert saved.returncode == 0, saved.stderr
        imported = run("import", str(FIXTURES / "study_single.json"), "--as-of", AS_OF, registry=registry)
        assert imported.returncode == 0, imported.stderr
        assert "search inf-01 (INF-001): what is new" in imported.stdout
        assert "new: NCT99000001 — needs review" in imported.stdout

    def test_running_an_unknown_search_exits_2(self, registry: Path) -> None:
        """An unknown search name is an input error."""
        result = run("search", "run", "nobody", registry=registry)
        assert result.returncode == 2
        assert "no saved search of this name" in result.stderr


class TestCuration:
    def test_validate_accepts_a_shipped_file(self) -> None:
        """A shipped curated file is valid."""
        result = run("validate", str(REPO / "src" / "remission" / "trials" / "data" / "NCT05327894.yaml"))
        assert result.returncode == 0
        assert "valid" in result.stdout

    def test_validate_names_a_criterion_on_a_field_the_record_lacks(self, tmp_path: Path) -> None:
        """A curated file whose expression reads an unknown field exits 2 naming the criterion."""
        text = (REPO / "src" / "remission" / "trials" / "data" / "NCT05327894.yaml").read_text("utf-8")
        broken = write(
            tmp_path,
            text.replace(
                "field: genetics.kmt2a.status\n      equals: germline",
                "field: genetics.kmt2a.state\n      equals: germline",
            ),
            "NCT05327894.yaml",
        )
        result = run("validate", str(broken))
        assert result.returncode == 2
        assert "the record has no field 'genetics.kmt2a.state'" in result.stderr

    def test_show_prints_the_verbatim_criteria(self, registry: Path) -> None:
        """show lists each criterion with its verbatim text."""
        result = run("show", "NCT05327894", registry=registry)
        assert result.returncode == 0
        assert "KMT2A-germline patients" in result.stdout
