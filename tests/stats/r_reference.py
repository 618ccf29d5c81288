"""Access to the R reference datasets and fixtures (see reference/README.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REFERENCE = Path(__file__).parent / "reference"
DATA = REFERENCE / "data"
FIXTURES = REFERENCE / "fixtures"
SCRIPTS = REFERENCE / "R"


def dataset(name: str) -> pd.DataFrame:
    """One of the reference datasets, exactly as the R scripts read it."""
    return pd.read_csv(DATA / f"{name}.csv")


def fixture(name: str) -> Any:
    """A committed R output (``fixtures/NAME.json``)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def assert_close(
    actual: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-12, where: str = ""
) -> None:
    """Numbers (scalars, lists, nested lists) agree to ``rtol``; R's NA (None) must meet NaN or None."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing {key!r}"
            assert_close(actual[key], value, rtol=rtol, atol=atol, where=f"{where}.{key}")
        return
    if isinstance(expected, list | tuple) or isinstance(actual, np.ndarray):
        got = (
            list(np.asarray(actual, dtype=object).ravel()) if isinstance(actual, np.ndarray) else list(actual)
        )
        want = list(expected) if isinstance(expected, list | tuple) else [expected]
        assert len(got) == len(want), f"{where}: length {len(got)} != {len(want)}"
        for index, (a, e) in enumerate(zip(got, want, strict=True)):
            assert_close(a, e, rtol=rtol, atol=atol, where=f"{where}[{index}]")
        return
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert actual is None or (isinstance(actual, float | np.floating) and math.isnan(actual)), (
            f"{where}: expected NA, got {actual!r}"
        )
        return
    if isinstance(expected, str):
        assert str(actual) == expected, f"{where}: {actual!r} != {expected!r}"
        return
    assert actual is not None, f"{where}: got NA, expected {expected!r}"
    a, e = float(actual), float(expected)
    if math.isinf(e):
        assert a == e, f"{where}: {a!r} != {e!r}"
        return
    assert math.isclose(a, e, rel_tol=rtol, abs_tol=atol), f"{where}: {a!r} != {e!r} (rtol {rtol})"
