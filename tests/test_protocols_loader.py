"""Loading protocols: the shipped files, the shipped schema, and errors that name the broken field."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from remission.protocols import (
    Protocol,
    ProtocolError,
    load_protocol,
    load_protocol_text,
    parse_protocol,
    shipped_protocol_ids,
    with_parameters,
)
from remission.yaml12 import load_yaml12

SHIPPED = ["INTERFANT-06", "NCT06516679"]


def shipped_text(protocol_id: str) -> str:
    return (resources.files("remission.protocols") / "data" / f"{protocol_id}.yaml").read_text("utf-8")


def nct_data() -> dict[str, Any]:
    """NCT06516679 as plain data, ready to be broken."""
    return load_protocol("NCT06516679").model_dump(mode="json", by_alias=True, exclude_none=True)


def problems(data: Any) -> list[tuple[str, str]]:
    """The (field, problem) pairs of the ProtocolError that parsing ``data`` raises."""
    with pytest.raises(ProtocolError) as info:
        parse_protocol(data, source="t")
    assert info.value.source == "t"
    return [(p.field, p.problem) for p in info.value.problems]


def fields(data: Any) -> list[str]:
    return [field for field, _ in problems(data)]


class TestShippedProtocols:
    def test_shipped_ids(self):
        """The package ships Interfant-06 and NCT06516679, listed in sorted order."""
        assert shipped_protocol_ids() == SHIPPED

    @pytest.mark.parametrize("protocol_id", SHIPPED)
    def test_loads(self, protocol_id):
        """Each shipped protocol loads under its own id."""
        protocol = load_protocol(protocol_id)

        assert isinstance(protocol, Protocol)
        assert protocol_id == protocol.id

    @pytest.mark.parametrize("protocol_id", SHIPPED)
    def test_round_trips_through_its_data(self, protocol_id):
        """A shipped protocol dumped to plain data parses back to an equal protocol."""
        protocol = load_protocol(protocol_id)
        data = protocol.model_dump(mode="json", by_alias=True, exclude_none=True)

        assert protocol == parse_protocol(data, source="t")

    @pytest.mark.parametrize("protocol_id", SHIPPED)
    def test_shipped_schema_validates_shipped_yaml(self, protocol_id):
        """The JSON Schema file in the package accepts each shipped YAML file as decoded."""
        schema = json.loads(
            (resources.files("remission.protocols") / "protocol.schema.json").read_text("utf-8")
        )
        jsonschema.Draft202012Validator.check_schema(schema)

        jsonschema.validate(
            load_yaml12(shipped_text(protocol_id)),
            schema,
            cls=jsonschema.Draft202012Validator,
        )

    def test_unknown_id_names_the_shipped_ids(self):
        """Asking for a protocol that is not shipped raises an error that lists the shipped ids."""
        with pytest.raises(ProtocolError) as info:
            load_protocol("NOPE")

        [problem] = info.value.problems
        assert problem.field == "NOPE"
        assert "INTERFANT-06, NCT06516679" in problem.problem


class TestYAML12Scalars:
    def test_on_key_stays_a_string(self):
        """The key `on` of an age test is the string "on", not the YAML 1.1 boolean true."""
        age = load_protocol("NCT06516679").eligibility[0].expression.age

        assert age.on == "diagnosis"

    def test_boolean_words_stay_strings(self):
        """Unquoted yes, no, on and off are strings, while true stays a boolean."""
        text = shipped_text("NCT06516679").replace(
            "parameters:\n",
            "parameters:\n"
            "  answer:\n"
            "    value: no\n"
            "    choices: [yes, no, on, off]\n"
            "    description: A YAML 1.1 boolean word.\n"
            "    assumption: true\n",
            1,
        )

        protocol = load_protocol_text(text, source="t")

        assert protocol.parameters["answer"].value == "no"
        assert protocol.parameters["answer"].choices == ["yes", "no", "on", "off"]
        assert protocol.parameters["mrd_positive_at_threshold"].value is True

    def test_dates_stay_strings_for_the_schema(self):
        """An unquoted date validates against the schema and still becomes a date."""
        text = shipped_text("NCT06516679").replace('encoded_on: "2026-11-21"', "encoded_on: 2026-11-21")

        assert load_protocol_text(text, source="t").provenance.encoded_on.isoformat() == "2026-11-21"

    def test_exponent_without_dot_is_a_float(self):
        """A YAML 1.2 float written without a dot, such as 1e-4, is read as a number."""
        text = shipped_text("NCT06516679").replace("value: 1.0e-4", "value: 1e-4")

        assert load_protocol_text(text, source="t").parameters["mrd_threshold_fraction"].value == 1e-4


class TestBrokenProtocols:
    def test_yaml_syntax_error(self):
        """Text that is not YAML is refused with a problem on (yaml)."""
        with pytest.raises(ProtocolError) as info:
            load_protocol_text("id: [NCT06516679\ntitle: x\n", source="t")

        assert [p.field for p in info.value.problems] == ["(yaml)"]

    def test_missing_id(self):
        """A protocol without an id is refused, naming id as a required field."""
        data = nct_data()
        del data["id"]

        assert ("id", "required field is missing") in problems(data)

    def test_unknown_record_field(self):
        """An expression that reads a field the record lacks is refused, naming the expression and field."""
        data = nct_data()
        data["eligibility"][3]["expression"]["field"] = "diagnosis.whotype"

        [(field, problem)] = problems(data)
        assert field == "eligibility[3].expression"
        assert "diagnosis.whotype" in problem

    def test_value_outside_record_vocabulary(self):
        """An expression that compares a field with a value outside its vocabulary is refused."""
        data = nct_data()
        data["eligibility"][3]["expression"]["equals"] = "Burkitt"

        [(field, problem)] = problems(data)
        assert field == "eligibility[3].expression"
        assert "'Burkitt'" in problem

    def test_unknown_parameter_reference(self):
        """An expression that reads an unknown parameter is refused, naming the parameter."""
        data = nct_data()
        window = data["eligibility"][8]["expression"]["any_item"]["where"]["all"][1]["overlaps_window"]
        window["days_before"] = {"param": "steroid_window_dayz"}

        [(field, problem)] = problems(data)
        assert field == "eligibility[8].expression"
        assert "steroid_window_dayz" in problem

    def test_parameter_without_source_or_assumption(self):
        """A parameter that neither cites a source nor says it is an assumption is refused."""
        data = nct_data()
        del data["parameters"]["mrd_positive_at_threshold"]["assumption"]

        assert problems(data) == [
            ("parameters.mrd_positive_at_threshold", "a parameter needs a source or assumption: true")
        ]

    def test_value_outside_choices(self):
        """A parameter whose value is not one of its choices is refused, naming the parameter."""
        data = nct_data()
        data["parameters"]["steroid_window_reference"]["value"] = "consent"

        [(field, problem)] = problems(data)
        assert field == "parameters.steroid_window_reference"
        assert "'consent' is not one of the choices" in problem

    def test_automatic_criterion_without_expression(self):
        """An automatic criterion without an expression is refused, naming the criterion."""
        data = nct_data()
        del data["eligibility"][0]["expression"]

        assert problems(data) == [("eligibility[0]", "an automatic criterion needs an expression")]

    def test_attested_criterion_with_expression(self):
        """An attested criterion that carries an expression is refused."""
        data = nct_data()
        data["eligibility"][7]["expression"] = {"field": "prior_hsct", "equals": True}

        assert problems(data) == [("eligibility[7]", "a attested criterion has no expression")]

    def test_duplicate_criterion_ids(self):
        """Two criteria with one id are refused, naming the id."""
        data = nct_data()
        data["eligibility"][1]["id"] = "incl-age"

        assert problems(data) == [("eligibility", "id 'incl-age' is used 2 times")]

    def test_arm_with_unknown_phase(self):
        """An arm that lists a phase the protocol does not define is refused, naming the arm's entry."""
        data = nct_data()
        data["arms"][0]["phases"][1] = "lr_consolidation_9"

        assert problems(data) == [("arms[0].phases[1]", "unknown phase 'lr_consolidation_9'")]

    def test_rule_outcome_not_a_risk_group(self):
        """A final rule whose outcome is not a risk group is refused, naming the rule."""
        data = nct_data()
        data["stratification"]["time_points"][1]["rules"][0]["outcome"] = "VHR"

        assert problems(data) == [
            ("stratification.time_points[1].rules[0].outcome", "unknown risk group 'VHR'")
        ]

    def test_two_final_time_points(self):
        """A stratification with two final time points is refused."""
        data = nct_data()
        data["stratification"]["time_points"][0]["assigns"] = "final"

        assert ("stratification.time_points", "needs exactly one final time point, found 2") in problems(data)

    def test_unknown_source(self):
        """A criterion citing a source that provenance does not list is refused, naming the criterion."""
        data = nct_data()
        data["eligibility"][0]["source"] = "seed-999"

        assert problems(data) == [("eligibility[0].source", "unknown source 'seed-999'")]

    def test_unknown_top_level_key(self):
        """A key that the protocol format does not know is refused."""
        data = nct_data()
        data["eligibilty"] = []

        assert fields(data) == ["eligibilty"]

    def test_not_a_mapping(self):
        """A YAML document that is a list rather than a mapping is refused."""
        with pytest.raises(ProtocolError):
            load_protocol_text("- id: NCT06516679\n", source="t")


