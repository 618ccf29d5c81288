"""Writing the study report as JSON: every number of the HTML and PDF reports, for machines.

Numbers are the estimators' own (proportions 0–1, days); ``null`` where the report prints
"not estimable" or "not recorded". The printed text of each cell is kept beside its numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from remission import __version__
from remission.stats.report.adverse_events import GRADES, AdverseEventTable
from remission.stats.report.baseline import BaselineTable, Quartiles
from remission.stats.report.build import StudyReport
from remission.stats.report.consort import StudyFlow
from remission.stats.report.estimates import AnalysisResult


def _analysis(result: AnalysisResult) -> dict[str, Any]:
    d = result.definition
    return {
        "key": d.key,
        "title": d.title,
        "kind": d.kind,
        "population": {"text": d.population_text, "n": result.n, "left_out": result.excluded},
        "origin": d.origin,
        "endpoint": d.endpoint,
        "censoring": d.censoring,
        "group": d.group,
        "message": result.message,
        "rows": [
            {
                "group": row.group,
                "cause": row.cause,
                "n": row.n,
                "events": row.events,
                "cells": [asdict(cell) for cell in row.cells],
            }
            for row in result.rows
        ],
        "tests": [asdict(test) for test in result.tests],
    }


def _baseline(table: BaselineTable) -> dict[str, Any]:
    def value(v: int | Quartiles) -> Any:
        return asdict(v) if isinstance(v, Quartiles) else v

    return {
        "columns": list(table.columns),
        "quantiles": "R quantile(type = 7) over recorded values; age in months = days / 30.4375",
        "rows": [
            {
                "variable": row.variable,
                "label": row.label,
                "values": [value(v) for v in row.values],
                "texts": list(row.texts),
            }
            for row in table.rows
        ],
    }


def _flow(flow: StudyFlow) -> dict[str, Any]:
    return {
        "protocol_id": flow.protocol_id,
        "steps": [
            {
                "step": step.label,
                "count": step.count,
                "lost": [
                    {"reason": loss.reason, "count": loss.count, "detail": dict(loss.detail)}
                    for loss in step.lost
                ],
            }
            for step in flow.steps
        ],
        "arms": [{"arm": arm, "count": count} for arm, count in flow.arms],
    }


def _adverse_events(table: AdverseEventTable) -> dict[str, Any]:
    return {
        "terminologies": list(table.terminologies),
        "counting": "patients once per term, at their worst grade",
        "arms": [{"arm": arm, "patients": n} for arm, n in table.arms],
        "rows": [
            {
                "terminology": row.terminology,
                "term": row.term,
                "arm": row.arm,
                "worst_grade": {str(g): n for g, n in zip(GRADES, row.by_grade, strict=True)},
                "grade_3_or_more": row.grade_3_or_more,
            }
            for row in table.rows
        ],
    }


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite (an SE not estimable) as ``None``."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_dict(report: StudyReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    data: dict[str, Any] = _finite(
        {
            "title": report.title,
            "generator": f"remission {__version__}",
            "as_of": report.as_of.isoformat(),
            "years": list(report.years),
            "year_days": report.year_days,
            "min_group_size": report.min_group_size,
            "patients": report.patients,
            "enrolled": report.enrolled,
            "protocols": list(report.protocols),
            "notes": list(report.notes),
            "median_follow_up": asdict(report.follow_up) if report.follow_up else None,
            "baseline": _baseline(report.baseline) if report.baseline else None,
            "flow": _flow(report.flow) if report.flow else None,
            "adverse_events": _adverse_events(report.adverse_events) if report.adverse_events else None,
            "analyses": [_analysis(result) for result in report.analyses],
        }
    )
    return data


def write_json(report: StudyReport, path: Path | str) -> Path:
    """Write :func:`report_dict` to ``path`` (UTF-8, indented); return the path."""
    target = Path(path)
    target.write_text(
        json.dumps(report_dict(report), indent=1, ensure_ascii=False, allow_nan=False) + "\n", "utf-8"
    )
    return target
