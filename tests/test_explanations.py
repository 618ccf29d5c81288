"""Explanations in clinical words: values, dates and methods read, parameters and assumptions, sources."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from remission.protocols import load_protocol, parse_protocol, screen_patient, stratify_patient
from remission.record.labels import FIELD_LABELS, field_label
from remission.record.model import PatientRecord
from remission.record.parse import parse_record_json
from remission.rules.paths import list_item_type
from remission.rules.wording import percent, power_of_ten
from remission.trials import load_shipped_trial, match_trials, shipped_trial_ids
from support.cli import run_cli
from support.records import DROP, TODAY, make_record, parse

NCT = load_protocol("NCT06516679")
EXAMPLES = sorted(Path("examples/patients").glob("INF-*.json"))
#: A record path as the engine writes it: dotted, or with an item index.
RAW_PATH = re.compile(r"\b[a-z_]+(\.[a-z_0-9]+)+\b|\w\[\d+\]|mrd\[")


def _mrd(value: float, sampled: str = "2026-10-19", method: str = "IG/TR RQ-PCR") -> dict[str, Any]:
    return {
        "time_point": "after consolidation 1",
        "method": method,
        "sample_date": sampled,
        "value_fraction": value,
        "sensitivity_fraction": 1e-5,
    }


def _rule(result: Any, outcome: str) -> Any:
    return next(rule for tp in result.time_points for rule in tp.rules if rule.outcome == outcome)


class TestNumbersInWords:
    @pytest.mark.parametrize(
        ("value", "words"),
        [(5e-4, "5 × 10⁻⁴"), (1e-4, "10⁻⁴"), (2.3e-3, "2.3 × 10⁻³"), (0.0, "0"), (1.0, "1")],
    )
    def test_power_of_ten(self, value: float, words: str) -> None:
        assert power_of_ten(value) == words

    def test_a_value_just_below_a_cutoff_never_reads_as_the_cutoff(self) -> None:
        assert power_of_ten(9.9999e-5) == "9.9999 × 10⁻⁵"
        assert percent(9.9999e-5) == "0.0099999 %"

    @pytest.mark.parametrize(("value", "words"), [(5e-4, "0.05 %"), (0.5, "50 %"), (1e-7, "0.00001 %")])
    def test_percent(self, value: float, words: str) -> None:
        assert percent(value) == words


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        found.append(path)
        inner = list_item_type(info.annotation) or info.annotation
        for candidate in getattr(inner, "__args__", (inner,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found.extend(_paths(candidate, f"{path}."))
    return found


class TestFieldLabels:
    def test_every_record_field_has_a_label(self) -> None:
        missing = [path for path in _paths(PatientRecord) if path not in FIELD_LABELS]
        assert missing == []

    def test_list_items_are_numbered_from_one(self) -> None:
        assert field_label("prior_steroids[1].start_date") == "steroid course before study entry 2: start"
        assert field_label("genetics.kmt2a.status") == "KMT2A status"


class TestStratificationSentences:
    def test_the_deciding_rule_reads_like_the_clinic(self) -> None:
        record = make_record(
            genetics={"kmt2a": {"status": "rearranged", "partner": "AFF1"}}, mrd=[_mrd(5e-4)]
        )
        result = stratify_patient(parse(record), NCT, as_of=TODAY)
        hr = _rule(result, "HR").explanation
        assert result.risk_group == "HR"
        assert hr.text == (
            "High risk (HR) applies: KMT2A status: rearranged and MRD after consolidation 1: "
            "5 × 10⁻⁴ (0.05 %) by IG/TR RQ-PCR, sampled 2026-10-19, ≥ cutoff 10⁻⁴ (assumption) "
            "→ positive."
        )
        assert [note.name for note in hr.assumptions] == ["mrd_threshold_fraction"]
        assert hr.source == "registry"

    def test_the_assignment_is_dated_by_the_sample_it_rests_on(self) -> None:
        record = make_record(genetics={"kmt2a": {"status": "germline"}}, mrd=[_mrd(0.0, "2026-09-30")])
        result = stratify_patient(parse(record), NCT, as_of=TODAY)
        assert result.risk_group == "LR"
        assert result.data_date == date(2026, 9, 30)
        assert result.to_dict()["data_date"] == "2026-09-30"

    def test_a_pending_assignment_has_no_data_date_and_says_what_it_waits_for(self) -> None:
        record = make_record(genetics={"kmt2a": {"status": "germline"}}, mrd=[])
        result = stratify_patient(parse(record), NCT, as_of=TODAY)
        final = result.time_points[-1]
        assert final.data_date is None
        assert "waiting for a decisive MRD result after consolidation 1" in final.summary

    def test_a_sourced_threshold_is_not_marked_as_an_assumption(self) -> None:
        """The mark follows the protocol file: the same cutoff with a source reads without it."""
        data = NCT.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["parameters"]["mrd_threshold_fraction"].update(assumption=False, source="borowitz-2008")
        sourced = parse_protocol(data, source="test copy")
        record = make_record(genetics={"kmt2a": {"status": "rearranged"}}, mrd=[_mrd(5e-4)])
        hr = _rule(stratify_patient(parse(record), sourced, as_of=TODAY), "HR").explanation
        assert "cutoff 10⁻⁴ (assumption)" not in hr.text
        assert "≥ cutoff 10⁻⁴ → positive" in hr.text
        assert [note.assumption for note in hr.assumptions] == [False]


class TestScreeningSentences:
    def test_an_unknown_names_the_missing_finding_in_words(self) -> None:
        record = make_record(patient={"date_of_birth": DROP})
        age = next(c for c in screen_patient(parse(record), NCT, as_of=TODAY).criteria if c.id == "incl-age")
        assert age.reason == (
            'Inclusion "The age of diagnosis is less than 1 year old": cannot be decided yet: '
            "age at diagnosis: unknown, date of birth not recorded. Needed: date of birth."
        )

    def test_the_steroid_window_marks_its_assumed_reference_date(self) -> None:
        course = {
            "drug": "dexamethasone",
            "systemic": True,
            "start_date": "2026-05-20",
            "end_date": "2026-05-22",
        }
        record = make_record(prior_steroids=[course])
        (steroids,) = [
            c for c in screen_patient(parse(record), NCT, as_of=TODAY).criteria if c.id == "excl-steroids"
        ]
        assert steroids.explanation is not None
        assert steroids.reason.endswith(
            "applies, the child is excluded: steroid course before study entry 1: systemic: yes and "
            "steroid course before study entry 1: 2026-05-20 to 2026-05-22 overlaps the 28 days up to "
            "study entry (2026-06-05) (assumption)."
        )
        assert [(n.name, n.assumption) for n in steroids.explanation.assumptions] == [
            ("steroid_window_days", False),
            ("steroid_window_reference", True),
        ]

    @pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name[:6])
    def test_no_sentence_shows_an_engine_path(self, path: Path) -> None:
        """Every sentence for every example record, protocol and shipped trial is in words, and
        none names the date of birth (an identifier: the sentence gives the age)."""
        record = parse_record_json(path.read_text(), today=date(2026, 12, 2))
        sentences = [c.reason for c in screen_patient(record, NCT, as_of=TODAY).criteria]
        sentences += [e.text for e in stratify_patient(record, NCT, as_of=TODAY).explanation()]
        trials = [load_shipped_trial(t) for t in shipped_trial_ids()]
        sentences += [
            line for m in match_trials(record, trials, as_of=TODAY).matches for line in m.explanation()
        ]
        leaks = [s for s in sentences if RAW_PATH.search(s.split('": ', 1)[-1])]
        assert record.patient.date_of_birth is not None
        born = record.patient.date_of_birth.isoformat()
        assert [s for s in sentences if born in s] == [], "an identifier in a sentence"
        assert leaks == []


class TestSameTextEverywhere:
    def test_cli_explain_and_json_carry_the_same_sentences(self) -> None:
        path = next(p for p in EXAMPLES if p.name.startswith("INF-04"))
        words = run_cli("stratify", str(path), "-p", "NCT06516679", "--explain", cwd=Path.cwd())
        payload = json.loads(
            run_cli("stratify", str(path), "-p", "NCT06516679", "--json", cwd=Path.cwd()).stdout
        )
        assert words.returncode == 0
        assert payload["data_date"] in words.stdout.splitlines()[0]
        for sentence in payload["explanation"]:
            assert f"- {sentence['text']}" in words.stdout
        assert "Assumption mrd_threshold_fraction = 10⁻⁴" in words.stdout

    def test_cli_screen_explain(self) -> None:
        path = next(p for p in EXAMPLES if p.name.startswith("INF-07"))
        words = run_cli("screen", str(path), "-p", "NCT06516679", "--explain", cwd=Path.cwd()).stdout
        assert words.splitlines()[0].endswith("NEEDS REVIEW")
        assert "a named person must attest it; no attestation is recorded." in words

    def test_trials_match_explain(self) -> None:
        path = next(p for p in EXAMPLES if p.name.startswith("INF-07"))
        answer = run_cli("trials", "match", str(path), "--explain", cwd=Path.cwd())
        assert answer.returncode == 0
        assert "NCT06516679: NEEDS REVIEW" in answer.stdout
        assert 'Participants with contraindication to medication": cannot be ruled out yet' in answer.stdout
