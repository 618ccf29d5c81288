"""Properties of screening and stratification that hold for any record, checked with hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from remission.protocols import (
    PENDING,
    Protocol,
    Verdict,
    load_protocol,
    parse_protocol,
    screen_patient,
    stratify_patient,
    with_parameters,
)
from remission.record.vocabulary import ConsentGiver, ConsentKind, MRDMethod, RelapseStatus, Syndrome
from remission.rules import Truth
from support.records import DROP, TODAY, make_record, parse

NCT = load_protocol("NCT06516679")
FINAL_MRD = "after consolidation 1"
MRD_KEY = f"mrd[{FINAL_MRD}]"


def _method_priority() -> Protocol:
    data = NCT.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["parameters"]["mrd_disagreement_policy"]["value"] = "method_priority"
    data["parameters"]["mrd_method_priority"] = {
        "value": ["IG/TR RQ-PCR", "flow cytometry"],
        "description": "MRD methods in order of precedence.",
        "assumption": True,
    }
    return parse_protocol(data, source="test")


#: NCT06516679 as shipped and under each alternative answer to its open MRD questions.
VARIANTS = [
    NCT,
    with_parameters(NCT, {"mrd_positive_at_threshold": False}),
    with_parameters(NCT, {"mrd_threshold_fraction": 1e-3}),
    with_parameters(NCT, {"mrd_pnq_counts_as": "positive"}),
    with_parameters(NCT, {"mrd_pnq_counts_as": "negative"}),
    with_parameters(NCT, {"mrd_negative_requires_sensitivity": False}),
    with_parameters(NCT, {"steroid_window_reference": "diagnosis"}),
    _method_priority(),
]

#: Record fields that NCT06516679's criteria read and that decide a criterion on their own, as key
#: paths. study_entry_date is not among them: the screening date stands in for it.
READ_FIELDS = [
    ("patient", "date_of_birth"),
    ("diagnosis",),
    ("diagnosis", "date"),
    ("diagnosis", "who_type"),
    ("consent",),
    ("syndromes",),
    ("prior_hsct",),
    ("relapse_status",),
    ("prior_steroids",),
    ("other_studies",),
    ("attestations",),
]
ELIGIBLE_DIAGNOSES = [
    {"who_type": "B-ALL"},
    {"who_type": "T-ALL"},
    {"who_type": "ALAL", "alal_predominant_lineage": "B-lymphoid"},
    {"who_type": "ALAL", "alal_predominant_lineage": "T-lymphoid"},
]


def without(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """``data`` with the key at ``path`` removed (in place)."""
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return data


def day(start: date, end: date) -> st.SearchStrategy[str]:
    return st.dates(min_value=start, max_value=end).map(date.isoformat)


@st.composite
def mrd_results(draw: st.DrawFn, time_points: tuple[str, ...] = (FINAL_MRD, "end of induction")) -> dict:
    result: dict[str, Any] = {
        "time_point": draw(st.sampled_from(time_points)),
        "method": draw(st.sampled_from([m.value for m in MRDMethod])),
        "sample_date": "2026-08-03",
    }
    value = draw(st.one_of(st.none(), st.sampled_from([0.0, 9.9e-5, 1e-4, 1e-3]), st.floats(0, 0.05)))
    if value is None:
        result["positive_not_quantifiable"] = True
    else:
        result["value_fraction"] = value
    sensitivity = draw(st.sampled_from([None, 1e-6, 1e-5, 1e-4, 1e-3]))
    if sensitivity is not None:
        result["sensitivity_fraction"] = sensitivity
    return result


@st.composite
def periods(draw: st.DrawFn, **item: Any) -> dict[str, Any]:
    """A steroid course or study participation starting between February and mid-June 2026."""
    start = draw(st.dates(date(2026, 2, 1), date(2026, 6, 15)))
    length = draw(st.one_of(st.none(), st.integers(0, 60)))
    end = None if length is None else (start + timedelta(days=length)).isoformat()
    return {**item, "start_date": start.isoformat(), "end_date": end}


steroid_courses = st.builds(dict, drug=st.just("dexamethasone"), systemic=st.booleans()).flatmap(
    lambda item: periods(**item)
)
participations = st.builds(dict, study_id=st.just("NCT09999999"), interventional=st.booleans()).flatmap(
    lambda item: periods(**item)
)


@st.composite
def diagnoses(draw: st.DrawFn, born: date) -> dict[str, Any]:
    who_type = draw(st.sampled_from([None, "B-ALL", "T-ALL", "ALAL", "AML", "mature-B/Burkitt"]))
    lineage = None
    if who_type == "ALAL":
        lineage = draw(st.sampled_from([None, "B-lymphoid", "T-lymphoid", "myeloid", "undetermined"]))
    diagnosed = draw(st.one_of(st.none(), st.integers(0, 540).map(lambda d: born + timedelta(days=d))))
    if diagnosed is not None:
        diagnosed = min(diagnosed, TODAY).isoformat()
    return {"date": diagnosed, "who_type": who_type, "alal_predominant_lineage": lineage}


@st.composite
def attestations(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "protocol_id": "NCT06516679",
        "criterion_id": draw(st.sampled_from([c.id for c in NCT.eligibility])),
        "outcome": draw(st.sampled_from(["met", "not met"])),
        "attested_by": "Dr. Ji-Ho Lee",
        "date": draw(day(date(2026, 6, 1), date(2026, 6, 10))),
    }


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A variant of the eligible record: some or all fields randomised, recorded or not."""
    born = draw(st.dates(date(2024, 6, 1), date(2026, 1, 31)))
    consent = st.fixed_dictionaries(
        {
            "given_by": st.sampled_from([g.value for g in ConsentGiver]),
            "date": day(date(2026, 5, 25), date(2026, 6, 15)),
            "form_version": st.just("v1"),
        }
    )
    fields = {
        "patient": st.fixed_dictionaries({"date_of_birth": st.sampled_from([None, born.isoformat()])}),
        "diagnosis": diagnoses(born),
        "genetics": st.fixed_dictionaries(
            {"kmt2a": st.fixed_dictionaries({"status": st.sampled_from([None, "germline", "rearranged"])})}
        ),
        "syndromes": maybe(st.lists(st.sampled_from([s.value for s in Syndrome]), unique=True, max_size=2)),
        "prior_hsct": st.sampled_from([None, True, False]),
        "relapse_status": st.sampled_from([None, *(r.value for r in RelapseStatus)]),
        "consent": maybe(consent),
        "study_entry_date": maybe(day(date(2026, 6, 1), date(2026, 6, 10))),
        "prior_steroids": maybe(st.lists(steroid_courses, max_size=3)),
        "other_studies": maybe(st.lists(participations, max_size=2)),
        "mrd": st.lists(mrd_results(), max_size=4),
        "attestations": st.lists(attestations(), max_size=3),
    }
    chosen = draw(st.one_of(st.sets(st.sampled_from(sorted(fields)), max_size=3), st.just(set(fields))))
    if "patient" not in chosen:  # keep every date after the date of birth
        born = date(2026, 1, 15)
        fields["diagnosis"] = diagnoses(born)
    return make_record(**{name: draw(fields[name]) for name in sorted(chosen)})


