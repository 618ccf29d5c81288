"""Signing in and out, and the home page that sends each role where it works."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from remission.store import Actor, authenticate
from remission.web.auth import (
    SIGN_IN_COOKIE,
    clear_session_cookie,
    clear_sign_in_cookie,
    csrf_matches,
    csrf_token,
    issue_session_token,
    safe_next,
    set_session_cookie,
    set_sign_in_cookie,
    sign_in_nonce,
)
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, ViewerDep

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, viewer: ViewerDep) -> Response:
    """Study roles start at the dashboard, site roles at their patient list."""
    return redirect(request, "/dashboard" if viewer.may_see_dashboard else "/patients")


def _sign_in_page(
    request: Request, *, next_url: str, error: str = "", username: str = "", status: int = 200
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
    with store.session(Actor.for_system("web sign-in")) as session:
        actor = authenticate(session, username=username, password=password) if username and password else None
    if actor is None or actor.user_id is None:
        message = "Wrong username or password."
        return _sign_in_page(request, next_url=next_url, error=message, username=username, status=401)
    response = redirect(request, next_url)
    set_session_cookie(response, issue_session_token(actor.user_id, settings=settings), settings)
    clear_sign_in_cookie(response, settings)
    return response


@router.post("/sign-out")
def sign_out(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    request.state.session_token = None
    response = redirect(request, "/sign-in?signed_out=1")
    clear_session_cookie(response, request.app.state.settings)
    return response
