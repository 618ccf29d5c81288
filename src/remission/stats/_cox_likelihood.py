"""The Cox log partial likelihood, its score and information, vectorised over sorted risk sets.

Layout (built once by :func:`risk_sets`): rows are sorted by (stratum, stop time); every distinct
event time of a stratum is a *block* of ``d`` tied events. The risk set of a block at time ``t`` is
the rows of that stratum with ``stop ≥ t`` minus those with ``entry ≥ t`` (late entry: a row is at
risk on ``(entry, stop]``), so its sums are differences of reverse cumulative sums found with
``searchsorted``. Summing from the end keeps the small late risk sets accurate, as R's running sums do.

Per evaluation the work is ``O(n q)`` with ``q = 1 + p + p(p+1)/2`` (weights, weighted covariates
and weighted cross products), then ``O(E p²)`` over the ``E`` events for the tie correction.

Ties (Efron 1977): for a block with risk-set sums ``S0, S1, S2``, event sums ``D0, D1, D2`` and
``k = 0..d-1``, the ``k``-th event sees the denominator ``S0 - (k/d) D0`` and the mean
``(S1 - (k/d) D1) / (S0 - (k/d) D0)``; Breslow uses ``k/d = 0`` throughout. The log likelihood is
``Σ_events η - Σ log(denominator)``, the score ``Σ_events x - Σ mean`` and the information
``Σ [(S2 - (k/d) D2) / denominator - mean meanᵀ]`` (Therneau & Grambsch 2000, §3.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from remission.stats._newton import Evaluation


@dataclass(frozen=True)
class Entries:
    """Late entry: rows in (stratum, entry) order; per block, the range of rows entering at or after t."""

    order: NDArray[np.intp]  # sorted positions in (stratum, entry) order
    start: NDArray[np.intp]  # per block: entry-ordered rows [start, end) have entry ≥ t
    end: NDArray[np.intp]


@dataclass(frozen=True)
class RiskSets:
    """Sorted data and block indices; everything that does not depend on β."""

    x: NDArray[np.float64]  # n × p covariates, centred, in (stratum, stop) order
    products: NDArray[np.float64]  # n × p(p+1)/2 products x_j x_k (j ≤ k), same order
    upper: tuple[NDArray[np.intp], NDArray[np.intp]]  # (j, k) of each product column
    event_rows: NDArray[np.intp]  # sorted positions of the event rows, grouped by block
    block_starts: NDArray[np.intp]  # offset of each block in event_rows (for np.add.reduceat)
    event_block: NDArray[np.intp]  # block of each event
    fraction: NDArray[np.float64]  # k/d of each event (Efron) or 0 (Breslow)
    stop_from: NDArray[np.intp]  # per block: sorted rows [stop_from, stop_to) have stop ≥ t
    stop_to: NDArray[np.intp]
    entries: Entries | None  # None without late entry
    event_x_sum: NDArray[np.float64]  # Σ over events of x (constant part of the score)


def risk_sets(
    stop: NDArray[np.float64],
    event: NDArray[np.int64],
    x: NDArray[np.float64],
    strata: NDArray[np.int64],
    entry: NDArray[np.float64] | None,
    efron: bool,
) -> RiskSets:
    """Sort once and index the risk set of every event block (see the module docstring)."""
    n, p = x.shape
    # Times become ranks on one grid so (stratum, time) packs into one sortable integer key.
    both = stop if entry is None else np.concatenate([stop, entry])
    grid, ranks = np.unique(both, return_inverse=True)
    width = np.int64(grid.size + 1)
    stratum_base = strata.astype(np.int64) * width
    stop_key = stratum_base + ranks[:n]
    order = np.argsort(stop_key, kind="stable")
    sorted_key = stop_key[order]
    is_event = event[order] == 1

    event_rows = np.flatnonzero(is_event)
    event_key = sorted_key[event_rows]
    block_starts = np.flatnonzero(np.r_[True, event_key[1:] != event_key[:-1]])
    block_key = event_key[block_starts]
    sizes = np.diff(np.r_[block_starts, event_rows.size])
    event_block = np.repeat(np.arange(block_starts.size), sizes)
    if efron:
        position = np.arange(event_rows.size) - np.repeat(block_starts, sizes)
        fraction = position / np.repeat(sizes, sizes).astype(np.float64)
    else:
        fraction = np.zeros(event_rows.size)
    stratum_end = (block_key // width + 1) * width

    entries = None
    if entry is not None:
        entry_key = stratum_base[order] + ranks[n:][order]
        entry_order = np.argsort(entry_key, kind="stable")
        sorted_entry = entry_key[entry_order]
        # Entry ≥ t means not yet at risk at t: R's (start, stop] intervals.
        entries = Entries(
            order=entry_order,
            start=np.searchsorted(sorted_entry, block_key, side="left"),
            end=np.searchsorted(sorted_entry, stratum_end, side="left"),
        )

    centred = x - x.mean(axis=0)
    xs = np.ascontiguousarray(centred[order])
    upper = np.triu_indices(p)
    return RiskSets(
        x=xs,
        products=xs[:, upper[0]] * xs[:, upper[1]],
        upper=upper,
        event_rows=event_rows,
        block_starts=block_starts,
        event_block=event_block,
        fraction=fraction,
        stop_from=np.searchsorted(sorted_key, block_key, side="left"),
        stop_to=np.searchsorted(sorted_key, stratum_end, side="left"),
        entries=entries,
        event_x_sum=xs[event_rows].sum(axis=0),
    )


def evaluate(sets: RiskSets, beta: NDArray[np.float64]) -> Evaluation:
    """Log partial likelihood, score and information at ``beta`` (coefficients of the centred x).

    A β so large that ``exp(xβ)`` overflows gives non-finite values, without a warning: the
    Newton iteration treats them as a failed step and shortens it.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _evaluate(sets, beta)