class TestMissingDataNeverMakesEligible:
    def test_read_fields_are_read_by_the_criteria(self):
        """Every field the criteria read is covered by READ_FIELDS, and every listed field is read."""
        result = screen_patient(parse(make_record()), NCT, as_of=TODAY)
        not_deciding = {"study_entry_date", "diagnosis.alal_predominant_lineage", "age (years, derived)"}
        read = {"attestations" if p == "attestation" else p for c in result.criteria for p in c.inputs}
        read -= not_deciding
        listed = {".".join(path) for path in READ_FIELDS}

        def covers(field: str, path: str) -> bool:
            return path == field or path.startswith(field + ".")

        assert all(any(covers(field, path) for field in listed) for path in read)
        assert all(any(covers(field, path) for path in read) for field in listed)

    @settings(max_examples=200, deadline=None)
    @given(
        diagnosis=st.sampled_from(ELIGIBLE_DIAGNOSES),
        # The record's consent is a parental permission (an assent or own consent never reaches it).
        given_by=st.sampled_from(
            [g.value for g in ConsentGiver if g.kind is ConsentKind.PARENTAL_PERMISSION]
        ),
        kmt2a=st.sampled_from(["germline", "rearranged"]),
        protocol=st.sampled_from(VARIANTS),
        data=st.data(),
    )
    def test_removing_a_read_field_needs_review(self, diagnosis, given_by, kmt2a, protocol, data):
        """An eligible record with any one read field removed is never eligible, only in need of review."""
        record = make_record(
            diagnosis=diagnosis, consent={"given_by": given_by}, genetics={"kmt2a": {"status": kmt2a}}
        )
        assert screen_patient(parse(record), protocol, as_of=TODAY).verdict is Verdict.ELIGIBLE
        alal = diagnosis["who_type"] == "ALAL"
        fields = READ_FIELDS + ([("diagnosis", "alal_predominant_lineage")] if alal else [])
        removed = without(record, data.draw(st.sampled_from(fields)))

        result = screen_patient(parse(removed), protocol, as_of=TODAY)

        assert result.verdict is Verdict.NEEDS_REVIEW
        assert result.unresolved


