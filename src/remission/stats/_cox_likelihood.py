"""The Cox log partial likelihood, its score and information, summed within each distinct time first.

Layout (built once per fit by :func:`risk_sets`): every distinct (stratum, stop time) is a *group*,
numbered in (stratum, time) order; a group holding events is a *block* of ``d`` tied events at its
time ``t``. The risk set of a block is the rows of its stratum with ``entry < t ≤ stop`` (late
entry: a row is at risk on ``(entry, stop]``). Each row carries
the number of its group (and, with late entry or strata, of the first group after its entry);
only when nearly every time is distinct are the rows put in group order once, so that the
per-group sums below write their bins in sequence.

Per evaluation (one β) the weights ``w = exp(xβ)`` and ``w x`` are summed per group and event
status (``np.bincount``, ``O(n p)``), reverse-cumulated over the groups of each stratum (``O(k p)``
for ``k`` distinct times; summing from the end keeps the small late risk sets accurate, as R's
running sums do) and read at the blocks: the risk-set sums ``S0, S1`` and the events' own sums
``D0, D1``. The tie correction needs only scalars per event, summed per block. The second moments
``S2, D2`` are never formed per time: swapping the sums, ``Σ_blocks (α S2 - γ D2)`` is
``Σ_rows w_i c_i x_i x_iᵀ`` with ``c_i`` the sum of ``α`` over the risk sets holding row ``i`` (a
difference of a forward cumulative sum) minus ``γ`` of its own block if it is an event: one
``p × n`` by ``n × p`` product. So the work is ``O(n p²)`` with no ``n × p × p`` (or ``n × p²``)
array, and the memory ``O(n p + k p)``.

Ties (Efron 1977): for a block with risk-set sums ``S0, S1, S2``, event sums ``D0, D1, D2`` and
``l = 0..d-1``, the ``l``-th event sees the denominator ``den_l = S0 - f_l D0`` (``f_l = l/d``) and
the mean ``m_l = (S1 - f_l D1) / den_l``; Breslow uses ``f_l = 0`` throughout. The log likelihood
is ``Σ_events η - Σ log den_l``, the score ``Σ_events x - Σ m_l`` and the information
``Σ [(S2 - f_l D2) / den_l - m_l m_lᵀ]`` (Therneau & Grambsch 2000, §3.3). Scaled by ``S0`` (so no
square can overflow): with ``q_l = S0 / den_l = 1 / (1 - f_l D0/S0)``, ``u = S1/S0``,
``v = D1/S0``, ``A_j = Σ_l f_l^j q_l`` and ``B_j = Σ_l f_l^j q_l²``, a block adds
``A0 u - A1 v`` to the sum of the means and ``(A0 S2 - A1 D2)/S0 - (B0 u uᵀ - B1 (u vᵀ + v uᵀ) +
B2 v vᵀ)`` to the information; Breslow has ``A0 = B0 = d`` and the rest zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from remission.stats._newton import Evaluation
from remission.stats.inputs import distinct_values

#: Tied events whose Efron terms are formed at once (one block larger than this is formed whole):
#: bounds the per-event temporaries, about 100 bytes an event, at about 26 MB however many events
#: there are (the partitioned fit at 10⁷ rows finishes from ~6 × 10⁶ events on the driver).
TIE_CHUNK = 1 << 18


@dataclass(frozen=True)
class RiskSets:
    """Group numbers and block indices; everything that does not depend on β."""

    columns: NDArray[np.float64]  # p × n covariates, centred, in the caller's row order
    groups: int  # number of distinct (stratum, stop time) groups
    status_bin: NDArray[np.intp]  # per row: 2 × its stop group + 1 if it is an event
    stratum_end: NDArray[np.intp]  # per group: one past the last group of its stratum
    row_lower: NDArray[np.intp] | None  # per row: first group of its risk sets (None: always 0)
    entry_bin: NDArray[np.intp] | None  # per row: last group at or before its entry, or `groups` if none
    blocks: NDArray[np.intp]  # groups holding events, ascending
    deaths: NDArray[np.float64]  # events per block
    efron: bool  # Efron's tie handling (else Breslow's)
    event_x_sum: NDArray[np.float64]  # Σ over events of x (constant part of the score)

    @property
    def x(self) -> NDArray[np.float64]:
        """The n × p centred covariates."""
        return self.columns.T


def risk_sets(
    stop: NDArray[np.float64],
    event: NDArray[np.int64],
    x: NDArray[np.float64],
    strata: NDArray[np.int64],
    entry: NDArray[np.float64] | None,
    efron: bool,
) -> RiskSets:
    """Number the groups and index the blocks once (see the module docstring)."""
    n = stop.size
    # Times become ranks on one grid so (stratum, time) packs into one sortable integer key.
    both = stop if entry is None else np.concatenate([stop, entry])
    grid, ranks = distinct_values(both)
    width = np.int64(grid.size + 1)
    simple = entry is None and not np.any(strata)
    if simple:
        # One stratum and no entry times: the ranks of the stop times already number the groups.
        group_key = np.arange(grid.size, dtype=np.int64)
        row_group = ranks.astype(np.intp)
    else:
        stratum_base = strata.astype(np.int64) * width
        group_key, inverse = np.unique(stratum_base + ranks[:n], return_inverse=True)
        row_group = inverse.reshape(-1).astype(np.intp)
    groups = group_key.size
    stratum_end = np.searchsorted(group_key, (group_key // width + 1) * width, side="left").astype(np.intp)

    row_lower = entry_bin = None
    if entry is not None:
        # Entry ≥ t means not yet at risk at t: R's (start, stop] intervals.
        row_lower = np.searchsorted(group_key, stratum_base + ranks[n:], side="right").astype(np.intp)
        first = np.searchsorted(group_key, stratum_base, side="left")
        entry_bin = np.where(row_lower > first, row_lower - 1, groups).astype(np.intp)
    elif not simple:
        row_lower = np.searchsorted(group_key, stratum_base, side="left").astype(np.intp)

    is_event = event == 1
    event_count = np.bincount(row_group[is_event], minlength=groups)
    blocks = np.flatnonzero(event_count)
    deaths = event_count[blocks]

    status_bin = (2 * row_group + is_event).astype(np.intp)
    event_x_sum = x.T @ is_event.astype(np.float64) - is_event.sum() * x.mean(axis=0)
    if groups > n // 8:
        # Nearly distinct times: put the rows in group order once, so that every per-group sum
        # writes its bins in sequence instead of scattering over ~n of them.
        order = np.argsort(status_bin, kind="stable")
        status_bin, x = status_bin[order], x[order]
        row_lower = None if row_lower is None else row_lower[order]
        entry_bin = None if entry_bin is None else entry_bin[order]
    # One pass: transpose to p × n (each covariate contiguous, for np.bincount) and centre.
    columns = np.empty((x.shape[1], n))
    np.subtract(x.T, x.mean(axis=0)[:, None], out=columns)
    return RiskSets(
        columns=columns,
        groups=groups,
        status_bin=status_bin,
        stratum_end=stratum_end,
        row_lower=row_lower,
        entry_bin=entry_bin,
        blocks=blocks,
        deaths=deaths.astype(np.float64),
        efron=efron,
        event_x_sum=event_x_sum,
    )


def evaluate(sets: RiskSets, beta: NDArray[np.float64]) -> Evaluation:
    """Log partial likelihood, score and information at ``beta`` (coefficients of the centred x).

    A β so large that ``exp(xβ)`` overflows gives non-finite values, without a warning: the
    Newton iteration treats them as a failed step and shortens it.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _evaluate(sets, beta)