def _evaluate(sets: RiskSets, beta: NDArray[np.float64]) -> Evaluation:
    n, p = sets.x.shape
    eta = sets.x @ beta
    weight = np.exp(eta)
    # Columns: weight | weight·x (p) | weight·x_j x_k (j ≤ k).
    sums = np.empty((n, 1 + p + sets.products.shape[1]))
    sums[:, 0] = weight
    np.multiply(sets.x, weight[:, None], out=sums[:, 1 : 1 + p])
    np.multiply(sets.products, weight[:, None], out=sums[:, 1 + p :])

    at_risk = _range_sums(sums, sets.stop_from, sets.stop_to)
    if sets.entries is not None:
        # np.take gathers rows several times faster than fancy indexing on large arrays.
        entered = np.take(sums, sets.entries.order, axis=0)
        at_risk -= _range_sums(entered, sets.entries.start, sets.entries.end)
    dying = np.add.reduceat(np.take(sums, sets.event_rows, axis=0), sets.block_starts, axis=0)

    block, fraction = sets.event_block, sets.fraction
    risk_each = np.take(at_risk[:, : 1 + p], block, axis=0)  # per event: S0, S1 of its block
    dying_each = np.take(dying[:, : 1 + p], block, axis=0)
    denominator = risk_each[:, 0] - fraction * dying_each[:, 0]
    inverse = 1.0 / denominator
    mean = (risk_each[:, 1:] - fraction[:, None] * dying_each[:, 1:]) * inverse[:, None]
    log_likelihood = float(eta[sets.event_rows].sum() - np.log(denominator).sum())
    score = sets.event_x_sum - mean.sum(axis=0)

    # Σ_e (S2 - f D2)/den = Σ_blocks S2 Σ(1/den) - D2 Σ(f/den), summed per block without a loop.
    weight_at_risk = np.add.reduceat(inverse, sets.block_starts)
    weight_dying = np.add.reduceat(fraction * inverse, sets.block_starts)
    second = weight_at_risk @ at_risk[:, 1 + p :] - weight_dying @ dying[:, 1 + p :]
    information = np.empty((p, p))
    information[sets.upper] = second
    information[sets.upper[1], sets.upper[0]] = second
    information -= mean.T @ mean
    return Evaluation(log_likelihood, score, information)


def _range_sums(
    values: NDArray[np.float64], start: NDArray[np.intp], end: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Row sums of ``values[start:end]`` for each (start, end) pair, from a reverse cumulative sum."""
    n = values.shape[0]
    tail = np.empty((n + 1, values.shape[1]))
    tail[0] = 0.0
    # tail[k] is the sum of the last k rows, accumulated from the end.
    np.cumsum(values[::-1], axis=0, out=tail[1:])
    sums: NDArray[np.float64] = np.take(tail, n - start, axis=0) - np.take(tail, n - end, axis=0)
    return sums
