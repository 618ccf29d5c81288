"""Curated trial files: the shipped ones load, carry provenance, and bad files are refused by item."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from remission.trials import (
    TrialFileError,
    generate_trial_schema,
    load_curated_file,
    load_shipped_trial,
    parse_curated_trial,
    shipped_trial_ids,
    trial_json_schema,
)
from remission.yaml12 import load_yaml12

DATA = Path(__file__).parents[2] / "src" / "remission" / "trials" / "data"


def shipped_data(trial_id: str) -> dict[str, Any]:
    return load_yaml12((DATA / f"{trial_id}.yaml").read_text("utf-8"))


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(TrialFileError) as caught:
        parse_curated_trial(data, source="test")
    return [(p.field, p.problem) for p in caught.value.problems]


class TestShipped:
    def test_the_three_required_trials_are_shipped(self) -> None:
        """NCT06516679, Interfant-21 and AUGMENT-101 are curated and load."""
        assert {"NCT06516679", "NCT05327894", "NCT04065399"} <= set(shipped_trial_ids())
        for trial_id in shipped_trial_ids():
            assert load_shipped_trial(trial_id).id == trial_id

    @pytest.mark.parametrize("trial_id", ["NCT06516679", "NCT05327894", "NCT04065399"])
    def test_every_parameter_is_sourced_or_an_assumption(self, trial_id: str) -> None:
        """No threshold is bare: each parameter names a source or says it is an assumption."""
        trial = load_shipped_trial(trial_id)
        known = {source.id for source in trial.protocol.provenance.sources}
        for name, parameter in trial.protocol.parameters.items():
            assert parameter.assumption or parameter.source in known, name

    @pytest.mark.parametrize("trial_id", ["NCT05327894", "NCT04065399"])
    def test_sources_say_when_they_were_read(self, trial_id: str) -> None:
        """Each web source of a curated file gives its URL and the date it was read."""
        for source in load_shipped_trial(trial_id).protocol.provenance.sources:
            if source.url is not None:
                assert source.accessed is not None, source.id

    def test_the_packaged_schema_matches_the_models(self) -> None:
        """trial.schema.json in the package equals the schema generated from the models."""
        assert trial_json_schema() == generate_trial_schema()


class TestRefused:
    def test_an_unknown_gene_symbol_is_named(self) -> None:
        """A biomarker gene outside the gene list is refused, naming the biomarker."""
        data = shipped_data("NCT05327894")
        data["biomarkers"][0]["gene"] = "KTM2A"
        assert problems(data) == [
            (
                "biomarkers[0].gene",
                "unknown gene symbol 'KTM2A': not in remission's gene list (trials/data/genes.yaml)",
            )
        ]

    @pytest.mark.parametrize("fusion", ["KMT2A-AFF1", "KMT2A:AFF1", "KMT2A/AFF1", "kmt2a::aff1"])
    def test_malformed_fusion_notation_is_named(self, fusion: str) -> None:
        """A fusion not written GENE1::GENE2 is refused with the expected notation."""
        data = shipped_data("NCT05327894")
        data["biomarkers"].append(
            {"id": "fusion", "kind": "fusion", "fusion": fusion, "role": "x", "source": "trials-co"}
        )
        [(field, message)] = problems(data)
        assert field == "biomarkers[2].fusion"
        assert "GENE1::GENE2" in message

    def test_a_fusion_with_an_unknown_gene_is_named(self) -> None:
        """A well-formed fusion whose gene is not known is refused."""
        data = shipped_data("NCT05327894")
        data["biomarkers"].append(
            {"id": "fusion", "kind": "fusion", "fusion": "KMT2A::AFF9", "role": "x", "source": "trials-co"}
        )
        assert problems(data) == [
            (
                "biomarkers[2].fusion",
                "unknown gene symbol 'AFF9': not in remission's gene list (trials/data/genes.yaml)",
            )
        ]

    def test_a_criterion_reading_a_field_the_record_lacks_is_named(self) -> None:
        """An expression on a field not in the record model is refused at load time, naming the criterion."""
        data = shipped_data("NCT05327894")
        data["eligibility"][5]["expression"] = {"field": "genetics.kmt2a.state", "equals": "germline"}
        assert problems(data) == [
            ("eligibility[5].expression", "the record has no field 'genetics.kmt2a.state'")
        ]

    def test_an_unknown_source_is_named(self) -> None:
        """A status citing no provenance source is refused."""
        data = shipped_data("NCT05327894")
        data["status"]["source"] = "trials-com"
        assert problems(data) == [("status.source", "unknown source 'trials-com'")]

    def test_criteria_from_a_protocol_and_inline_are_refused_together(self) -> None:
        """A file gives eligibility_from_protocol or its own eligibility, never both."""
        data = copy.deepcopy(shipped_data("NCT06516679"))
        data["eligibility"] = shipped_data("NCT05327894")["eligibility"]
        [(_, message)] = problems(data)
        assert "not both" in message

    def test_a_file_named_after_another_id_is_refused(self, tmp_path: Path) -> None:
        """The file name must be the trial's NCT number."""
        path = tmp_path / "NCT00000001.yaml"
        path.write_text((DATA / "NCT05327894.yaml").read_text("utf-8"), "utf-8")
        with pytest.raises(TrialFileError, match="differs from the file name"):
            load_curated_file(path)