def _evaluate(sets: RiskSets, beta: NDArray[np.float64]) -> Evaluation:
    columns = sets.columns
    weight = np.exp(beta @ columns)
    weighted = columns * weight  # p × n: w x

    # Sums of w (row 0) and w x (rows 1..p) per group: all rows, then the events only.
    by_status = _per_bin(sets.status_bin, weight, weighted, 2 * sets.groups)
    at_risk = _tails(by_status[:, 0::2] + by_status[:, 1::2], sets.stratum_end)
    if sets.entry_bin is not None:
        entered = _per_bin(sets.entry_bin, weight, weighted, sets.groups + 1)[:, :-1]
        at_risk -= _tails(entered, sets.stratum_end)
    risk = at_risk[:, sets.blocks]
    dying = by_status[:, 2 * sets.blocks + 1]

    def second_moments(alpha: NDArray[np.float64], gamma: NDArray[np.float64]) -> NDArray[np.float64]:
        # Σ_blocks (α S2 - γ D2) = Σ_rows w_i c_i x_i x_iᵀ (see the module docstring).
        cumulative = np.zeros(sets.groups + 1)
        np.cumsum(_on_groups(alpha, sets), out=cumulative[1:])
        per_status = np.repeat(cumulative[1:], 2)
        per_status[1::2] -= _on_groups(gamma, sets)
        coefficient = per_status[sets.status_bin]
        if sets.row_lower is not None:
            coefficient -= cumulative[sets.row_lower]
        product: NDArray[np.float64] = (weighted * coefficient) @ columns.T
        return product

    eta_sum = float(beta @ sets.event_x_sum)
    return from_block_sums(eta_sum, sets.event_x_sum, risk, dying, sets.deaths, sets.efron, second_moments)