class TestFinalGroupNeedsKMT2AAndMRD:
    @settings(max_examples=200, deadline=None)
    @given(
        record=records(),
        protocol=st.sampled_from(VARIANTS),
        removed=st.sampled_from([("genetics",), ("genetics", "kmt2a"), ("genetics", "kmt2a", "status")]),
    )
    def test_without_kmt2a_status_is_pending(self, record, protocol, removed):
        """Removing the KMT2A status from any record leaves the risk group pending, naming the status."""
        result = stratify_patient(parse(without(record, removed)), protocol, as_of=TODAY)

        assert (result.risk_group, result.arm) == (PENDING, None)
        assert "genetics.kmt2a.status" in result.missing

    @settings(max_examples=200, deadline=None)
    @given(record=records(), protocol=st.sampled_from(VARIANTS))
    def test_without_final_mrd_is_pending(self, record, protocol):
        """Removing the MRD results after consolidation 1 from any record leaves the group pending."""
        record["mrd"] = [r for r in record["mrd"] if r["time_point"] != FINAL_MRD]

        result = stratify_patient(parse(record), protocol, as_of=TODAY)

        assert (result.risk_group, result.arm) == (PENDING, None)
        assert MRD_KEY in result.missing


class TestAnyRecord:
    @settings(max_examples=200, deadline=None)
    @given(record=records(), protocol=st.sampled_from(VARIANTS))
    def test_eligible_only_when_every_criterion_decided(self, record, protocol):
        """A record is eligible only if every criterion is decided, none failing."""
        result = screen_patient(parse(record), protocol, as_of=TODAY)
        decided = all(c.status is not Truth.UNKNOWN for c in result.criteria)

        assert (result.verdict is Verdict.ELIGIBLE) == (decided and not result.failing)
        assert (result.verdict is Verdict.NOT_ELIGIBLE) == bool(result.failing)

    @settings(max_examples=200, deadline=None)
    @given(record=records(), protocol=st.sampled_from(VARIANTS))
    def test_risk_group_is_a_group_or_pending(self, record, protocol):
        """Any record gets LR, IR or HR with its arm, or pending without an arm."""
        result = stratify_patient(parse(record), protocol, as_of=TODAY)

        assert result.risk_group in {"LR", "IR", "HR", PENDING}
        assert result.arm == (None if result.risk_group == PENDING else f"{result.risk_group}-arm")
        assert (result.risk_group == PENDING) == bool(result.missing)


class TestMRDOrder:
    @settings(max_examples=200, deadline=None)
    @given(
        kmt2a=st.sampled_from([None, "germline", "rearranged"]),
        protocol=st.sampled_from(VARIANTS),
        data=st.data(),
    )
    def test_order_of_results_does_not_matter(self, kmt2a, protocol, data):
        """Stratification gives the same group, arm, track and missing data for any order of MRD results."""
        results = data.draw(st.lists(mrd_results((FINAL_MRD,)), min_size=1, max_size=5))
        shuffled = data.draw(st.permutations(results))
        genetics = {"kmt2a": {"status": kmt2a if kmt2a else DROP}}

        one, other = (
            stratify_patient(parse(make_record(genetics=genetics, mrd=r)), protocol, as_of=TODAY)
            for r in (results, shuffled)
        )

        assert (one.risk_group, one.arm, one.provisional_track, set(one.missing)) == (
            other.risk_group,
            other.arm,
            other.provisional_track,
            set(other.missing),
        )
