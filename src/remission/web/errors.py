"""Error pages for page routes; the API's paths keep their JSON answers.

The API installs one handler per error class on the application. :func:`install_page_errors`
wraps each: a request under ``/api/`` (or for the OpenAPI document) goes to the API's handler,
any other gets an HTML page. Another site's patient is *not found*, exactly like a patient that
does not exist, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from remission.api.app import API_PREFIX
from remission.errors import InputError
from remission.store import (
    AccessDenied,
    Conflict,
    Locked,
    NotFound,
    ReasonRequired,
    Refused,
    VersionConflict,
)
from remission.web.pages import error_page, finish
from remission.web.viewer import FormRefused, SignInRequired

Handler = Callable[[Request, Exception], Awaitable[Response]]

NOT_FOUND = "There is no such page or record here, or it belongs to a site you do not work at."
_API_PATHS = (API_PREFIX + "/", "/openapi.json", "/docs", "/redoc")


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path == API_PREFIX or path.startswith(_API_PATHS)


def _message(error: Exception) -> tuple[int, str, str]:
    if isinstance(error, NotFound):
        return 404, "Not found", NOT_FOUND
    if isinstance(error, AccessDenied):
        return 403, "Not allowed", "Your role does not allow this. Ask a data manager if you need it."
    if isinstance(error, VersionConflict):
        return 409, "Changed meanwhile", "Someone changed this record since you opened it; reload and retry."
    if isinstance(error, Refused):
        return 422, "Not done", f"{error.field}: {error.problem}"
    if isinstance(error, Locked):
        return (409, "Frozen", error.problem) if error.frozen else (423, "Locked", error.problem)
    if isinstance(error, InputError):
        return 422, "Not done", "; ".join(f"{p.field}: {p.problem}" for p in error.problems)
    if isinstance(error, ReasonRequired):
        return 422, "Reason needed", "Give a reason for the change."
    if isinstance(error, Conflict) and error.field:
        return 409, "Conflict", f"{error.field}: {error.problem}"
    if isinstance(error, Conflict):
        return 409, "Conflict", "This conflicts with a stored record (for example a second death)."
    if isinstance(error, StarletteHTTPException) and error.status_code == 404:
        return 404, "Not found", NOT_FOUND
    if isinstance(error, StarletteHTTPException):
        return error.status_code, "Not done", str(error.detail)
    return 422, "Not done", "The request could not be understood."


def _wrap(api_handler: Handler | None) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if _is_api(request):
            if api_handler is None:
                assert isinstance(error, StarletteHTTPException)
                return await http_exception_handler(request, error)
            return await api_handler(request, error)
        status, title, message = _message(error)
        return error_page(request, status, title, message)

    return handle


async def _sign_in_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    target = "/sign-in?next=" + quote(
        request.url.path + (f"?{request.url.query}" if request.url.query else "")
    )
    if error.expired:
        target += "&expired=1"
    if request.headers.get("HX-Request") == "true":
        return finish(request, HTMLResponse("", headers={"HX-Redirect": target}))
    return finish(request, RedirectResponse(target, status_code=303))


async def _form_refused(request: Request, error: Exception) -> Response:
    message = "This form is out of date or did not come from this site. Go back, reload the page and retry."
    return error_page(request, 403, "Form refused", message)


def install_page_errors(app: FastAPI) -> None:
    """Give page routes HTML error pages, keeping the API's handlers for the API's paths."""
    kinds: tuple[type[Exception], ...] = (
        NotFound,
        AccessDenied,
        VersionConflict,
        Refused,
        InputError,
        ReasonRequired,
        Conflict,
        Locked,
        RequestValidationError,
        ValidationError,
        StarletteHTTPException,
    )
    for kind in kinds:
        # The API's handlers are registered with this signature by api/errors.py.
        api_handler: Handler | None = app.exception_handlers.get(kind)  # type: ignore[assignment]
        app.add_exception_handler(kind, _wrap(api_handler))
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(FormRefused, _form_refused)
