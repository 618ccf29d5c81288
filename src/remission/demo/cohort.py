"""The synthetic demo cohort: children generated from a fixed seed, as plain values (no store here).

The cohort (study ids ``SYN-…`` at sites ``SYN-A``, ``SYN-B``, ``SYN-C``) exists so the study
report has outcomes to analyse. The same seed gives the same children. Course rows are
``(kind segment, values)`` pairs naming the store's course-row kinds; :mod:`remission.demo.loading`
writes them through the store's public functions. **Every rate below is an arbitrary demo parameter
chosen to make risk groups, relapses, deaths in remission and transplants occur; none is a
clinical fact and the outcomes mean nothing clinically.**
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

SYNTHETIC_SEED = 20261121
SYNTHETIC_SIZE = 240
SYNTHETIC_PROTOCOL = "NCT06516679"
SYNTHETIC_SITES = ("SYN-A", "SYN-B", "SYN-C")
#: Diagnoses fall in [FIRST, LAST]; nothing is dated after DATA_CUT (the synthetic data cut).
FIRST_DIAGNOSIS, LAST_DIAGNOSIS, DATA_CUT = date(2016, 1, 1), date(2024, 6, 30), date(2025, 12, 31)
#: Study ids of the synthetic cohort start with this; pages and reports label them as synthetic.
SYNTHETIC_PREFIX = "SYN-"
_YEAR = 365.25
_RELAPSE_SITES = ("marrow", "CNS", "testis", "other extramedullary", "combined")
#: Demo parameters (arbitrary, not clinical): probabilities, and hazards per year.
DEMO_PARAMETERS: dict[str, float] = {
    "p_female": 0.55,
    "p_kmt2a_rearranged": 0.7,
    "p_mrd_positive_rearranged": 0.45,
    "p_mrd_positive_germline": 0.25,
    "p_induction_death": 0.02,
    "p_hsct_cr1_rearranged_mrd_positive": 0.9,
    "p_hsct_cr1_other": 0.04,
    "relapse_hazard": 0.045,
    "relapse_x_rearranged": 2.0,
    "relapse_x_mrd_positive": 1.8,
    "relapse_x_under_6_months": 1.6,
    "death_in_remission_hazard": 0.02,
    "p_transplant_related_death": 0.1,
    "p_lost_to_follow_up": 0.05,
    "p_salvage_hsct": 0.5,
    "p_remission_before_second_hsct": 0.55,
    "death_after_relapse_hazard": 0.45,
    "death_after_relapse_x_under_6_months": 1.5,
    "death_after_relapse_x_after_hsct": 1.3,
    "death_after_relapse_x_no_remission_before_second_hsct": 1.5,
    "p_adverse_event_in_induction": 0.7,
    "p_long_term_survivor_after_relapse": 0.2,
}
#: Relapse sites' probabilities (testis only for boys) and multipliers of death after relapse.
_SITE_P = np.array([0.6, 0.1, 0.05, 0.08, 0.17])
_SITE_X = np.array([1.0, 0.8, 0.6, 0.15, 1.2])


@dataclass
class SyntheticPatient:
    """One generated child: baseline values and course rows as (kind segment, values) pairs."""

    study_id: str
    site: str
    sex: str
    born: date
    baseline: dict[str, object]
    consented: date
    rows: list[tuple[str, dict[str, object]]] = field(default_factory=list)


def _draws(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Every random quantity of the cohort at once (days from diagnosis); ``inf`` means never."""
    p = DEMO_PARAMETERS
    span = (LAST_DIAGNOSIS - FIRST_DIAGNOSIS).days
    d: dict[str, np.ndarray] = {
        "diagnosed": rng.integers(0, span + 1, n),
        "age": rng.integers(14, 361, n),
        "female": rng.random(n) < p["p_female"],
        "rearranged": rng.random(n) < p["p_kmt2a_rearranged"],
        "wbc": np.round(10 ** rng.normal(1.8, 0.6, n), 1),
        "cns": rng.choice(np.array(["CNS1", "CNS2", "CNS3"]), n, p=[0.75, 0.15, 0.10]),
    }
    positive_p = np.where(d["rearranged"], p["p_mrd_positive_rearranged"], p["p_mrd_positive_germline"])
    d["mrd_positive"] = rng.random(n) < positive_p
    d["mrd"] = np.where(d["mrd_positive"], 10 ** rng.uniform(-3.5, -1.5, n), 0.0)
    d["induction_death"] = np.where(rng.random(n) < p["p_induction_death"], rng.integers(10, 40, n), np.inf)
    high = d["rearranged"] & d["mrd_positive"]
    hsct_p = np.where(high, p["p_hsct_cr1_rearranged_mrd_positive"], p["p_hsct_cr1_other"])
    d["hsct"] = np.where(rng.random(n) < hsct_p, rng.integers(170, 231, n), np.inf)
    rate = p["relapse_hazard"] * np.where(d["rearranged"], p["relapse_x_rearranged"], 1.0)
    rate = rate * np.where(d["mrd_positive"], p["relapse_x_mrd_positive"], 1.0)
    rate = rate * np.where(d["age"] < 183, p["relapse_x_under_6_months"], 1.0)
    relapse = 90 + rng.exponential(_YEAR / rate)
    d["relapse"] = np.where(relapse < 6 * _YEAR, np.floor(relapse), np.inf)
    d["death_in_remission"] = np.floor(90 + rng.exponential(_YEAR / p["death_in_remission_hazard"], n))
    d["trm"] = np.where(rng.random(n) < p["p_transplant_related_death"], rng.integers(15, 251, n), np.inf)
    d["lost"] = np.where(rng.random(n) < p["p_lost_to_follow_up"], rng.integers(180, 2200, n), np.inf)
    d["site_code"] = rng.choice(len(_RELAPSE_SITES), n, p=_SITE_P)
    d["salvage"] = rng.random(n) < p["p_salvage_hsct"]
    d["salvage_delay"] = rng.integers(60, 151, n)
    d["remission_second"] = rng.random(n) < p["p_remission_before_second_hsct"]
    d["post_relapse"] = rng.exponential(1.0, n)
    d["long_term"] = rng.random(n) < p["p_long_term_survivor_after_relapse"]
    d["ae"] = rng.random(n) < p["p_adverse_event_in_induction"]
    d["jitter"] = rng.integers(0, 8, (n, 4))
    return d


