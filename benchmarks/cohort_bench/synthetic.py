"""A synthetic cohort built directly as Arrow columns (NumPy random numbers, fixed seed).

The records are plausible pediatric leukemia registrations with many fields unrecorded, so
every criterion meets met, not met and unknown outcomes. Every date lies between the birth
date and the screening date, so the cohort passes ``read_cohort(..., today=as_of)``. Columns
that this generator does not fill (fields added to the record later) are written as not
recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from remission.rules.columnar.layout import COLUMNS, Group, ListColumn, arrow_type, cohort_schema
from remission.rules.columnar.normalise import empty_array

EPOCH = date(1970, 1, 1)
Attestable = tuple[str, list[tuple[str, str]]]


class Generator:
    """Draws the columns of ``count`` records screened on ``as_of``."""

    def __init__(self, count: int, as_of: date, seed: int, attestable: Sequence[Attestable]) -> None:
        self.n = count
        self.rng = np.random.default_rng(seed)
        self.as_of = (as_of - EPOCH).days
        # per trial: (protocol id, [(criterion id, kind)]) of the criteria a person attests
        self.attestable = list(attestable)
        self.columns: dict[str, pa.Array] = {}
        # About a third infants (the infant trials), the rest 1 to 21 years old.
        infant = self.rng.random(count) < 0.35
        self.born = self.as_of - np.where(
            infant, self.rng.integers(0, 365, count), self.rng.integers(365, 22 * 365, count)
        )

    # -- helpers ---------------------------------------------------------------------------

    def recorded(self, share: float, count: int | None = None) -> np.ndarray:
        return self.rng.random(self.n if count is None else count) < share

    def choice(self, values: Sequence[Any], weights: Sequence[float], count: int | None = None) -> np.ndarray:
        p = np.asarray(weights, dtype=float)
        return self.rng.choice(
            np.asarray(values, dtype=object), size=self.n if count is None else count, p=p / p.sum()
        )

    def between(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """A day uniformly between ``low`` and ``high`` (inclusive), per element."""
        span = np.maximum(high - low, 0)
        return low + np.floor(self.rng.random(len(low)) * (span + 1)).astype(np.int64)

    def put(self, path: str, values: Any, mask: np.ndarray | None = None) -> None:
        """Store a scalar column; ``mask`` True marks unrecorded cells."""
        column = next(c for c in COLUMNS if c.path == path)
        kind = arrow_type(column)
        if pa.types.is_date(kind):
            self.columns[path] = pa.array(
                np.asarray(values, dtype=np.int32), type=pa.int32(), mask=mask
            ).cast(kind)
        else:
            self.columns[path] = pa.array(list(values), type=kind, mask=mask)

    def put_list(
        self, path: str, lengths: np.ndarray, null: np.ndarray, items: dict[str, Any] | pa.Array
    ) -> None:
        """Store a list column from per-row lengths (0 where null) and flattened item fields."""
        column = next(c for c in COLUMNS if c.path == path)
        assert isinstance(column, ListColumn)
        lengths = np.where(null, 0, lengths)
        offsets = np.zeros(self.n + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        if isinstance(items, dict):
            fields = []
            for leaf in column.fields:
                values, mask = items.get(leaf.path, (None, None))
                if values is None:
                    fields.append(pa.nulls(int(offsets[-1]), type=leaf.scalar.arrow_type))
                elif leaf.scalar.kind == "date":
                    fields.append(pa.array(np.asarray(values, dtype=np.int32), mask=mask).cast(pa.date32()))
                else:
                    fields.append(pa.array(list(values), type=leaf.scalar.arrow_type, mask=mask))
            items = pa.StructArray.from_arrays(fields, names=[leaf.path for leaf in column.fields])
        mask = pa.array(null) if null.any() else None
        self.columns[path] = pa.ListArray.from_arrays(
            pa.array(offsets), items, type=column.arrow_type, mask=mask
        )

    def table(self) -> pa.Table:
        """The table in the canonical layout; columns not drawn are not recorded."""
        arrays = []
        for column in COLUMNS:
            if column.path in self.columns:
                arrays.append(self.columns[column.path])
            elif isinstance(column, Group):
                arrays.append(pa.array(np.zeros(self.n, dtype=bool)))
            else:
                arrays.append(empty_array(column, self.n))
        return pa.Table.from_arrays(arrays, schema=cohort_schema())


def synthetic_table(count: int, as_of: date, seed: int, attestable: Sequence[Attestable]) -> pa.Table:
    """``count`` synthetic records as a cohort table (see the module docstring)."""
    g = Generator(count, as_of, seed, attestable)
    n, born, today = g.n, g.born, np.full(count, g.as_of)
    ids = np.char.add("S", np.char.zfill(np.arange(n).astype(str), 6))
    g.put("patient.study_id", ids)
    g.put("patient.site", g.choice(["SEV", "SNU", "AMC", "KNU"], [4, 3, 2, 1]), ~g.recorded(0.9))
    g.put("patient.sex", g.choice(["female", "male"], [1, 1]), ~g.recorded(0.97))
    born_known = g.recorded(0.95)
    g.put("patient.date_of_birth", born, ~born_known)
    _diagnosis(g, born, today)
    _genetics(g)
    wbc = np.round(np.exp(g.rng.normal(2.5, 1.5, n)), 1)
    g.put("wbc_at_diagnosis_1e9_per_l", wbc, ~g.recorded(0.9))
    g.put("cns_status", g.choice(["CNS1", "CNS2", "CNS3"], [8, 1, 1]), ~g.recorded(0.85))
    g.put("prednisone_response", g.choice(["good", "poor"], [9, 1]), ~g.recorded(0.6))
    relapse = g.choice(["never relapsed", "first relapse", "second or later relapse"], [14, 3, 1])
    g.put("relapse_status", relapse, ~g.recorded(0.9))
    g.put("prior_hsct", g.recorded(0.05), ~g.recorded(0.85))
    entry = np.maximum(born, today - g.rng.integers(0, 10, n))
    entry_known = g.recorded(0.6)
    g.put("study_entry_date", entry, ~entry_known)
    reference = np.where(entry_known, entry, today)
    consent = g.recorded(0.85)
    g.columns["consent"] = pa.array(consent)
    g.put("consent.given_by", g.choice(["parents", "parent", "guardian"], [6, 3, 1]), ~consent)
    g.put("consent.date", np.maximum(born, reference - g.rng.integers(-2, 6, n)).clip(max=today), ~consent)
    g.put("consent.form_version", np.full(n, "v1", dtype=object), ~consent)
    syndromes = g.choice(["none", "Down syndrome", "Fanconi anemia"], [90, 7, 3])
    null = ~g.recorded(0.8)
    has = (syndromes != "none") & ~null
    g.put_list("syndromes", has.astype(np.int64), null, pa.array(list(syndromes[has]), type=pa.string()))
    _periods(g, "prior_steroids", born, reference, today, 60, {"drug": "prednisolone"}, "systemic", 0.8)
    _periods(
        g, "other_studies", born, reference, today, 400, {"study_id": "NCT00000000"}, "interventional", 0.8
    )
    _mrd(g, born, today)
    _attestations(g, born, today)
    return g.table()


def _diagnosis(g: Generator, born: np.ndarray, today: np.ndarray) -> None:
    n = g.n
    recorded = g.recorded(0.95)
    g.columns["diagnosis"] = pa.array(recorded)
    g.put("diagnosis.date", g.between(born, today), ~(recorded & g.recorded(0.95)))
    who = g.choice(["B-ALL", "T-ALL", "AML", "ALAL", "mature-B/Burkitt"], [62, 13, 16, 4, 5])
    who_known = recorded & g.recorded(0.93)
    g.put("diagnosis.who_type", who, ~who_known)
    lineage = g.choice(["B-lymphoid", "T-lymphoid", "myeloid", "undetermined"], [4, 2, 3, 1])
    g.put("diagnosis.alal_predominant_lineage", lineage, ~(who_known & (who == "ALAL") & g.recorded(0.8)))
    markers = recorded & g.recorded(0.3)
    lengths = np.where(markers, 2, 0)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    keys = pa.array(["CD19", "CD22"] * int(markers.sum()))
    results = pa.array(list(g.choice(["positive", "partial", "negative"], [6, 1, 3], int(offsets[-1]))))
    kind = pa.map_(pa.string(), pa.string())
    g.columns["diagnosis.immunophenotype"] = pa.MapArray.from_arrays(
        pa.array(offsets), keys, results, type=kind, mask=pa.array(~markers)
    )


def _genetics(g: Generator) -> None:
    n = g.n
    recorded = g.recorded(0.9)
    g.columns["genetics"] = pa.array(recorded)
    kmt2a = recorded & g.recorded(0.85)
    g.columns["genetics.kmt2a"] = pa.array(kmt2a)
    status = g.choice(["rearranged", "germline"], [1, 7])
    status_known = kmt2a & g.recorded(0.9)
    g.put("genetics.kmt2a.status", status, ~status_known)
    partner = g.choice(["AFF1", "MLLT3", "MLLT1", "MLLT10"], [4, 2, 2, 1])
    g.put("genetics.kmt2a.partner", partner, ~(status_known & (status == "rearranged") & g.recorded(0.8)))
    g.put("genetics.kmt2a.method", np.full(n, "FISH", dtype=object), ~(kmt2a & g.recorded(0.7)))
    null = ~(recorded & g.recorded(0.7))
    lengths = g.rng.integers(0, 2, n)
    names = ["BCR::ABL1", "ETV6::RUNX1", "KMT2A::AFF1", "NUP214::ABL1", "TCF3::PBX1"]
    fusions = g.choice(names, [3, 20, 4, 1, 5], int(np.where(null, 0, lengths).sum()))
    g.put_list("genetics.fusions", lengths, null, pa.array(list(fusions), type=pa.string()))
    null = ~(recorded & g.recorded(0.6))
    lengths = g.rng.integers(0, 3, n)
    total = int(np.where(null, 0, lengths).sum())
    genes = g.choice(["NPM1", "FLT3", "NRAS", "KRAS", "IKZF1"], [2, 3, 4, 4, 3], total)
    variants = g.choice(["p.W288fs", "p.D835Y", "p.G12D"], [1, 1, 1], total)
    items = {"gene": (genes, None), "variant": (variants, ~g.recorded(0.5, total))}
    g.put_list("genetics.mutations", lengths, null, items)
    g.put("genetics.ph_status", g.choice(["positive", "negative"], [1, 19]), ~(recorded & g.recorded(0.8)))
    ph_like = g.choice(["ABL-class", "JAK-STAT", "other", "not Ph-like"], [1, 2, 1, 16])
    g.put("genetics.ph_like_class", ph_like, ~(recorded & g.recorded(0.5)))


def _periods(
    g: Generator,
    path: str,
    born: np.ndarray,
    reference: np.ndarray,
    today: np.ndarray,
    spread: int,
    fixed: dict[str, str],
    flag: str,
    share: float,
) -> None:
    """Steroid courses or study participations starting up to ``spread`` days before the reference."""
    null = ~g.recorded(share)
    lengths = np.where(null, 0, g.rng.integers(0, 3, g.n))
    parents = np.repeat(np.arange(g.n), lengths)
    total = len(parents)
    start = np.maximum(born[parents], reference[parents] - g.rng.integers(0, spread, total)).clip(
        max=today[parents]
    )
    end = np.minimum(start + g.rng.integers(0, 40, total), today[parents])
    items: dict[str, Any] = {
        name: (np.full(total, value, dtype=object), None) for name, value in fixed.items()
    }
    items[flag] = (g.recorded(0.6, total), None)
    items["start_date"] = (start, None)
    items["end_date"] = (end, ~g.recorded(0.7, total))
    g.put_list(path, lengths, null, items)


def _mrd(g: Generator, born: np.ndarray, today: np.ndarray) -> None:
    lengths = g.rng.integers(0, 4, g.n)
    parents = np.repeat(np.arange(g.n), lengths)
    total = len(parents)
    points = ["end of induction", "after consolidation 1", "after consolidation 2", "before HSCT"]
    methods = ["flow cytometry", "IG/TR RQ-PCR", "NGS"]
    pnq = g.recorded(0.1, total)
    values = np.where(g.recorded(0.35, total), 0.0, 10 ** g.rng.uniform(-6, -1, total))
    sensitivity = g.choice([1e-5, 1e-4, 1e-3], [5, 3, 1], total).astype(float)
    items: dict[str, Any] = {
        "time_point": (g.choice(points, [4, 3, 2, 1], total), None),
        "method": (g.choice(methods, [4, 4, 2], total), None),
        "sample_date": (g.between(born[parents], today[parents]), None),
        "value_fraction": (values, pnq),
        "positive_not_quantifiable": (pnq, None),
        "sensitivity_fraction": (sensitivity, ~g.recorded(0.8, total)),
    }
    g.put_list("mrd", lengths, np.zeros(g.n, dtype=bool), items)


def _attestations(g: Generator, born: np.ndarray, today: np.ndarray) -> None:
    """Some records carry attestations of every criterion of one trial that only a person decides.

    An inclusion is mostly attested met and an exclusion mostly not met, so that some records
    become eligible.
    """
    chosen = np.where(g.recorded(0.6), g.rng.integers(0, len(g.attestable), g.n), -1)
    sizes = np.array([len(criteria) for _, criteria in g.attestable] + [0])
    lengths = sizes[chosen]
    parents = np.repeat(np.arange(g.n), lengths)
    total = len(parents)
    trials = np.repeat(chosen, lengths)
    slot = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    pairs = [(g.attestable[t][0], *g.attestable[t][1][s]) for t, s in zip(trials, slot, strict=True)]
    favourable = g.recorded(0.85, total)
    inclusion = np.array([kind == "inclusion" for _, _, kind in pairs], dtype=bool)
    items: dict[str, Any] = {
        "protocol_id": (np.array([p for p, _, _ in pairs], dtype=object), None),
        "criterion_id": (np.array([c for _, c, _ in pairs], dtype=object), None),
        "outcome": (np.where(inclusion == favourable, "met", "not met").astype(object), None),
        "attested_by": (np.full(total, "Dr. Synthetic", dtype=object), None),
        "date": (g.between(np.maximum(born[parents], today[parents] - 5), today[parents]), None),
    }
    g.put_list("attestations", lengths, np.zeros(g.n, dtype=bool), items)
