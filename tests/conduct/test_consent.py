"""The pure consent decisions: assent and own consent at the protocol's ages, re-consent on a newer
version, and unknown — never a guess — without an age parameter or a date of birth."""

from __future__ import annotations

from datetime import date

from remission.conduct.consent import (
    ConsentAges,
    ConsentState,
    FormVersion,
    GivenConsent,
    consent_actions,
    consent_ages,
    current_version,
    needs_reconsent,
)
from remission.record.vocabulary import ConsentKind

PP, ASSENT, OWN = ConsentKind.PARENTAL_PERMISSION, ConsentKind.ASSENT, ConsentKind.PARTICIPANT_CONSENT
BORN = date(2024, 2, 29)
AGES = ConsentAges(assent=7, majority=19)
VERSIONS = (
    FormVersion(PP, "v1", date(2024, 1, 1), order=1),
    FormVersion(PP, "v2", date(2026, 6, 1), order=2),
    FormVersion(ASSENT, "a1", date(2024, 1, 1), order=3),
    FormVersion(OWN, "o1", date(2024, 1, 1), order=4),
)
ON_V1 = (GivenConsent(PP, "v1", date(2024, 5, 1)),)


def states(as_of: date, consents=ON_V1, *, born: date | None = BORN, ages: ConsentAges = AGES) -> dict:
    actions = consent_actions(ages=ages, born=born, as_of=as_of, versions=VERSIONS, consents=consents)
    return {action.kind: (action.state, action.due_from) for action in actions}


class TestAges:
    def test_assent_is_not_yet_due_the_day_before_the_assent_birthday(self):
        """Born on 29 February 2024, the child completes 7 on 28 February 2031: not yet on the 27th."""
        assert states(date(2031, 2, 27))[ASSENT] == (ConsentState.NOT_YET, date(2031, 2, 28))

    def test_assent_falls_due_on_the_assent_birthday(self):
        """On the birthday of the assent age, without an assent, it is due from that day."""
        assert states(date(2031, 2, 28))[ASSENT] == (ConsentState.DUE, date(2031, 2, 28))

    def test_an_assent_on_the_current_version_is_done(self):
        """A recorded assent on the current assent form makes the action done."""
        given = (*ON_V1, GivenConsent(ASSENT, "a1", date(2031, 3, 1)))
        assert states(date(2031, 4, 1), given)[ASSENT][0] is ConsentState.DONE

    def test_at_majority_own_consent_replaces_permission_and_assent(self):
        """At 19 the participant's own consent is due; parental permission and assent no longer apply."""
        found = states(date(2043, 2, 28))
        assert found[OWN] == (ConsentState.DUE, date(2043, 2, 28))
        assert found[PP][0] is found[ASSENT][0] is ConsentState.NOT_APPLICABLE

    def test_another_studys_majority_age_moves_the_date(self):
        """With the age of majority 18 the participant's own consent is due a year earlier."""
        ages = ConsentAges(assent=7, majority=18)
        assert states(date(2042, 2, 28), ages=ages)[OWN][0] is ConsentState.DUE


class TestUnknown:
    def test_no_date_of_birth_is_unknown(self):
        """Without a date of birth assent and own consent are unknown, whatever the date."""
        found = states(date(2040, 1, 1), born=None)
        assert found[ASSENT][0] is found[OWN][0] is ConsentState.UNKNOWN

    def test_a_protocol_without_the_ages_is_unknown(self):
        """A protocol that sets neither age leaves both actions unknown, naming the parameter."""
        actions = consent_actions(
            ages=consent_ages({}), born=BORN, as_of=date(2040, 1, 1), versions=VERSIONS, consents=ON_V1
        )
        reasons = {a.kind: a.reason for a in actions if a.state is ConsentState.UNKNOWN}
        assert "assent_age_years" in reasons[ASSENT]
        assert "age_of_majority_years" in reasons[OWN]

    def test_an_age_that_is_not_whole_years_is_refused_as_unknown(self):
        """A parameter of 7.5 years is not read as 7 or 8: the ages say what is wrong."""
        ages = consent_ages({"assent_age_years": 7.5, "age_of_majority_years": 19})
        assert ages.assent is None
        assert ages.majority == 19
        assert "not a whole number of years" in ages.problems[0]


class TestVersions:
    def test_permission_on_an_older_version_must_be_given_again(self):
        """Once v2 is approved, permission on v1 is due again from v2's approval."""
        assert states(date(2026, 7, 1))[PP] == (ConsentState.DUE, date(2026, 6, 1))
        assert states(date(2026, 5, 31))[PP][0] is ConsentState.DONE

    def test_a_retired_version_is_not_current(self):
        """A version retired before the as-of date is passed over for the one still valid."""
        versions = (
            FormVersion(PP, "v1", date(2024, 1, 1), order=1),
            FormVersion(PP, "v2", date(2025, 1, 1), date(2025, 6, 1), 2),
        )
        assert current_version(versions, PP, date(2025, 7, 1)).label == "v1"

    def test_no_consent_is_not_a_re_consent(self):
        """A child without any consent of the kind is not on a re-consent list."""
        assert not needs_reconsent(None, VERSIONS[1], VERSIONS)
        assert needs_reconsent(ON_V1[0], VERSIONS[1], VERSIONS)

    def test_a_deceased_child_owes_nothing(self):
        """Every action of a child who died is not applicable."""
        actions = consent_actions(
            ages=AGES, born=BORN, as_of=date(2031, 3, 1), versions=VERSIONS, consents=ON_V1, died=True
        )
        assert {a.state for a in actions} == {ConsentState.NOT_APPLICABLE}
