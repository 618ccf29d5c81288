"""Rendering pages: the Jinja2 environment, and responses that carry a refreshed session cookie."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from remission import __version__
from remission.store import COURSE_KINDS
from remission.web import formatting
from remission.web.auth import set_session_cookie
from remission.web.fields import field_id

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(
    mrd=formatting.mrd_text,
    value=formatting.value_text,
    words=formatting.label_text,
    field=formatting.field_text,
    age=formatting.age_text,
    mg=formatting.mg_text,
    field_id=field_id,
)
templates.env.globals.update(
    version=__version__, course_forms=[(kind.segment, kind.title) for kind in COURSE_KINDS]
)
#: Security headers of every page: no framing, no sniffing, scripts and styles only from here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def finish(request: Request, response: Response) -> Response:
    """Add the security headers, and the refreshed session cookie when the viewer's token was renewed."""
    response.headers.update(SECURITY_HEADERS)
    token = getattr(request.state, "session_token", None)
    if token is not None:
        set_session_cookie(response, token, request.app.state.settings)
    return response


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    """The template ``name`` with ``context``; ``viewer`` and ``csrf_token`` are always available."""
    viewer = getattr(request.state, "viewer", None)
    values = {"viewer": viewer, "csrf_token": viewer.csrf if viewer else "", **(context or {})}
    response = templates.TemplateResponse(request, name, values, status_code=status)
    return finish(request, response)


def redirect(request: Request, url: str) -> Response:
    """A 303 redirect (after a POST the browser GETs ``url``); htmx requests get ``HX-Redirect``."""
    if request.headers.get("HX-Request") == "true":
        return finish(request, HTMLResponse("", headers={"HX-Redirect": url}))
    return finish(request, RedirectResponse(url, status_code=303))


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """The error page (404, 403, 409, 422) with a plain message and a way back."""
    return render(request, "error.html", {"title": title, "message": message}, status=status)
