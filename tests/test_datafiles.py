"""The one data-file loader: YAML 1.2, JSON Schema, model, cross-checks, and errors naming file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from remission.datafiles import DataFileKind
from remission.errors import FieldProblem, InputError
from remission.record.anthracyclines import CONVERSION_TABLE_FILE
from remission.trials.genes import GENE_LIST_FILE
from remission.web.ctcae import TERM_LIST_FILE


class DoseError(InputError):
    """The error of the test file kind, to show that the kind's own subclass is raised."""


class Dose(BaseModel):
    # Strict, so that a YAML 1.1 reading (a string for 1e-4, a boolean for no) is refused, not coerced.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    drug: str
    mg: float


class DoseFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    answer: str = "yes"
    on: str = "diagnosis"
    written: str = "2026-01-01"
    threshold: float = 0.5
    doses: list[Dose] = []


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "threshold": {"type": "number", "maximum": 1},
        "doses": {"type": "array", "items": {"type": "object", "properties": {"mg": {"maximum": 100}}}},
    },
}


def _repeated_drugs(file: DoseFile) -> list[FieldProblem]:
    drugs = [dose.drug for dose in file.doses]
    return [FieldProblem(f"doses[{i}].drug", "listed twice") for i, d in enumerate(drugs) if d in drugs[:i]]


KIND = DataFileKind(DoseFile, error=DoseError, schema=lambda: SCHEMA, whole="(doses)", checks=_repeated_drugs)


def refused(text: str, kind: DataFileKind[Any] = KIND) -> DoseError:
    with pytest.raises(DoseError) as caught:
        kind.load_text(text, source="doses.yaml")
    return caught.value


class TestYAML12:
    def test_boolean_words_stay_strings(self):
        """Unquoted ``no`` is the string "no", not the YAML 1.1 boolean false."""
        assert KIND.load_text("answer: no", source="t").answer == "no"

    def test_on_key_stays_a_string(self):
        """The key ``on`` is the string "on", not the YAML 1.1 boolean true."""
        assert KIND.load_text("on: study_entry", source="t").on == "study_entry"

    def test_exponent_without_a_dot_is_a_float(self):
        """``1e-4`` is the float 0.0001, not the YAML 1.1 string "1e-4"."""
        assert KIND.load_text("threshold: 1e-4", source="t").threshold == pytest.approx(1e-4)

    def test_dates_stay_strings(self):
        """An unquoted date stays a string, as JSON Schema expects, not a YAML 1.1 date object."""
        assert KIND.load_text("written: 2026-11-21", source="t").written == "2026-11-21"

    def test_bad_syntax_is_a_yaml_problem(self):
        """Text that is not YAML is refused with one problem on the field ``(yaml)``."""
        error = refused("doses: [unclosed")

        assert [problem.field for problem in error.problems] == ["(yaml)"]


class TestPipeline:
    def test_schema_problem_names_the_field_path(self):
        """A value the model accepts but the schema refuses is named by its path into the file."""
        error = refused("doses:\n  - {drug: a, mg: 10}\n  - {drug: b, mg: 500}\n")

        [problem] = error.problems
        assert problem.field == "doses[1].mg"
        assert "500 is greater than the maximum of 100" in problem.problem

    def test_schema_problem_of_the_whole_file_uses_its_name(self):
        """A schema problem without a field path is named by the kind's name for the whole file."""
        kind = DataFileKind(DoseFile, error=DoseError, schema=lambda: {"maxProperties": 0}, whole="(doses)")

        error = refused("threshold: 0.1", kind)

        assert [problem.field for problem in error.problems] == ["(doses)"]

    def test_model_problem_names_the_field(self):
        """A missing required field is named by its path, worded for a person."""
        error = refused("doses:\n  - {mg: 10}\n")

        assert [(p.field, p.problem) for p in error.problems] == [
            ("doses[0].drug", "required field is missing")
        ]

    def test_model_problems_are_reported_before_schema_problems(self):
        """When the model refuses a file its problems are reported, not the schema's."""
        error = refused("threshold: 5\ncolour: red\n")

        assert [(p.field, p.problem) for p in error.problems] == [
            ("colour", "unknown field (not in the schema)")
        ]

    def test_cross_check_problem_is_raised_after_the_model(self):
        """A file that fits schema and model but fails a cross-check is refused naming the field."""
        error = refused("doses:\n  - {drug: a, mg: 1}\n  - {drug: a, mg: 2}\n")

        assert [str(problem) for problem in error.problems] == ["doses[1].drug: listed twice"]

    def test_field_names_are_rewritten_for_the_message(self):
        """``field_name`` rewrites a problem's path, given the decoded data."""
        kind = DataFileKind(
            DoseFile, error=DoseError, field_name=lambda field, data: f"{data['answer']}/{field}"
        )

        error = refused("answer: hello\nthreshold: high\n", kind)

        assert [problem.field for problem in error.problems] == ["hello/threshold"]

    def test_a_sound_file_gives_its_model(self):
        """A file that passes every check comes back as its model."""
        loaded = KIND.load_text("doses:\n  - {drug: a, mg: 1}\n", source="t")

        assert loaded == DoseFile(doses=[Dose(drug="a", mg=1.0)])


