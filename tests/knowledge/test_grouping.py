"""Therapy options grouped for a clinician: one row per therapy, applies now / would apply if / does not."""

from __future__ import annotations

from datetime import date

from remission.knowledge import Group, shipped_knowledge_base, therapy_options, therapy_rows
from support.records import make_record, parse

ON = date(2026, 12, 2)


def _rows(**overrides: object) -> dict[str, object]:
    report = therapy_options(parse(make_record(**overrides)), shipped_knowledge_base(), as_of=ON)
    rows = therapy_rows(report)
    names = [row.therapy for row in rows]
    assert len(names) == len(set(names)), "a therapy appears twice"
    return {row.therapy: row for row in rows}


def test_every_entry_is_in_exactly_one_row() -> None:
    report = therapy_options(parse(make_record()), shipped_knowledge_base(), as_of=ON)
    entries = sorted(entry for row in therapy_rows(report) for entry in row.to_dict()["entries"])
    assert entries == sorted(o.entry.id for o in (*report.options, *report.not_applicable))


def test_imatinib_and_dasatinib_merge_their_entries() -> None:
    rows = _rows()
    for therapy in ("imatinib", "dasatinib"):
        assert len(rows[therapy].to_dict()["entries"]) == 2


def test_a_missing_finding_is_named_in_words() -> None:
    imatinib = _rows()["imatinib"]
    assert imatinib.group is Group.WOULD_APPLY_IF
    assert imatinib.condition == (
        "gene fusions and Philadelphia chromosome (BCR::ABL1) are recorded and show BCR::ABL1; "
        "or Ph-like class and Philadelphia chromosome (BCR::ABL1) are recorded and show Ph-like ABL-class"
    )


def test_a_recorded_bcr_abl1_makes_imatinib_apply_now() -> None:
    genetics = {"kmt2a": {"status": "germline"}, "fusions": ["BCR::ABL1"], "ph_status": "positive"}
    imatinib = _rows(genetics=genetics)["imatinib"]
    assert imatinib.group is Group.APPLIES_NOW
    assert "BCR::ABL1" in imatinib.condition


def test_an_absent_finding_does_not_apply() -> None:
    rows = _rows(genetics={"kmt2a": {"status": "germline"}, "fusions": []})
    assert rows["larotrectinib"].group is Group.DOES_NOT_APPLY
    assert rows["larotrectinib"].condition == "NTRK fusion not found"