def from_block_sums(
    eta_sum: float,
    event_x_sum: NDArray[np.float64],
    risk: NDArray[np.float64],
    dying: NDArray[np.float64],
    deaths: NDArray[np.float64],
    efron: bool,
    second_moments: Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]],
) -> Evaluation:
    """Log likelihood, score and information from the sums at each block of tied events.

    ``risk`` and ``dying`` are ``(1 + p, blocks)``: ``S0, S1`` of each block's risk set and
    ``D0, D1`` of its events; ``eta_sum`` is Σ xβ and ``event_x_sum`` Σ x over the events,
    ``deaths`` the events per block (each at least 1), ``efron`` Efron's ties (else Breslow's).
    ``second_moments(α, γ)`` returns the p × p ``Σ_blocks (α S2 - γ D2)``, which the caller forms
    as it can (the in-memory fit over rows, the partitioned one from per-block sums). The formulas
    are those of the module docstring. Call inside ``np.errstate`` when overflow is expected.
    """
    s0 = risk[0]
    mean, dying_mean = risk[1:] / s0, dying[1:] / s0
    if not efron:
        # Breslow: every event of a block sees S0.
        none = np.zeros_like(deaths)
        a0, a1, b0, b1, b2 = deaths, none, deaths, none, none
        log_denominators = float(deaths @ np.log(s0))
    else:
        (a0, a1, b0, b1, b2), log_scaled = _efron_terms(deaths, dying[0] / s0)
        log_denominators = float(deaths @ np.log(s0) - log_scaled)

    log_likelihood = float(eta_sum - log_denominators)
    score = event_x_sum - (mean @ a0 - dying_mean @ a1)
    information = second_moments(a0 / s0, a1 / s0)
    cross = (mean * b1) @ dying_mean.T
    information -= (mean * b0) @ mean.T - cross - cross.T + (dying_mean * b2) @ dying_mean.T
    return Evaluation(log_likelihood, score, 0.5 * (information + information.T))


def _efron_terms(
    deaths: NDArray[np.float64], ratio: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float]:
    """Per block ``A0, A1, B0, B1, B2`` (rows) and ``Σ log q_l`` over all events, ``ratio`` = D0/S0.

    ``q_l = 1 / (1 - f_l D0/S0)`` with Efron's ``f_l = l/d``, ``l = 0..d-1`` (module docstring).
    The per-event terms are formed :data:`TIE_CHUNK` events at a time, whole blocks each.
    """
    counts = deaths.astype(np.int64)
    terms = np.empty((5, counts.size))
    log_scaled = 0.0
    ends = np.cumsum(counts)
    low = 0
    while low < counts.size:
        done = int(ends[low - 1]) if low else 0
        high = max(low + 1, int(np.searchsorted(ends, done + TIE_CHUNK, side="right")))
        chunk = counts[low:high]
        starts = np.concatenate(([0], np.cumsum(chunk)[:-1])).astype(np.intp)
        fraction = (np.arange(int(chunk.sum())) - np.repeat(starts, chunk)) / np.repeat(chunk, chunk)
        scaled = 1.0 / (1.0 - fraction * np.repeat(ratio[low:high], chunk))  # S0 / den_l
        fraction_scaled = fraction * scaled
        terms[0, low:high] = np.add.reduceat(scaled, starts)
        terms[1, low:high] = np.add.reduceat(fraction_scaled, starts)
        terms[2, low:high] = np.add.reduceat(scaled * scaled, starts)
        terms[3, low:high] = np.add.reduceat(fraction_scaled * scaled, starts)
        terms[4, low:high] = np.add.reduceat(fraction_scaled * fraction_scaled, starts)
        log_scaled += float(np.sum(np.log(scaled)))
        low = high
    return terms, log_scaled


def _on_groups(values: NDArray[np.float64], sets: RiskSets) -> NDArray[np.float64]:
    """Per-block values spread onto all groups (zero where a group holds no event)."""
    spread = np.zeros(sets.groups)
    spread[sets.blocks] = values
    return spread


def _per_bin(
    bins: NDArray[np.intp], weight: NDArray[np.float64], weighted: NDArray[np.float64], size: int
) -> NDArray[np.float64]:
    """Sums of w (row 0) and of each row of the p × n ``weighted`` (rows 1..p) per bin."""
    sums = np.empty((1 + weighted.shape[0], size))
    sums[0] = np.bincount(bins, weights=weight, minlength=size)
    for j, row in enumerate(weighted, start=1):
        sums[j] = np.bincount(bins, weights=row, minlength=size)
    return sums


def _tails(per_group: NDArray[np.float64], stratum_end: NDArray[np.intp]) -> NDArray[np.float64]:
    """For each group, the sum over it and the later groups of its stratum (columns are groups)."""
    groups = per_group.shape[1]
    # Accumulated from the end: column g sums groups g, g+1, ... of every stratum.
    from_here: NDArray[np.float64] = np.cumsum(per_group[:, ::-1], axis=1)[:, ::-1]
    later = stratum_end < groups
    if not np.any(later):
        return from_here
    beyond = np.zeros_like(from_here)
    beyond[:, later] = from_here[:, stratum_end[later]]
    sums: NDArray[np.float64] = from_here - beyond
    return sums