class TestFileNames:
    def test_error_names_the_file(self, tmp_path: Path):
        """A refused file's error names its path as the source, and the message says so."""
        path = tmp_path / "doses.yaml"
        path.write_text("threshold: 5\n", encoding="utf-8")

        with pytest.raises(DoseError) as caught:
            KIND.load_file(path)

        assert caught.value.source == str(path)
        assert str(caught.value) == f"{path}:\n  threshold: 5 is greater than the maximum of 1"

    def test_unreadable_file_is_a_file_problem(self, tmp_path: Path):
        """A file that cannot be read is refused with one problem on the field ``(file)``."""
        with pytest.raises(DoseError) as caught:
            KIND.load_file(tmp_path / "absent.yaml")

        assert [problem.field for problem in caught.value.problems] == ["(file)"]
        assert caught.value.source.endswith("absent.yaml")


class TestShippedKinds:
    def test_a_conversion_factor_must_cite_a_listed_source(self):
        """A drug whose factor cites a source the table does not list is refused, naming the drug."""
        text = (
            "version: '1'\nsources: {s1: {citation: c}}\ndrugs:\n  doxorubicin: {factor: 1.0, source: s2}\n"
        )

        with pytest.raises(InputError) as caught:
            CONVERSION_TABLE_FILE.load_text(text, source="t")

        assert [str(p) for p in caught.value.problems] == ["drugs.doxorubicin.source: unknown source 's2'"]

    def test_a_term_may_be_listed_once(self):
        """A term listed twice in the adverse-event term list is refused."""
        text = (
            "terminology: T\nsource: s\ngrade_source: g\nterms:\n  A: [{term: Fever}]\n  B: [{term: fever}]\n"
        )

        with pytest.raises(InputError) as caught:
            TERM_LIST_FILE.load_text(text, source="t")

        assert [str(p) for p in caught.value.problems] == ["terms: 'fever' is listed 2 times"]

    def test_a_term_grade_is_one_to_five(self):
        """A grade outside CTCAE's 1 to 5 is refused, naming the term's place in the list."""
        text = "terminology: T\nsource: s\ngrade_source: g\nterms:\n  A: [{term: Fever, grades: [0]}]\n"

        with pytest.raises(InputError) as caught:
            TERM_LIST_FILE.load_text(text, source="t")

        assert "terms.A[0].grades[0]: Input should be greater than or equal to 1" in map(
            str, caught.value.problems
        )

    def test_a_listed_gene_must_be_an_hgnc_symbol(self):
        """A gene list entry that is not written as an HGNC symbol is refused, naming its place."""
        text = "version: '1'\nsource: s\ngroups:\n  g: [KMT2A, mll]\n"

        with pytest.raises(InputError) as caught:
            GENE_LIST_FILE.load_text(text, source="t")

        assert [p.field for p in caught.value.problems] == ["groups.g[1]"]
