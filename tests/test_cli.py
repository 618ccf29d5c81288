"""The ``remission`` command line, run in-process through its entry point; a few tests run the
installed command as a real subprocess, for the entry point and its exit codes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import run_cli

REPO = Path(__file__).resolve().parents[1]

RECORD: dict[str, Any] = {
    "patient": {"study_id": "CLI-01", "site": "SEV", "sex": "male", "date_of_birth": "2025-01-15"},
    "diagnosis": {"date": "2025-06-02", "who_type": "B-ALL"},
    "genetics": {"kmt2a": {"status": "germline"}},
    "syndromes": [],
    "prior_steroids": [],
    "prior_hsct": False,
    "relapse_status": "never relapsed",
    "consent": {"given_by": "parents", "date": "2025-06-03", "form_version": "1.0"},
    "other_studies": [],
    "study_entry_date": "2025-06-04",
    "mrd": [
        {
            "time_point": "after consolidation 1",
            "method": "IG/TR RQ-PCR",
            "sample_date": "2025-08-01",
            "value_fraction": 0.0,
            "sensitivity_fraction": 1e-5,
        }
    ],
    "attestations": [
        {
            "protocol_id": "NCT06516679",
            "criterion_id": "excl-contraindication",
            "outcome": "not met",
            "attested_by": "Dr. Min-ji Park",
            "date": "2025-06-04",
        }
    ],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=REPO)


def run_installed(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m remission ARGS`` as a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "remission", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def write(tmp_path: Path, data: Any, name: str = "record.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


class TestScreen:
    def test_json_has_verdict_and_criteria_fields(self, tmp_path: Path) -> None:
        """`screen --json` prints the verdict and each criterion's id, kind, status, text and reason."""
        result = run("screen", str(write(tmp_path, RECORD)), "--protocol", "NCT06516679", "--json")
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert payload["verdict"] == "eligible"
        assert {c["id"] for c in payload["criteria"]} >= {"incl-age", "excl-steroids"}
        for criterion in payload["criteria"]:
            assert set(criterion) >= {"id", "kind", "status", "text", "reason"}

    def test_table_names_verdict(self, tmp_path: Path) -> None:
        """Without --json, `screen` prints a readable table ending in the verdict."""
        result = run("screen", str(write(tmp_path, RECORD)), "-p", "NCT06516679")
        assert result.returncode == 0, result.stderr
        assert "ELIGIBLE" in result.stdout
        assert "incl-diagnosis" in result.stdout

    def test_missing_field_needs_review(self, tmp_path: Path) -> None:
        """A record without syndromes recorded is `needs review`, naming the missing field."""
        record = {key: value for key, value in RECORD.items() if key != "syndromes"}
        result = run("screen", str(write(tmp_path, record)), "-p", "NCT06516679", "--json")
        payload = json.loads(result.stdout)
        assert payload["verdict"] == "needs review"
        assert payload["missing"] == ["syndromes"]

    def test_several_records_give_a_json_list(self, tmp_path: Path) -> None:
        """Several record files are screened in one call and printed as a JSON list."""
        other = {**RECORD, "patient": {**RECORD["patient"], "study_id": "CLI-02"}}
        paths = [str(write(tmp_path, RECORD, "a.json")), str(write(tmp_path, other, "b.json"))]
        result = run("screen", *paths, "-p", "NCT06516679", "--json")
        assert [item["study_id"] for item in json.loads(result.stdout)] == ["CLI-01", "CLI-02"]

    def test_param_override_changes_the_decision(self, tmp_path: Path) -> None:
        """`--param` replaces a protocol parameter for the run."""
        record = {
            **RECORD,
            "prior_steroids": [
                {
                    "drug": "prednisolone",
                    "systemic": True,
                    "start_date": "2025-05-01",
                    "end_date": "2025-05-05",
                }
            ],
        }
        path = str(write(tmp_path, record))
        default = json.loads(run("screen", path, "-p", "NCT06516679", "--json").stdout)
        widened = run("screen", path, "-p", "NCT06516679", "--json", "--param", "steroid_window_days=40")
        assert default["verdict"] == "eligible"
        assert json.loads(widened.stdout)["failing"] == ["excl-steroids"]


