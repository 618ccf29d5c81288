"""Pediatric consent: which consents a child owes under one study, as of a date.

In pediatric research the parents (or a guardian) give *permission*; the child gives *assent*
from an age the ethics committee sets; and the participant gives their *own consent* on reaching
the age of majority. Both ages are protocol parameters with their source (``assent_age_years``,
``age_of_majority_years``), never constants here: a protocol without one leaves that action
*unknown*, as does a child without a recorded date of birth — never a guess.

A consent is *current* when it is on the newest version of its form that the ethics committee
had approved, and not retired, on the as-of date. A consent on an older version must be given
again (:func:`needs_reconsent`, the one definition the re-consent lists use too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from remission.record.ages import add_months
from remission.record.vocabulary import ConsentKind

#: The protocol parameters that carry the two ages, in completed years.
ASSENT_AGE = "assent_age_years"
MAJORITY_AGE = "age_of_majority_years"


class ConsentState(StrEnum):
    DUE = "due"
    DONE = "done"
    NOT_YET = "not yet"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True, slots=True)
class FormVersion:
    """A registered version of a consent form; ``order`` breaks ties between equal approval dates."""

    kind: ConsentKind
    label: str
    approved_on: date | None
    retired_on: date | None = None
    order: int = 0

    def valid_on(self, day: date) -> bool:
        """Approved by ``day`` and not yet retired on it."""
        return (
            self.approved_on is not None
            and self.approved_on <= day
            and (self.retired_on is None or day < self.retired_on)
        )

    @property
    def age(self) -> tuple[date, int]:
        """The sort key of approved versions: older first."""
        return (self.approved_on or date.max, self.order)


@dataclass(frozen=True, slots=True)
class GivenConsent:
    """A stored consent of a child under the study: its kind, form version label and date."""

    kind: ConsentKind
    label: str
    date: date


@dataclass(frozen=True, slots=True)
class ConsentAction:
    """What one kind of consent needs from a child as of a date, and why.

    ``due_from`` is when it fell (or falls) due: the approval of the current version for a
    re-consent, the birthday of the assent age or of the age of majority.
    """

    kind: ConsentKind
    state: ConsentState
    reason: str
    due_from: date | None = None
    current_version: str | None = None
    latest_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "state": self.state.value,
            "reason": self.reason,
            "due_from": self.due_from.isoformat() if self.due_from else None,
            "current_version": self.current_version,
            "latest_version": self.latest_version,
        }


@dataclass(frozen=True, slots=True)
class ConsentAges:
    """The study's assent age and age of majority in completed years; ``None`` where not set."""

    assent: int | None
    majority: int | None
    problems: tuple[str, ...] = ()


def consent_ages(parameters: Mapping[str, Any]) -> ConsentAges:
    """Read the two ages from a protocol's parameter values (``Protocol.parameter_values``).

    A missing parameter is ``None``; a value that is not a whole number of years ≥ 0 is ``None``
    too, with the problem in words (the action then says *unknown* and why).
    """
    found: dict[str, int | None] = {}
    problems = []
    for name in (ASSENT_AGE, MAJORITY_AGE):
        value = parameters.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            found[name] = value
        else:
            found[name] = None
            problems.append(f"parameter {name} is {value!r}, not a whole number of years")
    return ConsentAges(found[ASSENT_AGE], found[MAJORITY_AGE], tuple(problems))


def birthday(born: date, years: int) -> date:
    """The day a child born on ``born`` completes ``years`` (29 February → 28 February)."""
    return add_months(born, 12 * years)


def current_version(versions: Sequence[FormVersion], kind: ConsentKind, on: date) -> FormVersion | None:
    """The newest version of the ``kind`` form valid on ``on``, or ``None``."""
    valid = [v for v in versions if v.kind is kind and v.valid_on(on)]
    return max(valid, key=lambda v: v.age) if valid else None


def needs_reconsent(
    latest: GivenConsent | None, target: FormVersion, versions: Sequence[FormVersion]
) -> bool:
    """Whether a child whose latest consent of ``target``'s kind is ``latest`` must consent again on
    ``target``: the latest is on a version approved before ``target``. No consent at all is not a
    re-consent (the actions say what is owed then)."""
    if latest is None or latest.kind is not target.kind or target.approved_on is None:
        return False
    given = next((v for v in versions if v.kind is target.kind and v.label == latest.label), None)
    return given is not None and given.approved_on is not None and given.age < target.age


def latest_consent(consents: Sequence[GivenConsent], kind: ConsentKind) -> GivenConsent | None:
    """The newest consent of ``kind`` (the last given on the latest date)."""
    of_kind = [c for c in consents if c.kind is kind]
    return max(of_kind, key=lambda c: c.date) if of_kind else None


