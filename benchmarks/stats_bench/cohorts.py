"""Seeded synthetic cohorts for the statistics benchmark, written once and read by every worker.

Two shapes. ``issue14`` (the default of the issue-14 run): three comparison groups (``arm`` uniform on
{0, 1, 2}), two causes and five covariates, ``age`` ~ Normal(50, 10), ``sex`` ~ Bernoulli(0.5),
``stage`` uniform on {0, 1, 2} (a factor, two columns), ``wbc`` ~ LogNormal(2, 1) (entered as its
log) and ``mrd`` ~ Bernoulli(0.5), so Cox and Fine–Gray fit six columns; cause 1 hazard
``0.10 · exp(0.4·sex + 0.02·(age - 50) + 0.3·stage + 0.1·log(wbc) + 0.5·mrd - 0.2·arm)``, cause 2
``0.05 · exp(-0.3·sex + 0.01·(age - 50) + 0.1·arm)``, censoring Uniform(0, 12).

``issue4`` (the shape of the issue-4 runs): two competing causes with proportional cause-specific
hazards, random censoring, two comparison groups and three covariates:

* ``age`` ~ Normal(50, 10), ``sex`` ~ Bernoulli(0.5), ``stage`` uniform on {0, 1, 2} (a factor);
* cause 1 hazard ``0.10 · exp(0.4·sex + 0.02·(age - 50) + 0.3·stage)``, cause 2 hazard
  ``0.05 · exp(-0.3·sex + 0.01·(age - 50))``, censoring Uniform(0, 12) — about 37 % censored;
* ``group`` = ``sex`` (the groups compared by the log-rank and Gray tests).

``continuous`` times are the raw float64 draws (ties are unlikely); ``integer`` times are rounded up to
whole days (time × 30), so every time carries many ties, as registry data in days do. Columns are
saved as ``.npy`` (for Python) and raw little-endian binaries (``.f64``/``.i32``, for R's ``readBin``),
so no worker parses text and loading is excluded from every timing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FLOAT_COLUMNS = ("time", "age", "log_wbc")
INT_COLUMNS = ("event", "cause", "group", "sex", "stage", "mrd")
SHAPES = ("issue14", "issue4")
#: Covariates per shape (model terms in this order; ``stage`` is a factor with reference level 0).
COVARIATES = {"issue14": ("age", "sex", "stage", "log_wbc", "mrd"), "issue4": ("age", "sex", "stage")}


@dataclass(frozen=True)
class CohortSpec:
    """Which cohort: ``n`` subjects, ``times`` ``"integer"`` or ``"continuous"``, the generator seed."""

    n: int
    times: str
    seed: int = 20261121
    shape: str = "issue14"

    @property
    def name(self) -> str:
        prefix = "" if self.shape == "issue4" else f"{self.shape}_"
        return f"{prefix}n{self.n}_{self.times}"


def simulate(spec: CohortSpec) -> dict[str, np.ndarray]:
    """The cohort's columns (see the module docstring); the same spec always gives the same data."""
    rng = np.random.default_rng([spec.seed, spec.n, 0 if spec.times == "integer" else 1])
    n = spec.n
    age = rng.normal(50.0, 10.0, n)
    sex = rng.integers(0, 2, n)
    stage = rng.integers(0, 3, n)
    if spec.shape == "issue14":
        log_wbc = np.log(rng.lognormal(2.0, 1.0, n))
        mrd = rng.integers(0, 2, n)
        arm = rng.integers(0, 3, n)
        linear1 = 0.4 * sex + 0.02 * (age - 50.0) + 0.3 * stage + 0.1 * log_wbc + 0.5 * mrd - 0.2 * arm
        rate1 = 0.10 * np.exp(linear1)
        rate2 = 0.05 * np.exp(-0.3 * sex + 0.01 * (age - 50.0) + 0.1 * arm)
        group = arm
    else:
        log_wbc, mrd = np.zeros(n), np.zeros(n, dtype=np.int64)
        rate1 = 0.10 * np.exp(0.4 * sex + 0.02 * (age - 50.0) + 0.3 * stage)
        rate2 = 0.05 * np.exp(-0.3 * sex + 0.01 * (age - 50.0))
        group = sex
    t1 = rng.exponential(1.0 / rate1)
    t2 = rng.exponential(1.0 / rate2)
    censor = rng.uniform(0.0, 12.0, n)
    time = np.minimum(np.minimum(t1, t2), censor)
    cause = np.where(censor <= np.minimum(t1, t2), 0, np.where(t1 <= t2, 1, 2))
    if spec.times == "integer":
        time = np.ceil(time * 30.0)
    return {
        "time": time.astype(np.float64),
        "age": age,
        "event": (cause > 0).astype(np.int32),
        "cause": cause.astype(np.int32),
        "group": group.astype(np.int32),
        "sex": sex.astype(np.int32),
        "stage": stage.astype(np.int32),
        "log_wbc": log_wbc.astype(np.float64),
        "mrd": mrd.astype(np.int32),
    }


def write_cohort(spec: CohortSpec, folder: Path) -> Path:
    """Simulate and save the cohort under ``folder/spec.name``; returns that directory."""
    target = folder / spec.name
    target.mkdir(parents=True, exist_ok=True)
    columns = simulate(spec)
    for name, values in columns.items():
        np.save(target / f"{name}.npy", values)
        raw = values.astype("<f8" if name in FLOAT_COLUMNS else "<i4")
        raw.tofile(target / f"{name}.{'f64' if name in FLOAT_COLUMNS else 'i32'}")
    summary = {
        "n": spec.n,
        "times": spec.times,
        "seed": spec.seed,
        "shape": spec.shape,
        "groups": int(np.unique(columns["group"]).size),
        "covariates": list(COVARIATES[spec.shape]),
        "distinct_times": int(np.unique(columns["time"]).size),
        "censored_fraction": float(np.mean(columns["cause"] == 0)),
        "cause1_fraction": float(np.mean(columns["cause"] == 1)),
        "cause2_fraction": float(np.mean(columns["cause"] == 2)),
    }
    (target / "cohort.json").write_text(json.dumps(summary, indent=2))
    return target


def load_cohort(folder: Path) -> dict[str, np.ndarray]:
    """The ``.npy`` columns of a saved cohort."""
    return {name: np.load(folder / f"{name}.npy") for name in (*FLOAT_COLUMNS, *INT_COLUMNS)}


def probe_times(columns: dict[str, np.ndarray]) -> list[float]:
    """Times at which curves are compared: the 10th, 25th, 50th and 75th percentiles of follow-up."""
    return [float(value) for value in np.quantile(columns["time"], [0.10, 0.25, 0.50, 0.75], method="lower")]
