"""Tests for remission.rules.truth: three-valued (Kleene) logic."""

from __future__ import annotations

import pytest

from remission.rules.truth import Truth, all_of, any_of

MET, NOT_MET, UNKNOWN = Truth.MET, Truth.NOT_MET, Truth.UNKNOWN


class TestTruth:
    def test_values_are_the_written_strings(self):
        """Each outcome's value is the string used in traces and reports."""
        assert [truth.value for truth in Truth] == ["met", "not met", "unknown"]

    @pytest.mark.parametrize(("value", "expected"), [(True, MET), (False, NOT_MET)])
    def test_of_bool(self, value, expected):
        """Truth.of maps True to met and False to not met."""
        assert Truth.of(value) is expected

    @pytest.mark.parametrize(("value", "expected"), [(MET, NOT_MET), (NOT_MET, MET), (UNKNOWN, UNKNOWN)])
    def test_negate(self, value, expected):
        """Negation swaps met and not met and keeps unknown."""
        assert value.negate() is expected

    @pytest.mark.parametrize("value", list(Truth))
    def test_double_negation(self, value):
        """Negating twice gives the original value."""
        assert value.negate().negate() is value


class TestAllOf:
    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            (MET, MET, MET),
            (MET, NOT_MET, NOT_MET),
            (MET, UNKNOWN, UNKNOWN),
            (NOT_MET, MET, NOT_MET),
            (NOT_MET, NOT_MET, NOT_MET),
            (NOT_MET, UNKNOWN, NOT_MET),
            (UNKNOWN, MET, UNKNOWN),
            (UNKNOWN, NOT_MET, NOT_MET),
            (UNKNOWN, UNKNOWN, UNKNOWN),
        ],
    )
    def test_truth_table(self, left, right, expected):
        """all_of follows the Kleene AND table for every pair of values."""
        assert all_of([left, right]) is expected

    @pytest.mark.parametrize("value", list(Truth))
    def test_single_value(self, value):
        """all_of of a single value is that value."""
        assert all_of([value]) is value

    def test_empty_is_met(self):
        """all_of of no values is met (the empty conjunction)."""
        assert all_of([]) is MET

    def test_not_met_anywhere_wins(self):
        """One not met among many unknowns and mets makes the whole not met."""
        assert all_of([MET, UNKNOWN, MET, UNKNOWN, NOT_MET]) is NOT_MET

    def test_accepts_a_generator(self):
        """all_of consumes any iterable, such as a generator."""
        assert all_of(value for value in (MET, UNKNOWN)) is UNKNOWN


class TestAnyOf:
    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            (MET, MET, MET),
            (MET, NOT_MET, MET),
            (MET, UNKNOWN, MET),
            (NOT_MET, MET, MET),
            (NOT_MET, NOT_MET, NOT_MET),
            (NOT_MET, UNKNOWN, UNKNOWN),
            (UNKNOWN, MET, MET),
            (UNKNOWN, NOT_MET, UNKNOWN),
            (UNKNOWN, UNKNOWN, UNKNOWN),
        ],
    )
    def test_truth_table(self, left, right, expected):
        """any_of follows the Kleene OR table for every pair of values."""
        assert any_of([left, right]) is expected

    @pytest.mark.parametrize("value", list(Truth))
    def test_single_value(self, value):
        """any_of of a single value is that value."""
        assert any_of([value]) is value

    def test_empty_is_not_met(self):
        """any_of of no values is not met (the empty disjunction)."""
        assert any_of([]) is NOT_MET

    def test_met_anywhere_wins(self):
        """One met among many unknowns and not mets makes the whole met."""
        assert any_of([NOT_MET, UNKNOWN, NOT_MET, UNKNOWN, MET]) is MET

    def test_accepts_a_generator(self):
        """any_of consumes any iterable, such as a generator."""
        assert any_of(value for value in (NOT_MET, UNKNOWN)) is UNKNOWN


class TestDeMorgan:
    @pytest.mark.parametrize("left", list(Truth))
    @pytest.mark.parametrize("right", list(Truth))
    def test_not_all_is_any_not(self, left, right):
        """not (a and b) equals (not a) or (not b) in three-valued logic."""
        assert all_of([left, right]).negate() is any_of([left.negate(), right.negate()])

    @pytest.mark.parametrize("left", list(Truth))
    @pytest.mark.parametrize("right", list(Truth))
    def test_not_any_is_all_not(self, left, right):
        """not (a or b) equals (not a) and (not b) in three-valued logic."""
        assert any_of([left, right]).negate() is all_of([left.negate(), right.negate()])