def _on_current(
    kind: ConsentKind,
    consents: Sequence[GivenConsent],
    versions: Sequence[FormVersion],
    as_of: date,
    due_since: date | None,
    words: str,
) -> ConsentAction:
    """Done when the latest consent of ``kind`` is on the current version, else due."""
    latest = latest_consent(consents, kind)
    current = current_version(versions, kind, as_of)
    given = latest.label if latest else None
    if current is None:
        return ConsentAction(
            kind,
            ConsentState.DUE,
            f"{words}; no approved {kind} form version is registered",
            due_since,
            None,
            given,
        )
    if latest is None:
        return ConsentAction(
            kind,
            ConsentState.DUE,
            f"{words}; none recorded on a registered form version",
            due_since,
            current.label,
            None,
        )
    if latest.label == current.label:
        return ConsentAction(
            kind,
            ConsentState.DONE,
            f"given on {latest.date.isoformat()}, on the current version",
            None,
            current.label,
            given,
        )
    if needs_reconsent(latest, current, versions):
        return ConsentAction(
            kind,
            ConsentState.DUE,
            f"re-consent: the latest is on version {latest.label} ({latest.date.isoformat()}); "
            f"version {current.label} was approved on {current.approved_on}",
            current.approved_on,
            current.label,
            given,
        )
    # The latest is on a version newer than the current one (since retired): give it again too.
    return ConsentAction(
        kind,
        ConsentState.DUE,
        f"the latest is on version {latest.label}, which is no longer valid",
        current.approved_on,
        current.label,
        given,
    )


def consent_actions(
    *,
    ages: ConsentAges,
    born: date | None,
    as_of: date,
    versions: Sequence[FormVersion],
    consents: Sequence[GivenConsent],
    died: bool = False,
) -> list[ConsentAction]:
    """The three consent actions of one child under one study as of ``as_of``.

    ``versions`` are the study's registered form versions, ``consents`` the child's consents
    naming the study. Parental permission is owed on the current version until the age of
    majority; assent from the assent age until the age of majority; the participant's own consent
    from the age of majority. A deceased child owes nothing.
    """
    if died:
        return [
            ConsentAction(kind, ConsentState.NOT_APPLICABLE, "the patient has died") for kind in ConsentKind
        ]
    majority_day = birthday(born, ages.majority) if born and ages.majority is not None else None
    adult = majority_day is not None and as_of >= majority_day
    actions = [_parental(versions, consents, as_of, adult)]
    actions.append(_assent(ages, born, as_of, versions, consents, adult))
    actions.append(_own_consent(ages, born, as_of, versions, consents, majority_day))
    return actions


def _parental(
    versions: Sequence[FormVersion], consents: Sequence[GivenConsent], as_of: date, adult: bool
) -> ConsentAction:
    kind = ConsentKind.PARENTAL_PERMISSION
    if adult:
        return ConsentAction(
            kind, ConsentState.NOT_APPLICABLE, "the participant has reached the age of majority"
        )
    return _on_current(kind, consents, versions, as_of, None, "parental permission is owed")


def _unknown_age(kind: ConsentKind, ages: ConsentAges, name: str, born: date | None) -> ConsentAction | None:
    if getattr(ages, "assent" if name == ASSENT_AGE else "majority") is None:
        problem = next((p for p in ages.problems if name in p), f"the protocol sets no {name}")
        return ConsentAction(kind, ConsentState.UNKNOWN, problem)
    if born is None:
        return ConsentAction(kind, ConsentState.UNKNOWN, "the date of birth is not recorded")
    return None


def _assent(
    ages: ConsentAges,
    born: date | None,
    as_of: date,
    versions: Sequence[FormVersion],
    consents: Sequence[GivenConsent],
    adult: bool,
) -> ConsentAction:
    kind = ConsentKind.ASSENT
    if adult:
        return ConsentAction(
            kind, ConsentState.NOT_APPLICABLE, "the participant has reached the age of majority"
        )
    unknown = _unknown_age(kind, ages, ASSENT_AGE, born)
    if unknown is not None or born is None or ages.assent is None:
        return unknown or ConsentAction(kind, ConsentState.UNKNOWN, "not decidable")
    due = birthday(born, ages.assent)
    if as_of < due:
        return ConsentAction(
            kind, ConsentState.NOT_YET, f"the child reaches the assent age ({ages.assent})", due
        )
    return _on_current(
        kind, consents, versions, as_of, due, f"the child reached the assent age ({ages.assent})"
    )


def _own_consent(
    ages: ConsentAges,
    born: date | None,
    as_of: date,
    versions: Sequence[FormVersion],
    consents: Sequence[GivenConsent],
    majority_day: date | None,
) -> ConsentAction:
    kind = ConsentKind.PARTICIPANT_CONSENT
    unknown = _unknown_age(kind, ages, MAJORITY_AGE, born)
    if unknown is not None or majority_day is None:
        return unknown or ConsentAction(kind, ConsentState.UNKNOWN, "not decidable")
    words = f"the participant reached the age of majority ({ages.majority})"
    if as_of < majority_day:
        return ConsentAction(
            kind,
            ConsentState.NOT_YET,
            f"the participant reaches the age of majority ({ages.majority})",
            majority_day,
        )
    return _on_current(kind, consents, versions, as_of, majority_day, words)
