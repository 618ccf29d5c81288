"""Agreement between implementations, the issue's goals, and the Markdown table of a benchmark run."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# task -> (what is timed, R's call, lifelines' call); "—" where the peer has no such estimator.
TASKS: dict[str, tuple[str, str, str]] = {
    "km": (
        "Kaplan–Meier, 2 groups",
        "`survfit(Surv(time, event) ~ group)`",
        "`KaplanMeierFitter` × 2 groups",
    ),
    "logrank": ("Log-rank test, 2 groups", "`survdiff`", "`logrank_test`"),
    "aj": (
        "Aalen–Johansen + variance, 2 causes",
        "`cuminc(time, cause)`",
        "`AalenJohansenFitter` × 2 causes",
    ),
    "cuminc_gray": ("AJ + variance by group, with Gray's test", "`cuminc(time, cause, group)`", "—"),
    "gray": ("Gray's test alone", "`cuminc(..., group)` (no separate test in R)", "—"),
    "cox": ("Cox, Efron ties, 4 terms", '`coxph(..., ties = "efron")`', "`CoxPHFitter`"),
    "finegray": ("Fine–Gray, 4 terms", "`crr`", "—"),
}
PEERS = ("lifelines", "R")
SPEEDUP_GOAL = {"aj": 2.0, "cuminc_gray": 2.0, "cox": 2.0}
FINE_GRAY_CRR_N, FINE_GRAY_CRR_RATIO = 20_000, 50.0
FINE_GRAY_LARGE_N, FINE_GRAY_LARGE_SECONDS = 1_000_000, 30.0


def max_relative_difference(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any] | None:
    """Largest ``|a - b| / max(|a|, |b|)`` over the numbers both report (NA on both sides agrees)."""
    keys = sorted(set(ours) & set(peer))
    if not keys:
        return None
    worst, worst_key, count = 0.0, "", 0
    for key in keys:
        a = np.asarray(ours[key], dtype=float).ravel()
        b = np.asarray(peer[key], dtype=float).ravel()
        if a.shape != b.shape:
            return {"max_rel_diff": math.inf, "worst": key, "values": 0, "note": "different lengths"}
        both_missing = np.isnan(a) & np.isnan(b)
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.where(a == b, 0.0, np.abs(a - b) / np.maximum(np.abs(a), np.abs(b)))
        relative = np.where(both_missing, 0.0, np.where(np.isnan(relative), np.inf, relative))
        count += int(a.size)
        if relative.size and float(relative.max()) > worst:
            worst, worst_key = float(relative.max()), key
    return {"max_rel_diff": worst, "worst": worst_key, "values": count}


def best(outcome: dict[str, Any] | None) -> float | None:
    return None if outcome is None else outcome.get("best_seconds")


def fastest_peer(row: dict[str, Any]) -> tuple[float | None, bool, str]:
    """(time, is_lower_bound, peer): the fastest finished peer, or the cap when every peer was stopped."""
    finished = [(best(row.get(p)), p) for p in PEERS if best(row.get(p)) is not None]
    if finished:
        seconds, name = min(finished)
        return seconds, False, name
    stopped = [(row[p]["stopped_after_s"], p) for p in PEERS if row.get(p) and row[p].get("stopped_after_s")]
    if stopped:
        seconds, name = max(stopped)
        return seconds, True, name
    return None, False, ""


def speedup(row: dict[str, Any]) -> tuple[float | None, bool]:
    """Fastest peer time / remission time; ``True`` when it is a lower bound (the peers were stopped)."""
    ours = best(row.get("remission"))
    peer, bound, _ = fastest_peer(row)
    if ours is None or peer is None or ours <= 0:
        return None, False
    return peer / ours, bound


def goals(cohorts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each goal of issue 4 item 5, per cohort where it applies, with the measured value and verdict."""
    verdicts: list[dict[str, Any]] = []
    largest = max((c["n"] for c in cohorts if "km" in c["tasks"]), default=0)
    for cohort in cohorts:
        where = f"n = {cohort['n']:,}, {cohort['times']} times"
        for task, row in cohort["tasks"].items():
            ratio, bound = speedup(row)
            if task in ("km", "logrank") and ratio is not None:
                verdicts.append(_verdict(task, where, "no slower than the fastest peer", ratio, bound, 1.0))
            if task in SPEEDUP_GOAL and cohort["n"] == largest and ratio is not None:
                label = f">= {SPEEDUP_GOAL[task]:g}x faster than the fastest peer at the largest n"
                verdicts.append(_verdict(task, where, label, ratio, bound, SPEEDUP_GOAL[task]))
            if task == "finegray" and cohort["n"] == FINE_GRAY_CRR_N and ratio is not None:
                label = f">= {FINE_GRAY_CRR_RATIO:g}x faster than crr"
                verdicts.append(_verdict(task, where, label, ratio, bound, FINE_GRAY_CRR_RATIO))
            ours = best(row.get("remission"))
            if task == "finegray" and cohort["n"] == FINE_GRAY_LARGE_N and ours is not None:
                verdicts.append(
                    {
                        "task": task,
                        "where": where,
                        "goal": f"under {FINE_GRAY_LARGE_SECONDS:g} s",
                        "value": f"{ours:.2f} s",
                        "met": ours < FINE_GRAY_LARGE_SECONDS,
                    }
                )
    return verdicts


