"""Hypothesis strategies: valid records with many unknowns, boundary ages, dates and MRD values.

Every field may be unrecorded; dates cluster around the boundaries the criteria test
(birthdays, the 28-day steroid window, study entry, 29 February); MRD values sit on and
around the 10⁻⁴ threshold. Records are valid for the model but need not be consistent
(a diagnosis may precede birth), which the evaluators must also agree on.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from remission.protocols import load_protocol
from remission.record import PatientRecord, add_months
from remission.record.vocabulary import (
    CNSStatus,
    ConsentGiver,
    KMT2AStatus,
    Lineage,
    MarkerResult,
    MRDMethod,
    PhLikeClass,
    PhStatus,
    PrednisoneResponse,
    RelapseStatus,
    Sex,
    Syndrome,
    WhoType,
)
from remission.rules import DisagreementPolicy, MRDRules, PNQPolicy

#: The screening date of the property tests; study entry falls back to it.
AS_OF = date(2026, 6, 5)
NCT = load_protocol("NCT06516679")
CRITERION_IDS = [criterion.id for criterion in NCT.eligibility or []]

BIRTHS = [date(2024, 2, 29), date(2025, 1, 31), date(2025, 6, 5), date(2025, 6, 6), date(2025, 3, 31)]
THRESHOLDS = [0.0, 9.9e-5, 1e-4, 1.0001e-4, 1e-3, 0.05]


def values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def maybe(strategy: st.SearchStrategy[Any], none_weight: int = 1) -> st.SearchStrategy[Any]:
    """``strategy`` or unrecorded (``None``), the latter drawn often."""
    return st.one_of(*([st.none()] * none_weight), strategy)


@st.composite
def near_anniversary(draw: st.DrawFn, born: date) -> date:
    """A date on or next to a month anniversary of ``born`` (1, 6, 11, 12, 13 or 24 months)."""
    months = draw(st.sampled_from([0, 1, 6, 11, 12, 13, 24]))
    return add_months(born, months) + timedelta(days=draw(st.integers(-2, 2)))


def around(center: date, before: int, after: int) -> st.SearchStrategy[date]:
    return st.integers(-before, after).map(lambda offset: center + timedelta(days=offset))


@st.composite
def periods(draw: st.DrawFn, center: date, **item: Any) -> dict[str, Any]:
    """A period starting near the 28-day window before ``center``, ongoing or ended.

    ``item`` gives a strategy for each other field of the item.
    """
    start = draw(st.one_of(around(center - timedelta(days=28), 3, 3), around(center, 40, 5)))
    length = draw(maybe(st.sampled_from([0, 1, 2, 27, 28, 29, 60])))
    end = None if length is None else start + timedelta(days=length)
    return {**{name: draw(value) for name, value in item.items()}, "start_date": start, "end_date": end}


@st.composite
def mrd_results(draw: st.DrawFn) -> dict[str, Any]:
    result: dict[str, Any] = {
        "time_point": draw(st.sampled_from(["after consolidation 1", "end of induction", "before HSCT"])),
        "method": draw(st.sampled_from(values(MRDMethod))),
        "sample_date": date(2026, 8, 3),
    }
    value = draw(st.one_of(st.none(), st.sampled_from(THRESHOLDS), st.floats(0, 1)))
    if value is None:
        result["positive_not_quantifiable"] = True
    else:
        result["value_fraction"] = value
    result["sensitivity_fraction"] = draw(st.sampled_from([None, 1e-6, 1e-5, 1e-4, 1e-3]))
    return result


@st.composite
def attestations(draw: st.DrawFn, protocols: tuple[str, ...], criteria: tuple[str, ...]) -> dict[str, Any]:
    return {
        "protocol_id": draw(st.sampled_from(protocols)),
        "criterion_id": draw(st.sampled_from(criteria)),
        "outcome": draw(st.sampled_from(["met", "not met"])),
        "attested_by": draw(st.sampled_from(["Dr. A", "Dr. B"])),
        "role": draw(maybe(st.just("investigator"))),
        "date": draw(around(AS_OF, 2, 2)),
        "note": draw(maybe(st.just("checked"))),
    }


@st.composite
def diagnoses(draw: st.DrawFn, born: date) -> dict[str, Any]:
    who_type = draw(maybe(st.sampled_from(values(WhoType))))
    lineage = draw(maybe(st.sampled_from(values(Lineage)))) if who_type in (None, "ALAL") else None
    markers = st.dictionaries(
        st.sampled_from(["CD19", "CD22", "cyCD3", "MPO"]), st.sampled_from(values(MarkerResult))
    )
    return {
        "date": draw(maybe(st.one_of(near_anniversary(born), around(born, 5, 800)))),
        "who_type": who_type,
        "alal_predominant_lineage": lineage,
        "immunophenotype": draw(maybe(markers, 2)),
    }


@st.composite
def genetics(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(maybe(st.sampled_from(values(KMT2AStatus))))
    kmt2a = {
        "status": status,
        "partner": draw(maybe(st.sampled_from(["AFF1", "MLLT1"]))) if status == "rearranged" else None,
        "method": draw(maybe(st.just("FISH"))),
    }
    fusions = st.lists(st.sampled_from(["KMT2A::AFF1", "BCR::ABL1", "ETV6::RUNX1"]), max_size=2)
    mutations = st.lists(
        st.builds(dict, gene=st.sampled_from(["FLT3", "NPM1", "NRAS"]), variant=maybe(st.just("p.D835Y"))),
        max_size=2,
    )
    return {
        "kmt2a": draw(maybe(st.just(kmt2a))),
        "fusions": draw(maybe(fusions)),
        "mutations": draw(maybe(mutations)),
        "ph_status": draw(maybe(st.sampled_from(values(PhStatus)))),
        "ph_like_class": draw(maybe(st.sampled_from(values(PhLikeClass)))),
    }


@st.composite
def record_data(
    draw: st.DrawFn, protocols: tuple[str, ...] = ("NCT06516679", "OTHER-1"), criteria: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The JSON-ready data of one valid record; attestations name ``protocols`` and ``criteria``."""
    born = draw(st.one_of(st.sampled_from(BIRTHS), st.dates(date(2023, 1, 1), date(2026, 5, 1))))
    entry = draw(maybe(around(AS_OF, 3, 3)))
    center = entry or AS_OF
    consent = st.builds(
        dict,
        given_by=st.sampled_from(values(ConsentGiver)),
        date=around(center, 2, 2),
        form_version=st.just("v1"),
    )
    return {
        "patient": {
            "study_id": f"P-{draw(st.integers(0, 999))}",
            "sex": draw(maybe(st.sampled_from(values(Sex)))),
            "date_of_birth": draw(maybe(st.just(born), 1)),
            "site": draw(maybe(st.just("SEV"))),
        },
        "diagnosis": draw(maybe(diagnoses(born))),
        "genetics": draw(maybe(genetics())),
        "wbc_at_diagnosis_1e9_per_l": draw(
            maybe(st.one_of(st.sampled_from([0.0, 299.99, 300.0]), st.floats(0, 900)))
        ),
        "cns_status": draw(maybe(st.sampled_from(values(CNSStatus)))),
        "prednisone_response": draw(maybe(st.sampled_from(values(PrednisoneResponse)))),
        "syndromes": draw(maybe(st.lists(st.sampled_from(values(Syndrome)), unique=True, max_size=2))),
        "prior_steroids": draw(
            maybe(
                st.lists(periods(center, drug=st.just("dexamethasone"), systemic=st.booleans()), max_size=3)
            )
        ),
        "prior_hsct": draw(st.sampled_from([None, True, False])),
        "relapse_status": draw(maybe(st.sampled_from(values(RelapseStatus)))),
        "consent": draw(maybe(consent)),
        "other_studies": draw(
            maybe(
                st.lists(periods(center, study_id=st.just("NCT0"), interventional=st.booleans()), max_size=2)
            )
        ),
        "study_entry_date": entry,
        "mrd": draw(st.lists(mrd_results(), max_size=4)),
        "treatment_phases": draw(st.lists(periods(center, phase_id=st.just("induction")), max_size=2)),
        "attestations": draw(st.lists(attestations(protocols, criteria or tuple(CRITERION_IDS)), max_size=3)),
    }