class TestStratify:
    def test_json_has_group_arm_missing_trace(self, tmp_path: Path) -> None:
        """`stratify --json` gives risk_group, arm, missing and trace."""
        result = run("stratify", str(write(tmp_path, RECORD)), "-p", "NCT06516679", "--json")
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert (payload["risk_group"], payload["arm"], payload["missing"]) == ("LR", "LR-arm", [])
        assert {rule["rule"] for rule in payload["trace"]} >= {"after_consolidation_1:LR"}

    def test_pending_without_mrd(self, tmp_path: Path) -> None:
        """Without MRD after consolidation 1 the risk group is pending and MRD is named as missing."""
        record = {**RECORD, "mrd": []}
        payload = json.loads(
            run("stratify", str(write(tmp_path, record)), "-p", "NCT06516679", "--json").stdout
        )
        assert payload["risk_group"] == "pending"
        assert payload["arm"] is None
        assert payload["missing"] == ["mrd[after consolidation 1]"]

    def test_second_protocol_runs_through_the_same_command(self, tmp_path: Path) -> None:
        """Interfant-06 stratifies through the same command and engine."""
        record = {**RECORD, "wbc_at_diagnosis_1e9_per_l": 20.0}
        payload = json.loads(
            run("stratify", str(write(tmp_path, record)), "-p", "INTERFANT-06", "--json").stdout
        )
        assert payload["protocol"]["id"] == "INTERFANT-06"
        assert payload["risk_group"] == "LR"


BAD_INPUTS = [
    ("malformed json", '{"patient": ', "(json)"),
    ("unknown field", {**RECORD, "favourite_colour": "blue"}, "favourite_colour"),
    ("diagnosis before birth", {**RECORD, "diagnosis": {"date": "2024-12-01"}}, "diagnosis.date"),
    ("negative count", {**RECORD, "wbc_at_diagnosis_1e9_per_l": -1}, "wbc_at_diagnosis_1e9_per_l"),
    (
        "MRD above 1",
        {**RECORD, "mrd": [{**RECORD["mrd"][0], "value_fraction": 1.5}]},
        "mrd[0].value_fraction",
    ),
    ("date in the future", {**RECORD, "diagnosis": {"date": "2999-01-01"}}, "diagnosis.date"),
]


