"""Each course-row kind is described once in the store; the API schemas and web form fields agree with it.

The store's :data:`remission.store.COURSE_KINDS` names each kind's table and new-row schema; the
API derives its schemas from it and the web forms list their fields by hand. These tests fail
when a form field, a schema field and a column disagree, so a new kind or field cannot drift.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import inspect

from remission.api.app import create_app
from remission.api.settings import Settings
from remission.store import COURSE_KINDS, CourseKind, Store, make_engine
from remission.web.fields import FIELDS

#: Columns every course row has that no one enters: they come from the store.
STORED_BY_THE_STORE = {"id", "patient_id", "site_id", "version", "created_at"}
KINDS = pytest.mark.parametrize("kind", COURSE_KINDS, ids=lambda kind: kind.segment)


def _columns(kind: CourseKind) -> dict[str, bool]:
    """Column name to nullable."""
    return {column.key: column.columns[0].nullable for column in inspect(kind.model).column_attrs}


class TestOneDescription:
    def test_every_kind_has_a_form_and_every_form_a_kind(self):
        """The web has a form for each kind of the store and for nothing else."""
        assert set(FIELDS) == {kind.segment for kind in COURSE_KINDS}

    @KINDS
    def test_schema_fields_are_the_enterable_columns(self, kind: CourseKind):
        """The new-row schema names exactly the table's columns that a person enters."""
        assert set(kind.create.model_fields) == set(_columns(kind)) - STORED_BY_THE_STORE

    @KINDS
    def test_form_fields_are_the_schema_fields(self, kind: CourseKind):
        """The form asks for exactly the schema's fields."""
        assert {field.name for field in FIELDS[kind.segment]} == set(kind.create.model_fields)

    @KINDS
    def test_a_required_schema_field_is_required_on_the_form_and_not_null_in_the_table(
        self, kind: CourseKind
    ):
        """A required schema field is required on the form (a checkbox always answers) and not null."""
        columns = _columns(kind)
        form = {field.name: field for field in FIELDS[kind.segment]}
        for name, info in kind.create.model_fields.items():
            if info.is_required():
                assert form[name].required or form[name].kind == "checkbox", (
                    f"{kind.segment}.{name} is required by the schema, not the form"
                )
                assert not columns[name], f"{kind.segment}.{name} is required but its column takes null"

    @KINDS
    def test_a_nullable_column_is_optional_in_the_schema(self, kind: CourseKind):
        """A column that takes null is not required by the schema, so the API can leave it out."""
        columns = _columns(kind)
        for name, info in kind.create.model_fields.items():
            if columns[name]:
                assert not info.is_required(), f"{kind.segment}.{name} takes null but the schema requires it"

    @KINDS
    def test_the_api_routes_use_the_stores_schema(self, kind: CourseKind, tmp_path):
        """The API's create body for the kind is the store's schema, field for field."""
        store = Store(make_engine(f"sqlite:///{tmp_path / 'openapi.sqlite'}"))
        settings = Settings(environment="development", secret_key=secrets.token_urlsafe(48), token_minutes=30)
        app = create_app(store, settings)
        spec = app.openapi()
        body = spec["paths"][f"/api/v1/patients/{{patient_id}}/{kind.segment}"]["post"]["requestBody"]
        reference = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert set(spec["components"]["schemas"][reference]["properties"]) == set(kind.create.model_fields)