def synthetic_cohort(size: int = SYNTHETIC_SIZE, seed: int = SYNTHETIC_SEED) -> list[SyntheticPatient]:
    """The synthetic demo cohort: the same ``size`` children for the same ``seed``."""
    draws = _draws(np.random.default_rng(seed), size)
    return [_patient(i, {name: values[i] for name, values in draws.items()}) for i in range(size)]


def _patient(i: int, d: dict[str, np.ndarray]) -> SyntheticPatient:
    site = SYNTHETIC_SITES[i % len(SYNTHETIC_SITES)]
    diagnosed = FIRST_DIAGNOSIS + timedelta(days=int(d["diagnosed"]))

    def on(day: float) -> date:
        return diagnosed + timedelta(days=int(day))

    sex = "female" if d["female"] else "male"
    kmt2a: dict[str, object] = {"status": "rearranged" if d["rearranged"] else "germline", "method": "FISH"}
    if d["rearranged"]:
        kmt2a["partner"] = "AFF1"
    baseline = {
        "diagnosis": {"date": diagnosed.isoformat(), "who_type": "B-ALL"},
        "genetics": {"kmt2a": kmt2a},
        "wbc_at_diagnosis_1e9_per_l": float(d["wbc"]),
        "cns_status": str(d["cns"]),
        "syndromes": [],
        "prior_steroids": [],
        "prior_hsct": False,
        "relapse_status": "never relapsed",
        "other_studies": [],
    }
    j = d["jitter"]
    child = SyntheticPatient(
        f"{SYNTHETIC_PREFIX}{site[-1]}-{i + 1:03}",
        site,
        sex,
        diagnosed - timedelta(days=int(d["age"])),
        baseline,
        on(1 + j[0] % 2),
    )
    rows = child.rows
    entry = child.consented + timedelta(days=1)
    cut = float((DATA_CUT - diagnosed).days)
    end_induction = (entry - diagnosed).days + 34
    rows.append(
        (
            "treatment-phases",
            {"phase_id": "induction", "actual_start": entry, "actual_end": on(end_induction)},
        )
    )
    if d["ae"] and not np.isfinite(d["induction_death"]):
        onset = end_induction - 20 + j[1]
        rows.append(("adverse-events", _adverse("Febrile neutropenia", 3, on(onset), on(onset + 5 + j[2]))))
    if np.isfinite(d["induction_death"]):
        day = float(d["induction_death"])
        rows[0][1]["actual_end"] = on(day)
        rows.append(("adverse-events", _adverse("Sepsis", 5, on(day - 3), None)))
        rows.append(("deaths", {"date": on(day), "cause": "induction death: infection (synthetic)"}))
        return child
    block = "hr_consolidation_1" if d["rearranged"] else "lr_consolidation_1"
    start, end = end_induction + 3, end_induction + 30
    rows.append(("treatment-phases", {"phase_id": block, "actual_start": on(start), "actual_end": on(end)}))
    rows.append(("mrd", _mrd(on(end + 1), float(d["mrd"]))))
    _course(child, d, on, cut)
    return child


