"""Which passwords are accepted: a minimum length, not a common password, hard enough to guess.

A password is refused when it is shorter than ``min_length``, when it is on the list of the
30,000 most common passwords that the ``zxcvbn`` package ships (compared ignoring case), or
when zxcvbn scores it below ``min_score`` (0 to 4, from "too guessable" to "very unguessable";
the username and full name count as words an attacker knows). The messages say what is wrong
and never repeat the password.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from remission.store.errors import Refused

#: zxcvbn refuses longer input; a longer password is scored by its first this many characters
#: (a stronger whole is at least as hard to guess as its start).
SCORED_LENGTH = 72
#: The longest password accepted (Argon2 takes any length; this bounds the work per request).
MAX_LENGTH = 200
_WORDS = re.compile(r"[\s._@-]+")
SCORES = ("too guessable", "very guessable", "somewhat guessable", "safely unguessable", "very unguessable")


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The rules a new password must meet (``REMISSION_PASSWORD_MIN_LENGTH`` and ``_MIN_SCORE``)."""

    #: Fewest characters.
    min_length: int = 12
    #: Lowest zxcvbn score accepted, 0 to 4.
    min_score: int = 3


DEFAULT_PASSWORD_POLICY = PasswordPolicy()


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, policy: PasswordPolicy, user_inputs: Iterable[str] = ()) -> str | None:
    """What is wrong with ``password`` under ``policy`` (``None`` when it is accepted)."""
    if len(password) < policy.min_length:
        return f"a password needs at least {policy.min_length} characters"
    if len(password) > MAX_LENGTH:
        return f"a password may have at most {MAX_LENGTH} characters"
    if password.lower() in _common_passwords():
        return "this is one of the most common passwords; choose another"
    # Each word of the username and full name counts as a word an attacker knows.
    inputs = sorted({word for text in user_inputs for word in [text, *_WORDS.split(text)] if len(word) > 2})
    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=inputs)
    score = int(result["score"])
    if score >= policy.min_score:
        return None
    warning = str(result["feedback"].get("warning") or "").rstrip(".")
    because = f" ({warning[0].lower()}{warning[1:]})" if warning else ""
    return (
        f"this password is too easy to guess{because}: it scores {score} of 4 ({SCORES[score]}), "
        f"at least {policy.min_score} is needed; a few unrelated words make a strong one"
    )


def check_password(password: str, *, policy: PasswordPolicy, user_inputs: Iterable[str] = ()) -> None:
    """Raise :class:`Refused` (field ``password``) unless ``policy`` accepts ``password``."""
    problem = password_problem(password, policy=policy, user_inputs=user_inputs)
    if problem is not None:
        raise Refused("password", problem)
