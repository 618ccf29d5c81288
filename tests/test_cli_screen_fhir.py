"""`remission screen` reads FHIR bundles: the mapping report, then the usual decision; bad bundles exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.cli import run_cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "fhir"
RECORD = sorted((REPO / "examples" / "patients").glob("INF-01-*.json"))[0]
AS_OF = "2024-12-10"


def screen(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("screen", *args, "--protocol", "NCT06516679", "--as-of", AS_OF, cwd=REPO)


class TestExamples:
    @pytest.mark.parametrize(
        ("name", "verdict"),
        [("eligible", "eligible"), ("not-eligible", "not eligible"), ("incomplete", "needs review")],
    )
    def test_each_example_bundle_gets_its_decision(self, name: str, verdict: str) -> None:
        """Each shipped bundle screens to the verdict its name says."""
        completed = screen(str(EXAMPLES / f"{name}.json"), "--json")
        assert completed.returncode == 0, completed.stderr
        assert json.loads(completed.stdout)["verdict"] == verdict

    def test_the_report_comes_before_the_table(self) -> None:
        """The table output starts with the mapping report: what was read from which resource."""
        completed = screen(str(EXAMPLES / "eligible.json"))
        assert completed.returncode == 0, completed.stderr
        lines = completed.stdout.splitlines()
        assert lines[0] == f"FHIR import of {EXAMPLES / 'eligible.json'} (18 resources)"
        assert (
            "  wbc_at_diagnosis_1e9_per_l ← Observation/wbc-dx.valueQuantity = 24600 /uL = 24.6 ×10⁹/L"
            in lines
        )
        assert completed.stdout.index("FHIR import") < completed.stdout.index("ELIGIBLE")

    def test_the_incomplete_bundle_names_the_missing_inputs(self) -> None:
        """The incomplete bundle needs review, and the report and sentences say what is missing."""
        completed = screen(str(EXAMPLES / "incomplete.json"), "--explain")
        assert completed.returncode == 0, completed.stderr
        out = completed.stdout
        assert "unknown (needs review):" in out
        assert (
            "  diagnosis.who_type: Condition/dx-1.code C91.00 is acute lymphoblastic leukaemia without B or T"
            in out
        )
        assert "wbc_at_diagnosis_1e9_per_l: conflicting counts on the diagnosis date" in out
        assert "NEEDS REVIEW" in out
        assert "Needed: diagnosis (WHO type)" in out

    def test_json_carries_the_report(self) -> None:
        """--json adds the mapping report as fhir_import beside the decision."""
        completed = screen(str(EXAMPLES / "incomplete.json"), "--json")
        payload = json.loads(completed.stdout)
        unknown = {item["field"] for item in payload["fhir_import"]["unknown"]}
        assert {"diagnosis.who_type", "wbc_at_diagnosis_1e9_per_l", "syndromes"} <= unknown
        assert payload["fhir_import"]["source"] == str(EXAMPLES / "incomplete.json")

    def test_records_and_bundles_mix(self) -> None:
        """A record file and a bundle screen together; only the bundle has a report."""
        completed = screen(str(RECORD), str(EXAMPLES / "eligible.json"), "--json")
        assert completed.returncode == 0, completed.stderr
        record, bundle = json.loads(completed.stdout)
        assert "fhir_import" not in record
        assert bundle["fhir_import"]["resources"] == 18


class TestBadBundles:
    def write(self, tmp_path: Path, data: object, name: str = "bad.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(data) if not isinstance(data, str) else data)
        return path

    def eligible(self) -> dict:
        return json.loads((EXAMPLES / "eligible.json").read_text())

    def test_an_unknown_unit_exits_2_naming_resource_and_element(self, tmp_path: Path) -> None:
        """A WBC in 'cells/uL' (not UCUM) is refused with the resource and element, exit 2."""
        data = self.eligible()
        data["entry"][2]["resource"]["valueQuantity"]["code"] = "cells/uL"
        path = self.write(tmp_path, data)
        completed = screen(str(path))
        assert completed.returncode == 2
        assert f"error in {path}:" in completed.stderr
        assert "Observation/wbc-dx.valueQuantity.code: WBC unit 'cells/uL'" in completed.stderr
        assert completed.stdout == ""

    def test_an_r5_bundle_exits_2(self, tmp_path: Path) -> None:
        """A bundle whose profiles name FHIR 5.0.0 is refused."""
        data = self.eligible()
        data["entry"][0]["resource"]["meta"]["profile"] = [
            "http://hl7.org/fhir/StructureDefinition/Patient|5.0.0"
        ]
        completed = screen(str(self.write(tmp_path, data)))
        assert completed.returncode == 2
        assert "Patient (entry[0]).meta.profile" in completed.stderr

    def test_an_unknown_resource_type_exits_2(self, tmp_path: Path) -> None:
        """An entry of a type FHIR does not define is named by its position."""
        data = self.eligible()
        data["entry"].append({"resource": {"resourceType": "Chart"}})
        completed = screen(str(self.write(tmp_path, data)))
        assert completed.returncode == 2
        assert "Bundle.entry[18].resource.resourceType: 'Chart' unknown resource type" in completed.stderr

    def test_malformed_json_exits_2(self, tmp_path: Path) -> None:
        """A truncated file is a JSON error, not a traceback."""
        text = (EXAMPLES / "eligible.json").read_text()[:200]
        completed = screen(str(self.write(tmp_path, text)))
        assert completed.returncode == 2
        assert "Traceback" not in completed.stderr

    def test_one_bad_bundle_stops_before_anything_is_printed(self, tmp_path: Path) -> None:
        """A good bundle before a bad one prints nothing: no partial output."""
        data = self.eligible()
        data["entry"][0]["resource"]["birthDate"] = "2024-13-01"
        completed = screen(str(EXAMPLES / "eligible.json"), str(self.write(tmp_path, data)))
        assert completed.returncode == 2
        assert completed.stdout == ""
        assert "Patient/INF-F01.birthDate:" in completed.stderr


@pytest.mark.parametrize(("path", "fhir"), [(EXAMPLES / "eligible.json", True), (RECORD, False)])
def test_screening_imports_no_dataframe_or_database_library(path: Path, fhir: bool) -> None:
    """`remission screen` loads the FHIR models only for a bundle, and never pandas, pyarrow or SQLAlchemy."""
    probe = (
        "import json, sys\n"
        "from remission.cli.main import app\n"
        "try:\n    app(sys.argv[1:], prog_name='remission')\n"
        "except SystemExit as exit:\n    code = exit.code\n"
        "heavy = [n for n in ('pandas', 'pyarrow', 'sqlalchemy') if n in sys.modules]\n"
        "fhir = 'fhir.resources.R4B.bundle' in sys.modules\n"
        "print(json.dumps({'code': code, 'heavy': heavy, 'fhir': fhir}))\n"
    )
    args = ["screen", str(path), "-p", "NCT06516679", "--json"]
    completed = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == {"code": 0, "heavy": [], "fhir": fhir}
