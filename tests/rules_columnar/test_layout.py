"""The cohort layout: one column per record field, named by its dotted path."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel

from remission.record import PatientRecord
from remission.rules.columnar import COLUMNS, cohort_schema
from remission.rules.columnar.layout import Group, Leaf, ListColumn, MapColumn


def _model_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every field path of the model, walking into groups but not into lists or maps."""
    paths = set()
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if get_origin(annotation) in (Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        paths.add(prefix + name)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= _model_paths(annotation, f"{prefix}{name}.")
    return paths - {"schema_version"}


class TestColumns:
    def test_every_record_field_has_a_column(self):
        """The layout names exactly the record model's fields (groups included), by dotted path."""
        assert {column.path for column in COLUMNS} == _model_paths(PatientRecord) - {"patient"}

    def test_optional_groups_have_presence_columns(self):
        """Each optional group is a boolean column; the required patient group is not."""
        groups = {column.path for column in COLUMNS if isinstance(column, Group)}

        assert {"diagnosis", "genetics", "genetics.kmt2a", "consent"} <= groups
        assert "patient" not in groups

    def test_scalar_types(self):
        """Dates are date32, numbers float64, flags bool and vocabularies strings."""
        schema = cohort_schema()

        assert (
            schema.field("patient.date_of_birth").type,
            schema.field("wbc_at_diagnosis_1e9_per_l").type,
            schema.field("prior_hsct").type,
            schema.field("diagnosis.who_type").type,
        ) == (pa.date32(), pa.float64(), pa.bool_(), pa.string())

    def test_lists_of_records_are_lists_of_structs(self):
        """prior_steroids holds structs with the steroid course's fields."""
        column = next(c for c in COLUMNS if c.path == "prior_steroids")

        assert isinstance(column, ListColumn)
        assert column.arrow_type == pa.list_(
            pa.struct(
                [
                    ("drug", pa.string()),
                    ("systemic", pa.bool_()),
                    ("start_date", pa.date32()),
                    ("end_date", pa.date32()),
                ]
            )
        )

    def test_lists_with_a_default_are_not_nullable(self):
        """mrd defaults to [] in the model, so its column may not be null; syndromes may."""
        by_path = {c.path: c for c in COLUMNS if isinstance(c, ListColumn)}

        assert (by_path["mrd"].nullable, by_path["syndromes"].nullable) == (False, True)

    def test_immunophenotype_is_a_map(self):
        """The marker-to-result mapping is a map of strings."""
        column = next(c for c in COLUMNS if c.path == "diagnosis.immunophenotype")

        assert isinstance(column, MapColumn)
        assert column.arrow_type == pa.map_(pa.string(), pa.string())

    def test_vocabulary_comes_from_the_model(self):
        """An enum field's column carries the enum's values as its vocabulary."""
        column = next(c for c in COLUMNS if c.path == "relapse_status")

        assert isinstance(column, Leaf)
        assert column.scalar.vocabulary == ("never relapsed", "first relapse", "second or later relapse")

    def test_schema_carries_the_record_schema_version(self):
        """The Arrow schema metadata names the record schema version."""
        assert cohort_schema().metadata == {b"remission.record_schema_version": b"1"}
