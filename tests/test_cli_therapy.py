"""``remission therapy``, run through the entry point in-process."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli

REPO = Path(__file__).resolve().parents[1]

RECORD: dict[str, Any] = {
    "patient": {"study_id": "TX-CLI", "date_of_birth": "2025-11-21"},
    "diagnosis": {"who_type": "B-ALL", "immunophenotype": {"CD19": "positive"}},
    "genetics": {"fusions": ["BCR::ABL1"], "ph_status": "positive"},
    "relapse_status": "never relapsed",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("therapy", *args, cwd=REPO)


def write(tmp_path: Path, data: Any, name: str = "record.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


class TestTherapyCommand:
    def test_json_ranks_options_with_status_and_reasons(self, tmp_path: Path) -> None:
        """`therapy --json` prints ranked options, each with its status, level and matched fields."""
        result = run(str(write(tmp_path, RECORD)), "--json", "--as-of", "2026-11-21")
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert payload["age"]["years"] == 1
        options = {o["entry"]: o for o in payload["options"]}
        assert options["bcr-abl1-dasatinib"]["status"] == "approved"
        assert options["bcr-abl1-ponatinib"]["status"] == "adult-only"
        assert [o["rank"] for o in payload["options"]] == list(range(1, len(payload["options"]) + 1))

    def test_as_of_changes_the_age_and_the_coverage(self, tmp_path: Path) -> None:
        """The day before the first birthday dasatinib is off-label for the same record."""
        result = run(str(write(tmp_path, RECORD)), "--json", "--as-of", "2026-11-20")
        assert result.returncode == 0, result.stderr
        options = {o["entry"]: o for o in json.loads(result.stdout)["options"]}
        assert options["bcr-abl1-dasatinib"]["status"] == "off-label"

    def test_table_lists_therapies_and_assumptions(self, tmp_path: Path) -> None:
        """Without --json the command prints a table naming the therapies and the assumptions used."""
        result = run(str(write(tmp_path, RECORD)), "--as-of", "2026-11-21")
        assert result.returncode == 0, result.stderr
        assert "dasatinib" in result.stdout
        assert "approved (FDA)" in result.stdout
        assert "ASSUMPTION" in result.stdout

    def test_malformed_record_exits_2_with_field_messages(self, tmp_path: Path) -> None:
        """A record with a malformed fusion and a bad value exits 2, one line per field."""
        bad = {**RECORD, "genetics": {"fusions": ["BCR-ABL1"]}, "relapse_status": "relapsed"}
        result = run(str(write(tmp_path, bad)))
        assert result.returncode == 2
        assert "genetics.fusions[0]" in result.stderr
        assert "relapse_status" in result.stderr
        assert "Traceback" not in result.stderr

    def test_bad_date_exits_2(self, tmp_path: Path) -> None:
        """An --as-of value that is not a date exits 2."""
        result = run(str(write(tmp_path, RECORD)), "--as-of", "21/11/2026")
        assert result.returncode == 2
        assert "--as-of" in result.stderr

    def test_bad_knowledge_file_exits_2_naming_entry_and_field(self, tmp_path: Path) -> None:
        """A knowledge directory with a malformed fusion exits 2 naming the entry and field."""
        data = resources.files("remission.knowledge") / "data"
        kb = tmp_path / "kb"
        kb.mkdir()
        for name in ("foundations.yaml", "philadelphia.yaml"):
            shutil.copyfile(str(data / name), kb / name)
        text = (
            (kb / "philadelphia.yaml").read_text("utf-8").replace("fusion: BCR::ABL1", "fusion: BCR-ABL1", 1)
        )
        (kb / "philadelphia.yaml").write_text(text, "utf-8")
        result = run(str(write(tmp_path, RECORD)), "--knowledge", str(kb))
        assert result.returncode == 2
        assert "entry bcr-abl1-imatinib (entries[0]): biomarker.fusion" in result.stderr
