"""Loops compiled to machine code by Numba, for the estimators whose work is a pass over sorted times.

:func:`compiled` marks a plain-Python function written in Numba's supported subset (NumPy arrays,
numbers, loops). Numba is imported and the function compiled on its first call, not at import, so
``import remission.stats`` stays light; the machine code is cached on disk beside the module (or in
Numba's per-user cache when that directory is read-only), so later processes load it instead of
compiling again. Arithmetic follows NumPy's rules, not Python's: a division by zero gives inf or
NaN (as the array code these loops replace did), never ``ZeroDivisionError``. Setting
``NUMBA_DISABLE_JIT=1`` runs the same functions as plain Python (where such a division raises).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

_Function = TypeVar("_Function", bound=Callable[..., Any])


def compiled(function: _Function) -> _Function:
    """``function`` compiled in nopython mode on first use, with the same signature and results."""
    kernel: Callable[..., Any] | None = None

    @functools.wraps(function)
    def call(*args: Any) -> Any:
        nonlocal kernel
        if kernel is None:
            from numba import njit

            kernel = njit(cache=True, nogil=True, error_model="numpy")(function)
        return kernel(*args)

    return cast(_Function, call)
