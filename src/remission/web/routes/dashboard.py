"""The study dashboard, for the study-level roles."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from remission.store import owed_counts, query_counts
from remission.web.dashboard_data import build_dashboard
from remission.web.pages import render
from remission.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(request: Request, viewer: ViewerDep) -> Response:
    """Enrollment by site and month, risk groups, OS/EFS and relapse incidence by risk group, AEs by
    grade, assessments overdue and due and data queries by site."""
    today = date.today()
    with request.app.state.store.session(viewer.actor) as session:
        board = build_dashboard(session)
        queries = query_counts(session)
        owed = owed_counts(session, as_of=today)
    context = {
        "nav": "dashboard",
        "board": board,
        "query_counts": queries,
        "owed_counts": owed,
        "today": today.isoformat(),
    }
    return render(request, "dashboard.html", context)
