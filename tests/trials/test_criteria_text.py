"""Splitting registry criteria text into inclusion and exclusion bullets."""

from __future__ import annotations

from remission.trials import split_criteria

TEXT = """Inclusion Criteria:

* Participants must have active acute leukemia (bone marrow blasts >=5%)
  as defined by the NCCN guidelines.
* Phase 1:

  * Arm A: not receiving a strong CYP3A4 inhibitor.

Exclusion Criteria:

1. KMT2A-germline patients
2. T-ALL

Additional exclusion criteria for blinatumomab:

1. CD19 negative B-precursor ALL at diagnosis
"""


class TestSplit:
    def test_headings_set_the_kind_of_each_bullet(self) -> None:
        """Bullets under 'Inclusion Criteria:' are inclusions and under 'Exclusion Criteria:' exclusions."""
        kinds = [(b.kind, b.text) for b in split_criteria(TEXT)]
        assert kinds[0][0] == "inclusion"
        assert ("exclusion", "KMT2A-germline patients") in kinds
        assert ("exclusion", "T-ALL") in kinds

    def test_wrapped_lines_join_into_one_bullet(self) -> None:
        """A bullet's continuation line is part of it, joined by a single space."""
        first = split_criteria(TEXT)[0]
        assert first.text == (
            "Participants must have active acute leukemia (bone marrow blasts >=5%)"
            " as defined by the NCCN guidelines."
        )

    def test_indented_bullets_name_their_parent(self) -> None:
        """An indented bullet records the index of the bullet it sits under."""
        bullets = split_criteria(TEXT)
        arm = next(b for b in bullets if b.text.startswith("Arm A"))
        assert arm.parent is not None
        assert bullets[arm.parent].text == "Phase 1:"

    def test_an_additional_exclusion_heading_keeps_its_wording_as_context(self) -> None:
        """Bullets under 'Additional exclusion criteria for blinatumomab:' carry that heading."""
        last = split_criteria(TEXT)[-1]
        assert (last.kind, last.context) == (
            "exclusion",
            ("Additional exclusion criteria for blinatumomab:",),
        )

    def test_text_without_headings_has_no_kind(self) -> None:
        """Bullets before any heading are returned with kind None, not guessed."""
        bullets = split_criteria("- Relapsed acute leukemia\n- Adequate organ function")
        assert [(b.kind, b.text) for b in bullets] == [
            (None, "Relapsed acute leukemia"),
            (None, "Adequate organ function"),
        ]

    def test_a_short_line_ending_in_a_colon_heads_the_bullets_after_it(self) -> None:
        """'Phase 2:' on its own line is context for what follows, not part of the bullet before."""
        bullets = split_criteria("Exclusion Criteria:\n\n1. Prior HSCT\nPhase 2:\n- Prior CAR-T\n")
        assert [(b.text, b.context) for b in bullets] == [
            ("Prior HSCT", ("Exclusion Criteria:",)),
            ("Prior CAR-T", ("Exclusion Criteria:", "Phase 2:")),
        ]

    def test_empty_text_gives_no_bullets(self) -> None:
        """An empty text has nothing to split."""
        assert split_criteria("") == []