def _verdict(task: str, where: str, goal: str, ratio: float, bound: bool, target: float) -> dict[str, Any]:
    # A lower bound that already reaches the target settles the goal; one that does not leaves it open.
    met: bool | None = ratio >= target if not bound or ratio >= target else None
    return {
        "task": task,
        "where": where,
        "goal": goal,
        "value": f"{'> ' if bound else ''}{ratio:.2f}x",
        "met": met,
    }


def _time(outcome: dict[str, Any] | None) -> str:
    if outcome is None:
        return "—"
    if outcome.get("stopped_after_s"):
        return f"> {outcome['stopped_after_s']:g} s (stopped)"
    if outcome.get("error"):
        return "error"
    seconds = outcome.get("best_seconds")
    if seconds is None:
        return "—"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def _memory(outcome: dict[str, Any] | None) -> str:
    if outcome is None or outcome.get("peak_mb") is None:
        return "—"
    return f"{outcome['peak_mb']:.0f}"


def _agreement(row: dict[str, Any], peer: str) -> str:
    found = row.get("agreement", {}).get(peer)
    if not found:
        return "—"
    shown = f"{found['max_rel_diff']:.1e}"
    # Name the quantity when the difference is more than rounding, so the reader can judge it.
    return f"{shown} ({found['worst']})" if found["max_rel_diff"] > 1e-6 else shown


def markdown_table(cohorts: list[dict[str, Any]]) -> str:
    """One row per task × cohort: best times, speed-up, peak memory and agreement."""
    lines = [
        "| task | times | n | remission (s) | lifelines (s) | R (s) | speed-up vs fastest peer "
        "| peak MB: ours / lifelines / R | max rel. diff vs R / lifelines |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = list(TASKS)
    rows = [(order.index(t), c["times"], c["n"], t, r) for c in cohorts for t, r in c["tasks"].items()]
    for _, times, n, task, row in sorted(rows, key=lambda item: item[:3]):
        ratio, bound = speedup(row)
        shown = "—" if ratio is None else f"{'> ' if bound else ''}{ratio:.1f}x"
        memory = " / ".join(_memory(row.get(name)) for name in ("remission", "lifelines", "R"))
        agreement = f"{_agreement(row, 'R')} / {_agreement(row, 'lifelines')}"
        lines.append(
            f"| {TASKS[task][0]} | {times} | {n:,} | {_time(row.get('remission'))} | "
            f"{_time(row.get('lifelines'))} | {_time(row.get('R'))} | {shown} | {memory} | {agreement} |"
        )
    return "\n".join(lines)


def markdown_goals(verdicts: list[dict[str, Any]]) -> str:
    lines = ["| goal | task | where | measured | met |", "|---|---|---|---:|:---:|"]
    for v in verdicts:
        met = "yes" if v["met"] else ("open" if v["met"] is None else "**no**")
        lines.append(f"| {v['goal']} | {TASKS[v['task']][0]} | {v['where']} | {v['value']} | {met} |")
    return "\n".join(lines)
