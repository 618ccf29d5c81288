"""Shared pieces of the report tests: a small endpoint frame and reading tables back from HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd

YEAR = 365.25


def endpoint_frame(n: int = 90, seed: int = 11) -> pd.DataFrame:
    """A made-up endpoint dataset with every column the report reads (not a clinical cohort).

    Times are whole days; the relapse columns describe a first relapse for about half the rows.
    """
    rng = np.random.default_rng(seed)
    relapsed = rng.random(n) < 0.5
    died = rng.random(n) < 0.4
    efs = rng.integers(20, 2600, n)
    os_time = efs + np.where(relapsed, rng.integers(0, 2500, n), 0)
    hsct = rng.random(n) < 0.4
    to_hsct = np.where(hsct, rng.integers(100, 400, n), -1)
    cause = np.where(relapsed, 1, np.where(died, 2, 0))
    frame = pd.DataFrame(
        {
            "patient_key": [f"T-{i:03}" for i in range(n)],
            "protocol_id": "NCT06516679",
            "risk_group": rng.choice(np.array(["LR", "IR", "HR"]), n),
            "age_under_6_months": rng.random(n) < 0.5,
            "hsct": hsct,
            "time_to_hsct_days": pd.Series(to_hsct).where(hsct),
            "efs_time_days": efs,
            "efs_event": (relapsed | died).astype(int),
            "os_time_days": os_time,
            "os_event": died.astype(int),
            "relapse_time_days": efs,
            "relapse_cause": cause,
            "relapse_site": pd.Series(
                rng.choice(np.array(["marrow", "CNS", "combined", "testis"]), n, p=[0.45, 0.25, 0.25, 0.05])
            ).where(relapsed),
            "relapse_timing": pd.Series(rng.choice(np.array(["after HSCT", "no HSCT"]), n)).where(relapsed),
            "remission_before_second_hsct": pd.Series(rng.random(n) < 0.5, dtype="boolean").where(
                relapsed & (rng.random(n) < 0.6)
            ),
            "dfs_after_hsct_time_days": pd.Series(rng.integers(0, 2000, n)).where(hsct),
            "dfs_after_hsct_event": pd.Series((rng.random(n) < 0.5).astype(int)).where(hsct),
            "os_after_relapse_time_days": pd.Series(os_time - efs).where(relapsed),
            "os_after_relapse_event": pd.Series(died.astype(int)).where(relapsed),
        }
    )
    return frame


def baseline_frame(n: int = 67, seed: int = 5) -> pd.DataFrame:
    """A made-up dataset with the baseline columns (not a clinical cohort): every risk group,
    ``pending``, patients not enrolled, tied ages and missing values in every variable."""
    rng = np.random.default_rng(seed)

    def some_missing(values: np.ndarray, share: float) -> pd.Series:
        return pd.Series(values).where(rng.random(n) >= share)

    enrolled = rng.random(n) >= 0.1
    return pd.DataFrame(
        {
            "patient_key": [f"B-{i:03}" for i in range(n)],
            "protocol_id": pd.Series(["NCT06516679"] * n).where(enrolled),
            "risk_group": pd.Series(
                rng.choice(np.array(["LR", "IR", "HR", "pending"]), n, p=[0.3, 0.35, 0.25, 0.1])
            ).where(enrolled),
            "age_at_diagnosis_days": some_missing(rng.integers(0, 36, n) * 10, 0.08).astype("Int64"),
            "sex": some_missing(rng.choice(np.array(["female", "male"]), n), 0.05),
            "wbc_at_diagnosis_1e9_per_l": some_missing(np.round(rng.lognormal(4.0, 1.2, n), 1), 0.1),
            "cns_status": some_missing(
                rng.choice(np.array(["CNS1", "CNS2", "CNS3"]), n, p=[0.7, 0.2, 0.1]), 0.1
            ),
            "kmt2a_status": some_missing(rng.choice(np.array(["rearranged", "germline"]), n), 0.07),
            "who_type": some_missing(rng.choice(np.array(["B-ALL", "ALAL"]), n, p=[0.85, 0.15]), 0.1),
        }
    )


class _Tables(HTMLParser):
    """Collects the cell texts of every ``<table id=...>`` (header and body rows alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table" and values.get("id"):
            self._table = values["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(values.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(document: str) -> tuple[dict[str, list[list[str]]], list[str]]:
    """The id'd tables of ``document`` (rows of cell texts) and every ``img`` source."""
    parser = _Tables()
    parser.feed(document)
    return parser.tables, parser.images


def shown(estimate: float, std_err: float, lower: float | None = None, upper: float | None = None) -> str:
    """How the report must print an estimate, its SE and its 95% limits (percent, one decimal)."""
    text = f"{estimate * 100:.1f} ± {std_err * 100:.1f}%"
    return text if lower is None or upper is None else text + f" (95% CI {lower * 100:.1f}–{upper * 100:.1f})"
