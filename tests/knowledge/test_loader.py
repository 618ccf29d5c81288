"""Loading the knowledge base: the shipped files, the schema, and refusing bad entries by name."""

from __future__ import annotations

import textwrap
from importlib import resources
from pathlib import Path

import pytest

from remission.knowledge import (
    BiomarkerKind,
    KnowledgeError,
    build_knowledge_base,
    generate_knowledge_schema,
    knowledge_json_schema,
    load_knowledge_directory,
    load_knowledge_text,
    shipped_knowledge_base,
)
from remission.knowledge.model import (
    FusionBiomarker,
    PhLikeBiomarker,
    RearrangementBiomarker,
    SurfaceAntigenBiomarker,
)

FOUNDATIONS = (resources.files("remission.knowledge") / "data" / "foundations.yaml").read_text("utf-8")

ENTRY_FILE = """
id: test-entries
title: Test entries
version: "0"
provenance:
  encoded_on: "2026-11-21"
  encoded_by: tests
  sources:
    - {{id: s1, citation: a test source}}
entries:
  - id: {entry_id}
    biomarker: {biomarker}
    diseases: [B-ALL]
    therapy: {{name: testinib, modality: tyrosine kinase inhibitor}}
    evidence: {{type: therapeutic, level: "{level}", assigned_by: curator, rationale: test, sources: [s1]}}
    approvals:
      - id: a1
        agency: {agency}
        indication: test indication
        population: children
        diseases: [B-ALL]
        settings: [newly diagnosed]
        requires:
          - {{label: condition, when: {{field: {field}, equals: positive}}}}
        sources: [s1]
    sources: [s1]
"""


def with_entry(
    *,
    entry_id: str = "test-entry",
    biomarker: str = "{kind: fusion, fusion: BCR::ABL1}",
    level: str = "1",
    agency: str = "FDA",
    field: str = "genetics.ph_status",
) -> str:
    return ENTRY_FILE.format(entry_id=entry_id, biomarker=biomarker, level=level, agency=agency, field=field)


def build(*texts: str):
    files = [load_knowledge_text(FOUNDATIONS, source="foundations.yaml")]
    files += [load_knowledge_text(text, source=f"test{i}.yaml") for i, text in enumerate(texts)]
    return build_knowledge_base(files, source="test knowledge base")


def problems_of(error: pytest.ExceptionInfo[KnowledgeError]) -> list[str]:
    return [f"{p.field}: {p.problem}" for p in error.value.problems]


class TestShippedKnowledgeBase:
    def test_packaged_schema_matches_the_models(self) -> None:
        """The schema shipped in the package equals the one generated from the models."""
        assert knowledge_json_schema() == generate_knowledge_schema()

    def test_shipped_files_load(self) -> None:
        """The shipped files pass the schema, the models and the cross-checks."""
        assert len(shipped_knowledge_base().entries) >= 10

    @pytest.mark.parametrize(
        ("what", "matches"),
        [
            ("BCR::ABL1", lambda b: isinstance(b, FusionBiomarker) and b.fusion == "BCR::ABL1"),
            (
                "Ph-like ABL-class",
                lambda b: isinstance(b, PhLikeBiomarker) and b.ph_like_class.value == "ABL-class",
            ),
            (
                "Ph-like JAK-STAT",
                lambda b: isinstance(b, PhLikeBiomarker) and b.ph_like_class.value == "JAK-STAT",
            ),
            ("KMT2A rearrangement", lambda b: isinstance(b, RearrangementBiomarker) and "KMT2A" in b.genes),
            ("NTRK fusion", lambda b: isinstance(b, RearrangementBiomarker) and "NTRK3" in b.genes),
            ("ALK fusion", lambda b: isinstance(b, RearrangementBiomarker) and "ALK" in b.genes),
            ("FLT3", lambda b: getattr(b, "gene", None) == "FLT3"),
            ("CD19", lambda b: isinstance(b, SurfaceAntigenBiomarker) and b.antigen == "CD19"),
            ("CD22", lambda b: isinstance(b, SurfaceAntigenBiomarker) and b.antigen == "CD22"),
        ],
    )
    def test_required_biomarkers_are_covered(self, what: str, matches) -> None:
        """The knowledge base has an entry for every biomarker the issue requires."""
        assert any(matches(entry.biomarker) for _, entry in shipped_knowledge_base().entries), what

    def test_blinatumomab_consolidation_setting_is_covered(self) -> None:
        """Blinatumomab has an approval for the consolidation setting."""
        entries = [
            e for _, e in shipped_knowledge_base().entries if e.therapy and e.therapy.name == "blinatumomab"
        ]
        settings = {s.value for e in entries for a in e.approvals for s in a.settings}
        assert "consolidation" in settings

    def test_every_source_has_a_citation(self) -> None:
        """Every source cited by the shipped files says what it is."""
        for file in shipped_knowledge_base().files:
            assert all(source.citation.strip() for source in file.provenance.sources), file.id

    def test_every_biomarker_kind_is_supported_by_the_schema(self) -> None:
        """The schema lists every biomarker kind of the vocabulary."""
        text = str(knowledge_json_schema())
        assert all(kind.value in text for kind in BiomarkerKind)


