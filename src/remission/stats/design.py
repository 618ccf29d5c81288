"""The design matrix of a regression model: numeric covariates and treatment-coded factors, as R builds it.

``design_matrix`` turns named columns into the ``n × p`` matrix the Cox and Fine–Gray models take.
It follows R's ``model.matrix`` with ``na.action = na.omit``: rows missing any covariate are dropped
(and counted), a categorical covariate becomes one 0/1 column per level except the first level of
R's factor order (the reference), and a design whose columns are collinear is refused, naming the
term that repeats information already in the earlier terms (where R would report an ``NA``
coefficient).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from remission.stats.inputs import as_groups, refuse

# A column whose part orthogonal to the earlier (centred, unit-length) columns is shorter than this
# adds no information of its own; 1e-7 is the tolerance R's ``qr`` uses in ``lm``.
COLLINEAR_TOLERANCE = 1e-7

_NUMERIC_KINDS = frozenset("biuf")
_NUMERIC_INFERRED = frozenset({"integer", "floating", "mixed-integer-float", "boolean", "decimal", "empty"})


@dataclass(frozen=True)
class Design:
    """A model's covariates as a matrix.

    ``matrix`` is ``rows_used.sum() × len(terms)`` float64, one row per complete row of the input in
    its original order; ``terms`` names the columns (numeric covariates by their name, factor
    levels as ``COLUMN=LEVEL``); ``rows_used`` marks the input rows kept; ``dropped`` counts the
    rows left out because a covariate was missing (R's ``na.omit``). ``reference_levels`` pairs
    each categorical column with its reference level.
    """

    matrix: NDArray[np.float64]
    terms: tuple[str, ...]
    rows_used: NDArray[np.bool_]
    dropped: int
    reference_levels: tuple[tuple[str, str], ...] = ()


def design_matrix(
    columns: Mapping[str, ArrayLike], covariates: Sequence[str], categorical: Sequence[str] = ()
) -> Design:
    """Build the design matrix of ``covariates`` from ``columns`` (a mapping or data frame).

    Numeric covariates enter as they are. Each covariate named in ``categorical`` (added at the end
    when not already in ``covariates``) is treatment-coded: one 0/1 column ``COLUMN=LEVEL`` per
    level after the first, where levels are ordered as R orders a factor (numbers by value, text
    alphabetically) among the rows used. Missing values (``None``, ``NaN``, ``pd.NA``) drop the row.

    Raises :class:`InputError` naming the column for an unknown column, text in a numeric column,
    infinite values, a categorical column with a single level, or collinear columns.
    """
    names = _names(columns, covariates, categorical)
    factors = set(categorical)
    raw = {name: _column(columns, name) for name in names}
    lengths = {name: values.size for name, values in raw.items()}
    length = lengths[names[0]]
    for name, size in lengths.items():
        if size != length:
            raise refuse(name, f"has {size} values but {names[0]!r} has {length}")

    missing = {name: np.asarray(pd.isna(values), dtype=bool) for name, values in raw.items()}
    rows_used = ~np.logical_or.reduce([missing[name] for name in names])
    used = int(rows_used.sum())
    if used == 0:
        raise refuse("covariates", "no row has a value for every covariate")

    blocks: list[NDArray[np.float64]] = []
    terms: list[str] = []
    references: list[tuple[str, str]] = []
    for name in names:
        values = raw[name][rows_used]
        if name in factors:
            groups = as_groups(values, used, name)
            if groups.count < 2:
                raise refuse(name, f"has a single level ({groups.labels[0]!r}) among the rows used")
            dummies = groups.codes[:, None] == np.arange(1, groups.count)[None, :]
            blocks.append(dummies.astype(np.float64))
            terms += [f"{name}={label}" for label in groups.labels[1:]]
            references.append((name, groups.labels[0]))
        else:
            blocks.append(_numbers(values, name)[:, None])
            terms.append(name)

    matrix = np.ascontiguousarray(np.hstack(blocks))
    _check_rank(matrix, tuple(terms), names, factors)
    return Design(matrix, tuple(terms), rows_used, length - used, tuple(references))


def _names(
    columns: Mapping[str, ArrayLike], covariates: Sequence[str], categorical: Sequence[str]
) -> list[str]:
    if isinstance(covariates, str) or isinstance(categorical, str):
        raise refuse("covariates", "must be a list of column names, not a single string")
    names = list(covariates) + [name for name in categorical if name not in covariates]
    if not names:
        raise refuse("covariates", "name at least one column")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise refuse("covariates", f"columns named more than once: {repeated}")
    for name in names:
        if name not in columns:
            available = ", ".join(map(str, list(columns)[:20]))
            raise refuse(name, f"is not a column of the data (columns: {available})")
    return names


def _column(columns: Mapping[str, ArrayLike], name: str) -> NDArray[np.generic]:
    values = np.asarray(columns[name])
    if values.ndim != 1:
        raise refuse(name, f"must be one-dimensional, got shape {values.shape}")
    return values


def _numbers(values: NDArray[np.generic], name: str) -> NDArray[np.float64]:
    """Numeric covariate values as floats; text or dates are refused (list such columns as categorical)."""
    kind = values.dtype.kind
    numeric = kind in _NUMERIC_KINDS or (
        kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in _NUMERIC_INFERRED
    )
    if not numeric:
        example = next((value for value in values.tolist() if not isinstance(value, int | float)), None)
        raise refuse(
            name,
            f"has non-numeric values (e.g. {example!r}); list it in `categorical` to use it as a factor",
        )
    numbers = values.astype(np.float64)
    infinite = int(np.sum(~np.isfinite(numbers)))
    if infinite:
        raise refuse(name, f"{infinite} value(s) are infinite")
    return numbers


def _check_rank(
    matrix: NDArray[np.float64], terms: tuple[str, ...], names: list[str], factors: set[str]
) -> None:
    """Refuse a constant column or one that is a linear combination of earlier ones.

    The model has no intercept of its own (the baseline hazard plays that part), so columns are
    centred first: a constant column carries no information, as in R where it gets an ``NA``
    coefficient. Householder QR without pivoting keeps the columns' order, so ``|R[j, j]|`` is the
    length of column ``j`` orthogonal to the columns before it: the first short one is the
    offending term, like the first ``NA`` coefficient R reports.
    """
    rows, count = matrix.shape
    centred = matrix - matrix.mean(axis=0)
    lengths = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    for index, length in enumerate(lengths):
        if not length > 0:
            raise refuse(
                _column_of(terms[index], names, factors), f"{terms[index]!r} is constant over the rows used"
            )
    if rows <= count:
        raise refuse("covariates", f"{count} term(s) need more than {rows} complete row(s)")
    unit = centred / lengths
    diagonal = np.abs(np.diag(np.linalg.qr(unit, mode="r")))
    for index in np.flatnonzero(diagonal < COLLINEAR_TOLERANCE).tolist():
        earlier, *_ = np.linalg.lstsq(unit[:, :index], unit[:, index], rcond=None)
        partners = [terms[j] for j in np.flatnonzero(np.abs(earlier) > COLLINEAR_TOLERANCE)]
        raise refuse(
            _column_of(terms[index], names, factors),
            f"{terms[index]!r} is collinear with {', '.join(map(repr, partners))}; drop one of them",
        )


def _column_of(term: str, names: list[str], factors: set[str]) -> str:
    """The input column a term comes from (``COLUMN=LEVEL`` belongs to the factor ``COLUMN``)."""
    if term in names:
        return term
    return next(name for name in names if name in factors and term.startswith(f"{name}="))
