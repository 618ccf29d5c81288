"""How hard a configured secret (``REMISSION_SECRET_KEY``, audit keys) is to guess, in bits.

Length alone says little: 32 × ``a`` is 32 characters and no secret. The estimate is the
smaller of two: the string's length times the Shannon entropy of its own characters (a key
made of few distinct characters scores low), and zxcvbn's estimate of the guesses needed
(words, keyboard walks, sequences and repeats score low; it counts a random character as
about 3.3 bits, so it is the cautious one for random keys). A key from
``secrets.token_urlsafe(32)`` (256 random bits) estimates at 135 bits or more; 32 × ``a``
at 0.
"""

from __future__ import annotations

import math
from collections import Counter

from zxcvbn import zxcvbn

#: The fewest estimated bits a secret must have.
MIN_SECRET_BITS = 128
#: zxcvbn refuses longer input: a longer secret is judged by its first this many characters.
SCORED_LENGTH = 72
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def shannon_bits(secret: str) -> float:
    """``len(secret)`` times the Shannon entropy (bits) of the secret's character frequencies."""
    counts, total = Counter(secret), len(secret)
    return -sum(count * math.log2(count / total) for count in counts.values())


def estimated_bits(secret: str) -> float:
    """A cautious estimate of the bits of guessing ``secret`` takes (see the module's notes)."""
    if not secret:
        return 0.0
    guesses = float(zxcvbn(secret[:SCORED_LENGTH])["guesses"])
    return min(shannon_bits(secret), math.log2(max(guesses, 1.0)))


def secret_problem(secret: str, *, min_bits: int = MIN_SECRET_BITS) -> str | None:
    """What is wrong with ``secret`` as a signing or MAC key (``None`` when it is strong enough);
    the message never repeats the secret."""
    bits = estimated_bits(secret)
    if bits >= min_bits:
        return None
    return (
        f"too easy to guess (about {bits:.0f} bits of entropy, at least {min_bits} needed); "
        f"generate one with: {GENERATE}"
    )