class TestWithParameters:
    def test_unknown_parameter_raises(self):
        """Overriding a parameter the protocol lacks raises, naming it and the known parameters."""
        with pytest.raises(ProtocolError) as info:
            with_parameters(load_protocol("NCT06516679"), {"mrd_threshold": 1e-3})

        [problem] = info.value.problems
        assert problem.field == "mrd_threshold"
        assert "mrd_threshold_fraction" in problem.problem

    def test_invalid_value_raises(self):
        """Overriding a parameter with a value outside its choices raises, naming the parameter."""
        with pytest.raises(ProtocolError) as info:
            with_parameters(load_protocol("NCT06516679"), {"steroid_window_reference": "consent"})

        assert [p.field for p in info.value.problems] == ["parameters.steroid_window_reference"]

    def test_invalid_mrd_value_raises(self):
        """Overriding the MRD threshold with a value that is not a fraction raises, naming it."""
        with pytest.raises(ProtocolError) as info:
            with_parameters(load_protocol("NCT06516679"), {"mrd_threshold_fraction": 2})

        assert "parameters.mrd_threshold_fraction" in [p.field for p in info.value.problems]

    def test_invalid_mrd_value_is_the_only_problem(self):
        """An invalid MRD parameter is reported once, not again at every rule that tests MRD."""
        with pytest.raises(ProtocolError) as info:
            with_parameters(load_protocol("NCT06516679"), {"mrd_threshold_fraction": 2})

        assert [p.field for p in info.value.problems] == ["parameters.mrd_threshold_fraction"]

    def test_valid_override_changes_only_that_value(self):
        """A valid override changes that parameter and leaves every other part of the protocol equal."""
        protocol = load_protocol("NCT06516679")
        changed = with_parameters(protocol, {"steroid_window_days": 14})

        assert changed.parameters["steroid_window_days"].value == 14
        assert protocol.model_copy(update={"parameters": changed.parameters}) == changed