def _course(
    child: SyntheticPatient, d: dict[str, np.ndarray], on: Callable[[float], date], cut: float
) -> None:
    """Transplants, relapse, death and follow-up visits after consolidation 1 (days from diagnosis)."""
    rows, p, j = child.rows, DEMO_PARAMETERS, d["jitter"]
    relapse, lost = float(d["relapse"]), float(d["lost"])
    hsct = float(d["hsct"])
    remission_death = min(float(d["death_in_remission"]), hsct + float(d["trm"]))
    if hsct < min(relapse, remission_death, lost, cut):
        rows.append(("transplants", _transplant(on(hsct), j[3])))
    else:
        hsct, remission_death = np.inf, float(d["death_in_remission"])
    death, relapsed = remission_death, relapse < min(remission_death, lost, cut)
    if relapsed:
        after = hsct < relapse
        site = int(d["site_code"]) if child.sex == "male" or int(d["site_code"]) != 2 else 0
        second = relapse + float(d["salvage_delay"]) if d["salvage"] else np.inf
        in_remission = bool(d["remission_second"])
        rate = p["death_after_relapse_hazard"] * _SITE_X[site]
        rate *= p["death_after_relapse_x_under_6_months"] if d["age"] < 183 else 1.0
        rate *= p["death_after_relapse_x_after_hsct"] if after else 1.0
        no_remission = after and np.isfinite(second) and not in_remission
        rate *= p["death_after_relapse_x_no_remission_before_second_hsct"] if no_remission else 1.0
        death = np.inf if d["long_term"] else relapse + np.floor(float(d["post_relapse"]) * _YEAR / rate)
        second = second if second < min(death, lost, cut) else np.inf
        timing = "after HSCT" if after else ("before HSCT" if np.isfinite(second) else "no HSCT")
        values: dict[str, object] = {
            "date": on(relapse),
            "site": _RELAPSE_SITES[site],
            "timing": timing,
            "treatment": "salvage chemotherapy (synthetic)",
        }
        if after and np.isfinite(second):
            values.update(remission_before_second_hsct=in_remission, second_hsct_conditioning="demo regimen")
        rows.append(("relapses", values))
        if np.isfinite(second):
            rows.append(("transplants", _transplant(on(second), j[3] + 1)))
    end = min(death, lost, cut)
    for visit in np.arange(_YEAR, end, _YEAR):
        status = "alive with disease" if relapse <= visit < relapse + _YEAR else "alive in remission"
        rows.append(("follow-ups", {"date": on(visit), "status": status}))
    if death <= min(lost, cut):
        cause = "relapse (synthetic)" if relapsed else "treatment-related (synthetic)"
        rows.append(("deaths", {"date": on(death), "cause": cause}))
    elif lost < cut:
        rows.append(("follow-ups", {"date": on(lost), "status": "lost to follow-up"}))
    else:
        last_status = "alive with disease" if relapse <= cut < relapse + _YEAR else "alive in remission"
        rows.append(("follow-ups", {"date": on(cut - 7 * j[2]), "status": last_status}))


def _adverse(term: str, grade: int, onset: date, resolved: date | None) -> dict[str, object]:
    return {
        "term": term,
        "grade": grade,
        "onset_date": onset,
        "resolution_date": resolved,
        "serious": grade >= 3,
        "attribution": "possible",
    }


def _mrd(sampled: date, value: float) -> dict[str, object]:
    return {
        "time_point": "after consolidation 1",
        "method": "flow cytometry",
        "sample_date": sampled,
        "value_fraction": value,
        "sensitivity_fraction": 1e-5,
    }


def _transplant(on: date, k: int) -> dict[str, object]:
    donors = ("matched sibling", "matched unrelated", "haploidentical", "cord blood")
    return {"date": on, "donor_type": donors[int(k) % 4], "conditioning_regimen": "demo regimen (synthetic)"}


def synthetic_note(patient_keys: list[str]) -> str | None:
    """The warning a page or report shows when it includes synthetic patients, or ``None``."""
    synthetic = sum(str(key).startswith(SYNTHETIC_PREFIX) for key in patient_keys)
    if not synthetic:
        return None
    return (
        f"{synthetic} patients ({SYNTHETIC_PREFIX}…) are SYNTHETIC demo data: their outcomes come from "
        "arbitrary demo parameters and mean nothing clinically."
    )