def records(
    protocols: tuple[str, ...] = ("NCT06516679", "OTHER-1"), criteria: tuple[str, ...] = ()
) -> st.SearchStrategy[PatientRecord]:
    """Valid :class:`PatientRecord` objects (not necessarily consistent in their dates).

    Attestations name one of ``protocols`` and one of ``criteria`` (default: NCT06516679's).
    """
    return record_data(protocols, criteria).map(PatientRecord.model_validate)


def cohorts(max_size: int = 25) -> st.SearchStrategy[list[PatientRecord]]:
    """Lists of records to screen together."""
    return st.lists(records(), min_size=1, max_size=max_size)


@st.composite
def mrd_rules(draw: st.DrawFn) -> MRDRules:
    """MRD rules under every policy choice."""
    policy = draw(st.sampled_from(list(DisagreementPolicy)))
    priority: tuple[MRDMethod, ...] = ()
    if policy is DisagreementPolicy.METHOD_PRIORITY:
        priority = tuple(
            draw(st.lists(st.sampled_from(list(MRDMethod)), min_size=1, max_size=3, unique=True))
        )
    return MRDRules(
        threshold_fraction=draw(st.sampled_from([1e-4, 1e-3])),
        positive_at_threshold=draw(st.booleans()),
        pnq=draw(st.sampled_from(list(PNQPolicy))),
        require_sensitivity_for_negative=draw(st.booleans()),
        policy=policy,
        method_priority=priority,
    )
