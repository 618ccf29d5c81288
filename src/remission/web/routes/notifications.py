"""The Inbox page: the viewer's notifications, marking them read, and the preferences form.

Everything comes from the store, which reads only the viewer's own notifications; another user's
notification id is *not found*. A serious adverse event's line shows its reporting deadline and
the time left when the page is drawn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from remission.errors import InputError
from remission.store import (
    NotificationKind,
    list_notifications,
    mark_all_read,
    mark_read,
    notification_dict,
    read_preferences,
    set_preferences,
)
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, ViewerDep

router = APIRouter(include_in_schema=False)


def time_left_text(seconds: int | None) -> str | None:
    """``"5 h 12 min left"`` or ``"overdue by 3 h 0 min"``; ``None`` without a deadline."""
    if seconds is None:
        return None
    hours, minutes = divmod(abs(seconds) // 60, 60)
    words = f"{hours} h {minutes} min"
    return f"{words} left" if seconds >= 0 else f"overdue by {words}"


def _line(notification: Any) -> dict[str, Any]:
    line = notification_dict(notification)
    line["time_left"] = time_left_text(line["seconds_left"])
    line["deadline"] = (
        f"{datetime.fromisoformat(line['deadline_at']):%Y-%m-%d %H:%M} UTC" if line["deadline_at"] else None
    )
    return line


@router.get("/notifications")
def inbox(request: Request, viewer: ViewerDep) -> Response:
    """The viewer's inbox, newest first."""
    with request.app.state.store.session(viewer.actor) as session:
        lines = [_line(n) for n in list_notifications(session, limit=200)]
    return render(request, "notifications.html", {"nav": "inbox", "lines": lines})


@router.post("/notifications/read-all")
def read_all(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Mark every line read."""
    with request.app.state.store.session(viewer.actor) as session:
        mark_all_read(session)
    return redirect(request, "/notifications")


@router.post("/notifications/{notification_id}/read")
def read_one(request: Request, notification_id: int, viewer: ViewerDep, form: FormDep) -> Response:
    """Mark one line read (another user's is not found) and go where it points, or back."""
    with request.app.state.store.session(viewer.actor) as session:
        notification = mark_read(session, notification_id=notification_id)
        target = notification.link if form.get("open") and notification.link else "/notifications"
    return redirect(request, target)


def _preferences_page(
    request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    """The form with ``values`` (``email``, and ``kinds`` as the store's ``to_dict`` gives them)."""
    context = {"nav": "inbox", "errors": errors, **values}
    return render(request, "notification_preferences.html", context, status=status)


@router.get("/notifications/preferences")
def preferences(request: Request, viewer: ViewerDep) -> Response:
    """The viewer's choices per kind and their e-mail address."""
    with request.app.state.store.session(viewer.actor) as session:
        chosen = read_preferences(session).to_dict()
    return _preferences_page(request, chosen, {})


@router.post("/notifications/preferences")
def save_preferences(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Save the form: a checkbox per kind and channel, and the address (empty removes it)."""
    kinds = {
        kind.value: (form.get(f"{kind.value}:in_app") == "on", form.get(f"{kind.value}:by_email") == "on")
        for kind in NotificationKind
    }
    email = str(form.get("email", ""))[:300]
    try:
        with request.app.state.store.session(viewer.actor) as session:
            set_preferences(session, kinds=kinds, email=email)
    except InputError as error:
        errors = {problem.field: problem.problem for problem in error.problems}
        values = {
            "email": email,
            "kinds": [{"kind": k, "in_app": a, "by_email": b} for k, (a, b) in kinds.items()],
        }
        return _preferences_page(request, values, errors, status=422)
    return redirect(request, "/notifications/preferences?saved=1")