class TestBadEntries:
    def test_a_valid_test_entry_loads(self) -> None:
        """The template entry used below is itself valid, so each failure comes from its one change."""
        assert [e.id for _, e in build(with_entry()).entries][-1] == "test-entry"

    def test_unknown_gene_symbol_names_entry_and_field(self) -> None:
        """A gene missing from the gene list is refused with the entry id and the field."""
        text = with_entry(biomarker="{kind: rearrangement, genes: [NTRK4], label: NTRK4 fusion}")
        with pytest.raises(KnowledgeError) as error:
            build(text)
        assert any(
            "entry test-entry" in p and "biomarker.genes[0]" in p and "unknown gene symbol 'NTRK4'" in p
            for p in problems_of(error)
        )

    def test_unknown_gene_in_a_fusion_is_refused(self) -> None:
        """A fusion whose partner is not in the gene list is refused."""
        with pytest.raises(KnowledgeError) as error:
            build(with_entry(biomarker="{kind: fusion, fusion: BCR::ABL9}"))
        assert any("biomarker.fusion" in p and "'ABL9'" in p for p in problems_of(error))

    @pytest.mark.parametrize("fusion", ["BCR-ABL1", "BCR/ABL1", "bcr::abl1", "BCR::"])
    def test_malformed_fusion_notation_names_entry_and_field(self, fusion: str) -> None:
        """A fusion not in 5'GENE::3'GENE notation is refused naming the entry and field."""
        with pytest.raises(KnowledgeError) as error:
            build(with_entry(biomarker=f"{{kind: fusion, fusion: '{fusion}'}}"))
        assert any(
            p.startswith("entry test-entry (entries[0]): biomarker.fusion") and "5'GENE::3'GENE" in p
            for p in problems_of(error)
        ), problems_of(error)

    def test_lower_case_gene_symbol_is_refused(self) -> None:
        """A gene written in lower case is not an HGNC symbol."""
        with pytest.raises(KnowledgeError) as error:
            build(with_entry(biomarker="{kind: mutation, gene: flt3}"))
        assert any("biomarker.gene" in p and "HGNC" in p for p in problems_of(error))

    def test_field_the_record_lacks_names_entry_and_field(self) -> None:
        """An approval condition that reads a field the record model lacks is refused at load time."""
        with pytest.raises(KnowledgeError) as error:
            build(with_entry(field="genetics.ph_chromosome"))
        assert any(
            "entry test-entry" in p
            and "approvals[0].requires[0].when" in p
            and "the record has no field 'genetics.ph_chromosome'" in p
            for p in problems_of(error)
        )

    def test_level_of_another_evidence_type_is_refused(self) -> None:
        """A prognostic level on a therapeutic entry is refused."""
        with pytest.raises(KnowledgeError) as error:
            build(with_entry(level="Px1"))
        assert any("entry test-entry" in p and "not a therapeutic level" in p for p in problems_of(error))

    def test_unknown_agency_is_refused(self) -> None:
        """An approval by an agency that no file defines is refused."""
        with pytest.raises(KnowledgeError) as error:
            build(with_entry(agency="PMDA"))
        assert any("approvals[0].agency" in p and "unknown agency 'PMDA'" in p for p in problems_of(error))

    def test_unknown_source_is_refused(self) -> None:
        """An entry citing a source its file does not list is refused."""
        text = with_entry().replace("    sources: [s1]\n", "    sources: [s2]\n")
        with pytest.raises(KnowledgeError) as error:
            build(text)
        assert any("entry test-entry" in p and "unknown source 's2'" in p for p in problems_of(error))

    def test_duplicate_entry_id_is_refused(self) -> None:
        """Two files may not define the same entry id."""
        text = with_entry(entry_id="bcr-abl1-imatinib")
        shipped = [load_knowledge_text(FOUNDATIONS, source="f")]
        philadelphia = (resources.files("remission.knowledge") / "data" / "philadelphia.yaml").read_text(
            "utf-8"
        )
        shipped.append(load_knowledge_text(philadelphia, source="p"))
        shipped.append(load_knowledge_text(text.replace("id: test-entries", "id: other"), source="t"))
        with pytest.raises(KnowledgeError) as error:
            build_knowledge_base(shipped, source="kb")
        assert any("entry bcr-abl1-imatinib" in p and "already defined" in p for p in problems_of(error))

    def test_missing_setting_definitions_are_refused(self) -> None:
        """A knowledge base without the settings definitions is refused, naming each setting."""
        with pytest.raises(KnowledgeError) as error:
            build_knowledge_base([load_knowledge_text(with_entry(), source="t")], source="kb")
        assert any("no file defines the setting 'consolidation'" in p for p in problems_of(error))

    def test_yaml_syntax_error_is_reported(self) -> None:
        """Text that is not YAML is refused as such."""
        with pytest.raises(KnowledgeError) as error:
            load_knowledge_text("id: [unclosed", source="bad.yaml")
        assert error.value.problems[0].field == "(yaml)"

    def test_directory_without_files_is_refused(self, tmp_path: Path) -> None:
        """A knowledge directory with no YAML files is refused."""
        with pytest.raises(KnowledgeError, match=r"no \.yaml knowledge files"):
            load_knowledge_directory(tmp_path)

    def test_directory_loads_its_files(self, tmp_path: Path) -> None:
        """A directory of valid files loads as one knowledge base."""
        (tmp_path / "foundations.yaml").write_text(FOUNDATIONS, "utf-8")
        (tmp_path / "extra.yaml").write_text(textwrap.dedent(with_entry()), "utf-8")
        assert {e.id for _, e in load_knowledge_directory(tmp_path).entries} == {"test-entry"}
