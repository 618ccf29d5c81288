"""Agreement between implementations, the issue's goals, and the Markdown table of a benchmark run."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# task -> what is timed; the peers' calls are in PEER_CALLS ("—" where a peer has no such estimator).
TASKS: dict[str, str] = {
    "km": "Kaplan–Meier by group",
    "logrank": "Log-rank test, all groups",
    "aj": "Aalen–Johansen + variance, 2 causes",
    "cuminc_gray": "AJ + variance by group, with Gray's test",
    "gray": "Gray's test alone",
    "cox": "Cox, Efron ties",
    "cox_breslow": "Cox, Breslow ties",
    "finegray": "Fine–Gray",
}
PEER_CALLS: dict[str, dict[str, str]] = {
    "R": {
        "km": "`survfit(Surv(time, event) ~ group)`",
        "logrank": "`survdiff`",
        "aj": "`cuminc(time, cause)`",
        "cuminc_gray": "`cuminc(time, cause, group)`",
        "gray": "`cuminc(..., group)` (no separate test in R)",
        "cox": '`coxph(..., ties = "efron")`',
        "cox_breslow": '`coxph(..., ties = "breslow")`',
        "finegray": "`crr`",
    },
    "lifelines": {
        "km": "`KaplanMeierFitter` per group",
        "logrank": "`logrank_test` / `multivariate_logrank_test`",
        "aj": "`AalenJohansenFitter(calculate_variance=True)` per cause",
        "cox": "`CoxPHFitter` (Efron only)",
    },
    "scikit-survival": {
        "km": '`kaplan_meier_estimator(conf_type="log-log")` per group',
        "logrank": "`compare_survival`",
        "aj": '`cumulative_incidence_competing_risks(conf_type="log-log")`',
        "cox": '`CoxPHSurvivalAnalysis(ties="efron")` (no SE)',
        "cox_breslow": '`CoxPHSurvivalAnalysis(ties="breslow")` (no SE)',
    },
    "comprisk": {
        "aj": "`CumulativeIncidence().fit(time, cause)`",
        "cuminc_gray": "`CumulativeIncidence().fit(..., group=)` + `gray_test` per cause",
        "gray": "`gray_test` per cause",
        "finegray": "`FineGrayRegression(cause=1)`",
    },
}
PEERS = ("lifelines", "scikit-survival", "comprisk", "R")
#: Issue 14: remission's time / the fastest peer's at 10^6 (Fine–Gray also at 5000) at most this.
RATIO_GOAL = 0.5
ISSUE14_FINE_GRAY_N = 5_000
# Issue 4's goals, kept for the issue-4 cohort shape.
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


def ratio(row: dict[str, Any]) -> tuple[float | None, bool, str]:
    """remission's time / the fastest peer's (issue 14's convention: below 1 is faster), whether it is
    an upper bound (every peer was stopped), and the peer."""
    ours = best(row.get("remission"))
    peer, bound, name = fastest_peer(row)
    if ours is None or peer is None or peer <= 0:
        return None, False, name
    return ours / peer, bound, name


def goals_issue14(cohorts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 14 item 1: every estimator at most 0.5 × the fastest peer's time at 10^6 (Fine–Gray also
    at 5000), per cohort where it applies."""
    verdicts: list[dict[str, Any]] = []
    largest = max((c["n"] for c in cohorts), default=0)
    for cohort in cohorts:
        where = f"n = {cohort['n']:,}, {cohort['times']} times"
        for task, row in cohort["tasks"].items():
            applies = cohort["n"] == largest or (task == "finegray" and cohort["n"] == ISSUE14_FINE_GRAY_N)
            value, bound, peer = ratio(row)
            if not applies or value is None:
                continue
            # An upper bound at or below the goal settles it; one above leaves it open.
            met: bool | None = value <= RATIO_GOAL if not bound or value <= RATIO_GOAL else None
            verdicts.append(
                {
                    "task": task,
                    "where": where,
                    "goal": f"<= {RATIO_GOAL:g} × fastest peer",
                    "value": f"{'< ' if bound else ''}{value:.2f} ({peer})",
                    "met": met,
                }
            )
    return verdicts


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


def markdown_table(cohorts: list[dict[str, Any]], peers: tuple[str, ...] = PEERS) -> str:
    """One row per task × cohort: best times, remission / fastest peer, peak memory and agreement."""
    shown_peers = [p for p in peers if any(p in r for c in cohorts for r in c["tasks"].values())]
    lines = [
        "| task | times | n | remission (s) | "
        + " | ".join(f"{p} (s)" for p in shown_peers)
        + " | remission / fastest peer | peak MB: ours / "
        + " / ".join(shown_peers)
        + " | max rel. diff vs "
        + " / ".join(shown_peers)
        + " |",
        "|---|---|---:|---:|" + "---:|" * len(shown_peers) + "---:|---:|---:|",
    ]
    order = list(TASKS)
    rows = [(order.index(t), c["times"], c["n"], t, r) for c in cohorts for t, r in c["tasks"].items()]
    for _, times, n, task, row in sorted(rows, key=lambda item: item[:3]):
        value, bound, peer = ratio(row)
        shown = "—" if value is None else f"{'< ' if bound else ''}{value:.2f} ({peer})"
        memory = " / ".join(_memory(row.get(name)) for name in ("remission", *shown_peers))
        agreement = " / ".join(_agreement(row, p) for p in shown_peers)
        peer_times = " | ".join(_time(row.get(p)) for p in shown_peers)
        lines.append(
            f"| {TASKS[task]} | {times} | {n:,} | {_time(row.get('remission'))} | {peer_times} | {shown} "
            f"| {memory} | {agreement} |"
        )
    return "\n".join(lines)


def markdown_goals(verdicts: list[dict[str, Any]]) -> str:
    lines = ["| goal | task | where | measured | met |", "|---|---|---|---:|:---:|"]
    for v in verdicts:
        met = "yes" if v["met"] else ("open" if v["met"] is None else "**no**")
        lines.append(f"| {v['goal']} | {TASKS[v['task']]} | {v['where']} | {v['value']} | {met} |")
    return "\n".join(lines)