class TestBadInput:
    @pytest.mark.parametrize(("case", "data", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
    def test_record_problem_exits_2_naming_the_field(
        self, tmp_path: Path, case: str, data: Any, field: str
    ) -> None:
        """Bad record input exits 2 with a message naming the field and no traceback."""
        result = run("screen", str(write(tmp_path, data)), "-p", "NCT06516679")
        assert result.returncode == 2
        assert field in result.stderr
        assert "Traceback" not in result.stderr + result.stdout

    def test_unknown_protocol_exits_2(self, tmp_path: Path) -> None:
        """An unknown protocol id exits 2 and lists the shipped ones."""
        result = run("screen", str(write(tmp_path, RECORD)), "-p", "NOPE")
        assert result.returncode == 2
        assert "NCT06516679" in result.stderr

    def test_missing_file_exits_2(self, tmp_path: Path) -> None:
        """A record path that does not exist exits 2 naming the file."""
        result = run("screen", str(tmp_path / "absent.json"), "-p", "NCT06516679")
        assert result.returncode == 2
        assert "absent.json" in result.stderr

    def test_unknown_param_exits_2(self, tmp_path: Path) -> None:
        """`--param` with a name the protocol lacks exits 2 and names it."""
        result = run("screen", str(write(tmp_path, RECORD)), "-p", "NCT06516679", "--param", "nope=1")
        assert result.returncode == 2
        assert "nope" in result.stderr

    def test_param_outside_choices_exits_2(self, tmp_path: Path) -> None:
        """`--param` with a value outside the parameter's choices exits 2."""
        result = run(
            "screen",
            str(write(tmp_path, RECORD)),
            "-p",
            "NCT06516679",
            "--param",
            "steroid_window_reference=birth",
        )
        assert result.returncode == 2
        assert "steroid_window_reference" in result.stderr

    def test_screen_protocol_without_eligibility_exits_2(self, tmp_path: Path) -> None:
        """Screening against a protocol that encodes no eligibility exits 2 and says so."""
        result = run("screen", str(write(tmp_path, RECORD)), "-p", "INTERFANT-06")
        assert result.returncode == 2
        assert "no eligibility" in result.stderr

    def test_broken_protocol_file_exits_2_naming_the_field(self, tmp_path: Path) -> None:
        """`protocol validate` on a file that breaks the schema exits 2 and names the field."""
        text = (REPO / "src/remission/protocols/data/NCT06516679.yaml").read_text("utf-8")
        broken = write(
            tmp_path, text.replace("field: diagnosis.who_type", "field: diagnosis.kind", 1), "p.yaml"
        )
        result = run("protocol", "validate", str(broken))
        assert result.returncode == 2
        assert "diagnosis.kind" in result.stderr
        assert "Traceback" not in result.stderr


class TestInputLimits:
    """Record files are read within limits: each refusal exits 2 with one problem naming the file."""

    def refused(self, result: subprocess.CompletedProcess[str], file: Path | str, words: str) -> None:
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        header, *lines = result.stderr.strip().splitlines()
        assert str(file) in header
        assert len(lines) == 1, result.stderr
        assert words in lines[0]

    def test_huge_file_is_refused_after_the_limit(self, tmp_path: Path) -> None:
        """A 10 GB (sparse) record file is refused for its size, naming the limit and its variable."""
        huge = tmp_path / "huge.json"
        with huge.open("wb") as stream:
            stream.truncate(10 * 1024**3)
        result = run("screen", str(huge), "-p", "NCT06516679")
        self.refused(result, huge, "larger than the limit of 4194304 bytes (REMISSION_MAX_INPUT_BYTES)")

    def test_endless_device_is_refused(self) -> None:
        """/dev/zero, which never ends, is read only up to the limit and refused."""
        result = run_cli(
            "screen", "/dev/zero", "-p", "NCT06516679", cwd=REPO, env={"REMISSION_MAX_INPUT_BYTES": "1000"}
        )
        self.refused(result, "/dev/zero", "larger than the limit of 1000 bytes")

    def test_limit_comes_from_the_environment(self, tmp_path: Path) -> None:
        """``REMISSION_MAX_INPUT_BYTES`` lowers the limit below a valid record's size, and it is refused."""
        path = write(tmp_path, RECORD)
        size = path.stat().st_size
        env = {"REMISSION_MAX_INPUT_BYTES": str(size - 1)}
        result = run_cli("screen", str(path), "-p", "NCT06516679", cwd=REPO, env=env)
        self.refused(result, path, f"limit of {size - 1} bytes")
        env = {"REMISSION_MAX_INPUT_BYTES": str(size)}
        assert run_cli("screen", str(path), "-p", "NCT06516679", cwd=REPO, env=env).returncode == 0

    @pytest.mark.parametrize("value", ["0", "-1", "4MB", ""])
    def test_bad_limit_is_refused_by_name(self, tmp_path: Path, value: str) -> None:
        """A limit that is not a whole number of bytes, 1 or more, exits 2 naming the variable."""
        env = {"REMISSION_MAX_INPUT_BYTES": value}
        result = run_cli("screen", str(write(tmp_path, RECORD)), "-p", "NCT06516679", cwd=REPO, env=env)
        self.refused(result, "REMISSION_MAX_INPUT_BYTES", "a whole number of bytes")

    def test_deeply_nested_json_is_refused(self, tmp_path: Path) -> None:
        """JSON nested 5000 levels deep is refused naming the nesting limit."""
        path = write(tmp_path, "[" * 5000 + "]" * 5000)
        self.refused(
            run("screen", str(path), "-p", "NCT06516679"), path, "nested deeper than the limit of 32"
        )

    def test_latin_1_file_is_refused(self, tmp_path: Path) -> None:
        """A Latin-1 file is refused as not UTF-8, naming the byte and its line."""
        path = tmp_path / "latin1.json"
        path.write_bytes(
            json.dumps(
                {**RECORD, "patient": {**RECORD["patient"], "site": "Séoul"}}, ensure_ascii=False
            ).encode("latin-1")
        )
        self.refused(
            run("screen", str(path), "-p", "NCT06516679"), path, "not UTF-8 text (byte 0xe9 on line 1)"
        )

    def test_infinite_count_is_refused_on_its_field(self, tmp_path: Path) -> None:
        """``1e999`` for a white cell count is refused on that field."""
        path = write(tmp_path, json.dumps(RECORD)[:-1] + ', "wbc_at_diagnosis_1e9_per_l": 1e999}')
        self.refused(run("screen", str(path), "-p", "NCT06516679"), path, "wbc_at_diagnosis_1e9_per_l")

    @pytest.mark.parametrize(
        "command",
        [("trials", "match"), ("trials", "import"), ("therapy",)],
        ids=lambda c: " ".join(c),
    )
    def test_every_command_reading_json_applies_the_limits(
        self, tmp_path: Path, command: tuple[str, ...]
    ) -> None:
        """Commands other than ``screen`` read their files through the same limits."""
        deep = write(tmp_path, "[" * 5000 + "]" * 5000)
        self.refused(run(*command, str(deep)), deep, "nested deeper than the limit")
        latin = tmp_path / "latin1.json"
        latin.write_bytes('{"site": "Séoul"}'.encode("latin-1"))
        self.refused(run(*command, str(latin)), latin, "not UTF-8 text (byte 0xe9 on line 1)")
        huge = tmp_path / "huge.json"
        with huge.open("wb") as stream:
            stream.truncate(300 * 1024**2)
        self.refused(run(*command, str(huge)), huge, "larger than the limit of")

    @pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "a: " + "[" * 5000 + "]" * 5000])
    def test_deeply_nested_protocol_file_is_refused(self, tmp_path: Path, text: str) -> None:
        """A protocol file (YAML) nested past the parser's recursion is refused naming the limit."""
        protocol = tmp_path / "deep.yaml"
        protocol.write_text(text)
        result = run("screen", str(write(tmp_path, RECORD)), "--protocol", str(protocol))
        self.refused(result, protocol, "nested deeper than the limit of 32")

    def test_5000_digit_integer_is_refused(self, tmp_path: Path) -> None:
        """A 5000-digit integer is refused naming its length, not with Python's digit-limit traceback."""
        path = write(
            tmp_path, json.dumps(RECORD)[:-1] + ', "wbc_at_diagnosis_1e9_per_l": ' + "9" * 5000 + "}"
        )
        self.refused(run("screen", str(path), "-p", "NCT06516679"), path, "an integer of 5000 digits")

    def test_installed_command_refuses_dev_zero(self) -> None:
        """The installed command, with the default limit, reads /dev/zero boundedly and exits 2."""
        result = run_installed("screen", "/dev/zero", "-p", "NCT06516679")
        self.refused(result, "/dev/zero", "larger than the limit of 4194304 bytes")


