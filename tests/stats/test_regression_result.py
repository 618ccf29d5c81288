"""The regression result shows R's warnings and global tests in every rendering."""

from __future__ import annotations

import json

import numpy as np
import pytest

from remission.stats.cox import cox_ph
from remission.stats.design import design_matrix
from stats.r_reference import dataset


@pytest.fixture(scope="module")
def separated():
    """Cox on the edge cohort by group: group C has no events, so its coefficient runs off to -infinity."""
    data = dataset("edge")
    design = design_matrix({name: data[name].to_numpy() for name in data}, [], ["group"])
    return cox_ph(data["time"].to_numpy(), data["event"].to_numpy(), design.matrix, design.terms)


def test_warning_reaches_text_html_and_json(separated):
    """The 'coefficient may be infinite' warning is printed, shown in HTML and kept in JSON."""
    warning = dict(separated.details)["warning"]
    assert "group=C" in warning
    assert warning in separated.to_text()
    assert warning in separated.to_html()
    assert json.loads(separated.to_json())["details"]["warning"] == warning


def test_global_tests_are_rendered(separated):
    """The likelihood-ratio, Wald and score tests appear in the text with their degrees of freedom."""
    text = separated.to_text()
    for label in ("Likelihood ratio test", "Wald test", "Score (log-rank) test"):
        assert f"{label}:" in text
    assert "on 2 df" in text


def test_infinite_limit_is_json_null(separated):
    """A hazard-ratio limit that overflows is not written as a number into JSON."""
    _, upper = separated.confidence_interval()
    assert np.isinf(upper[-1])
    json.loads(separated.to_json())  # allow_nan=False would raise on inf
