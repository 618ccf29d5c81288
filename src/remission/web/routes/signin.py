"""Signing in and out, and the home page that sends each role where it works."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from remission.api.deps import client_address
from remission.store import end_session
from remission.store import sign_in as check_sign_in
from remission.web.auth import (
    SIGN_IN_COOKIE,
    clear_session_cookie,
    clear_sign_in_cookie,
    csrf_matches,
    csrf_token,
    safe_next,
    set_session_cookie,
    set_sign_in_cookie,
    sign_in_nonce,
    start_web_session,
)
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, ViewerDep

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, viewer: ViewerDep) -> Response:
    """Study roles start at the dashboard, site roles at their patient list."""
    return redirect(request, "/dashboard" if viewer.may_see_dashboard else "/patients")


def _sign_in_page(
    request: Request,
    *,
    next_url: str,
    error: str = "",
    username: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = request.app.state.settings
    nonce, new = sign_in_nonce(request)
    context = {
        "next_url": next_url,
        "error": error,
        "username": username,
        "expired": request.query_params.get("expired") == "1",
        "signed_out": request.query_params.get("signed_out") == "1",
        "sign_in_csrf": csrf_token(settings.secret_key, nonce),
        "development": settings.environment == "development",
    }
    response = render(request, "sign_in.html", context, status=status)
    response.headers.update(headers or {})
    if new:
        set_sign_in_cookie(response, nonce, settings)
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "/") -> Response:
    return _sign_in_page(request, next_url=safe_next(next))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Check the form's CSRF token and the password; start a new session (new session id)."""
    settings, store = request.app.state.settings, request.app.state.store
    form = await request.form()
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:200]
    next_url = safe_next(str(form.get("next", "/")))
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    if not csrf_matches(settings.secret_key, nonce, str(form.get("csrf_token", ""))):
        message = "The sign-in form expired. Please try again."
        return _sign_in_page(request, next_url=next_url, error=message, username=username, status=403)
    if not (username and password):
        message = "Wrong username or password."
        return _sign_in_page(request, next_url=next_url, error=message, username=username, status=401)
    # Argon2 takes tens of milliseconds: off the event loop, so sign-ins do not stall other pages.
    result = await run_in_threadpool(
        check_sign_in,
        store,
        username=username,
        password=password,
        address=client_address(request),
        policy=settings.sign_in,
    )
    if result.throttled:
        message = throttled_message(result.retry_after)
        return _sign_in_page(
            request,
            next_url=next_url,
            error=message,
            username=username,
            status=429,
            headers={"Retry-After": str(result.retry_after)},
        )
    actor = result.actor
    if actor is None or actor.user_id is None:
        message = "Wrong username or password."
        return _sign_in_page(request, next_url=next_url, error=message, username=username, status=401)
    response = redirect(request, next_url)
    token = await run_in_threadpool(start_web_session, store, actor.user_id, settings=settings)
    set_session_cookie(response, token, settings)
    clear_sign_in_cookie(response, settings)
    return response


def throttled_message(retry_after: int) -> str:
    """What a person is told while their account or address is locked after failed attempts."""
    return f"Too many failed sign-ins. Please wait {_duration(retry_after)} and try again."


def _duration(seconds: int) -> str:
    """``seconds`` in words, rounded up to whole minutes from a minute on ("2 minutes")."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@router.post("/sign-out")
def sign_out(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """End the session in the database (the cookie is refused from now on, even if kept) and
    clear the cookie."""
    end_session(request.app.state.store, session_id=viewer.session.session_id)
    request.state.session_token = None
    response = redirect(request, "/sign-in?signed_out=1")
    clear_session_cookie(response, request.app.state.settings)
    return response