class TestProtocolCommands:
    def test_list_json_names_both_protocols(self) -> None:
        """`protocol list --json` lists every shipped protocol."""
        ids = [item["id"] for item in json.loads(run("protocol", "list", "--json").stdout)]
        assert ids == ["INTERFANT-06", "NCT06516679"]

    def test_show_prints_verbatim_text_and_assumptions(self) -> None:
        """`protocol show` prints the verbatim criteria and marks assumed parameters."""
        result = run("protocol", "show", "NCT06516679")
        assert "The disgnosisi of ALL" in result.stdout
        assert "ASSUMPTION" in result.stdout

    def test_validate_accepts_a_shipped_file(self) -> None:
        """`protocol validate` accepts a shipped protocol file."""
        result = run("protocol", "validate", "src/remission/protocols/data/INTERFANT-06.yaml")
        assert result.returncode == 0
        assert "valid" in result.stdout

    def test_schemas_are_plain_json(self) -> None:
        """`record schema` and `protocol schema` print parseable JSON Schemas."""
        for noun in ("record", "protocol"):
            schema = json.loads(run(noun, "schema").stdout)
            assert schema["$schema"].endswith("2020-12/schema")


class TestDemo:
    def test_demo_lists_every_example_with_literal_brackets(self) -> None:
        """`demo` prints a row per example and keeps bracketed field names intact."""
        result = run("demo")
        assert result.returncode == 0, result.stderr
        examples = sorted((REPO / "examples" / "patients").glob("*.json"))
        for path in examples:
            assert path.name.split("-")[0] + "-" + path.name.split("-")[1] in result.stdout
        assert "mrd[after consolidation 1]" in result.stdout


