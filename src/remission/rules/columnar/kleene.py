"""Kleene truth codes for many records at once.

Internally the codes are ordered ``NOT_MET < UNKNOWN < MET`` (0, 1, 2) so that ``all`` is an
element-wise minimum, ``any`` a maximum and ``not`` is ``2 - x``. Results handed out use the
public coding :data:`FALSE` 0, :data:`TRUE` 1, :data:`UNKNOWN` 2 (``int8``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from remission.rules.truth import Truth

#: Internal, ordered codes.
F, U, T = np.int8(0), np.int8(1), np.int8(2)

#: Public codes of the results: not met, met, unknown.
FALSE, TRUE, UNKNOWN = 0, 1, 2

_PUBLIC = np.array([FALSE, UNKNOWN, TRUE], dtype=np.int8)
_TRUTHS = {FALSE: Truth.NOT_MET, TRUE: Truth.MET, UNKNOWN: Truth.UNKNOWN}


def decided(hit: NDArray[np.bool_], known: NDArray[np.bool_]) -> NDArray[np.int8]:
    """Internal codes: met where ``hit``, not met elsewhere, unknown where not ``known``."""
    out = np.where(hit, T, F).astype(np.int8, copy=False)
    out[~known] = U
    return out


def to_public(codes: NDArray[np.int8]) -> NDArray[np.int8]:
    """Internal codes to the public coding (0 not met, 1 met, 2 unknown)."""
    return _PUBLIC[codes]


def truth_of(code: int) -> Truth:
    """The :class:`~remission.rules.Truth` of one public code."""
    return _TRUTHS[int(code)]