class TestParamValues:
    def test_exponent_and_list_values_are_read_as_yaml_1_2(self, tmp_path: Path) -> None:
        """`--param` reads 1e-3 as a number and a flow list as a list of methods."""
        record = {
            **RECORD,
            "mrd": [{**RECORD["mrd"][0], "value_fraction": 5e-4, "sensitivity_fraction": 1e-5}],
        }
        path = str(write(tmp_path, record))
        default = json.loads(run("stratify", path, "-p", "NCT06516679", "--json").stdout)
        raised = run(
            "stratify", path, "-p", "NCT06516679", "--json", "--param", "mrd_threshold_fraction=1e-3"
        )
        assert default["risk_group"] == "IR"
        assert json.loads(raised.stdout)["risk_group"] == "LR"
        by_priority = run(
            "stratify",
            path,
            "-p",
            "NCT06516679",
            "--json",
            "--param",
            "mrd_disagreement_policy=method_priority",
            "--param",
            "mrd_method_priority=[IG/TR RQ-PCR, flow cytometry]",
        )
        assert by_priority.returncode == 0, by_priority.stderr
        assert json.loads(by_priority.stdout)["risk_group"] == "IR"


class TestDemoStore:
    def test_demo_loads_examples_into_the_store_once(self, tmp_path: Path) -> None:
        """`demo --database` loads every example, enrolls the eligible, and a rerun adds nothing."""
        url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
        first = run("demo", "--database", url)
        second = run("demo", "--database", url)
        assert first.returncode == 0, first.stderr
        count = len(list((REPO / "examples" / "patients").glob("*.json")))
        assert f"{count} patients" in first.stdout
        assert "audit trail intact" in first.stdout
        entries = [line for line in first.stdout.split("(") if "entries)" in line]
        assert entries
        assert entries[0] in second.stdout  # the same number of audit entries: nothing written again

    @pytest.fixture(scope="class")
    def loaded(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> tuple[str, subprocess.CompletedProcess[str]]:
        """One `demo --database` run (as `make run` starts): its database URL and its output."""
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
        return url, run("demo", "--database", url)

    def test_demo_points_to_the_web_app_and_counts_groups_readably(
        self, loaded: tuple[str, subprocess.CompletedProcess[str]]
    ) -> None:
        """`demo --database` names `remission web` (not the API-only `serve`) and prints "LR 48, …"."""
        url, result = loaded
        assert result.returncode == 0, result.stderr
        assert f"remission web --database {url}" in result.stdout
        assert "remission serve" not in result.stdout
        assert "{" not in result.stdout
        groups = result.stdout.split("current risk groups ", 1)[1].split(";", 1)[0]
        assert [part.rsplit(" ", 1)[0] for part in groups.split(", ")][:3] == ["LR", "IR", "HR"]
        assert all(part.rsplit(" ", 1)[1].isdigit() for part in groups.split(", "))

    def test_demo_leaves_a_query_and_a_serious_adverse_event_in_the_coordinators_inbox(
        self, loaded: tuple[str, subprocess.CompletedProcess[str]]
    ) -> None:
        """After `demo --database`, coordinator-syn-a (the conduct examples' site) has both unread."""
        from remission.store import Actor, Store, actor_for_user, list_notifications, user_by_username

        url, result = loaded
        assert result.returncode == 0, result.stderr
        assert "Demo logins (development only" in result.stdout
        store = Store.open(url, migrated=True)
        try:
            with store.session(Actor.for_system("test")) as session:
                user_id = user_by_username(session, username="coordinator-syn-a").id
                actor = actor_for_user(session, user_id=user_id)
            assert actor is not None
            with store.session(actor) as session:
                kinds = {n.kind.value for n in list_notifications(session, unread_only=True)}
        finally:
            store.engine.dispose()
        assert {"query opened", "serious adverse event"} <= kinds


class TestInstalledCommand:
    def test_version_exits_0(self) -> None:
        """`python -m remission --version` prints the version and exits 0."""
        result = run_installed("--version")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()

    def test_screen_prints_json(self, tmp_path: Path) -> None:
        """The installed command screens a record and prints its JSON verdict."""
        result = run_installed("screen", str(write(tmp_path, RECORD)), "-p", "NCT06516679", "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["verdict"] == "eligible"

    def test_bad_record_exits_2_without_a_traceback(self, tmp_path: Path) -> None:
        """The installed command exits 2 on bad input, naming the field, with no traceback."""
        result = run_installed(
            "screen", str(write(tmp_path, {**RECORD, "favourite_colour": "blue"})), "-p", "NCT06516679"
        )
        assert result.returncode == 2
        assert "favourite_colour" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout

    def test_unknown_command_exits_2(self) -> None:
        """An unknown command is a usage error: exit 2."""
        assert run_installed("no-such-command").returncode == 2
