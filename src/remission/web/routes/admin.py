"""User and role management for administrators: list accounts, add one, deactivate or reactivate,
change roles and sites — each with a reason for the audit trail.

Who may do this is decided by the store (:func:`remission.store.list_accounts` and the change
functions refuse anyone but an administrator, so another role gets the 403 page); this module
reads the forms and lays the accounts out.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from remission.store import (
    MAX_ID,
    ReasonRequired,
    Refused,
    Role,
    RoleGrant,
    add_user,
    list_accounts,
    list_sites,
    set_active,
    set_roles,
)
from remission.web.pages import redirect, render
from remission.web.viewer import FormDep, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE = "/admin/users"


def _choices(site_codes: list[str]) -> list[RoleGrant]:
    """Every role a user can hold: the study roles, then each site role at each site."""
    study = [RoleGrant(role) for role in Role if not role.site_level]
    sites = [RoleGrant(role, code) for code in site_codes for role in Role if role.site_level]
    return study + sites


def _page(
    request: Request,
    viewer: Viewer,
    *,
    problem: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with request.app.state.store.session(viewer.actor) as session:
        accounts = list_accounts(session)
        sites = [site.code for site in list_sites(session)]
    context: dict[str, Any] = {
        "nav": "users",
        "accounts": accounts,
        "choices": _choices(sites),
        "problem": problem,
        "done": request.query_params.get("done", "")[:200],
        "form": form or {},
        "min_length": request.app.state.settings.password_policy.min_length,
    }
    return render(request, "admin_users.html", context, status=status)


def _text(form: FormData, name: str, limit: int = 200) -> str:
    return str(form.get(name, "") or "").strip()[:limit]


def _reason(form: FormData) -> str:
    reason = _text(form, "reason", 500)
    if not reason:
        raise ReasonRequired("give a reason for the change to the account")
    return reason


def _done(request: Request, message: str) -> Response:
    return redirect(request, f"{PAGE}?done={quote(message)}")


@router.get(PAGE)
def users_page(request: Request, viewer: ViewerDep) -> Response:
    """Every account with its roles, sites and state, and the forms to change them."""
    return _page(request, viewer)


def _refused(request: Request, viewer: Viewer, error: Exception, form: dict[str, str]) -> Response:
    if isinstance(error, Refused):
        problem = f"{error.field.replace('_', ' ')}: {error.problem}"
    else:
        problem = "Give a reason for the change."
    return _page(request, viewer, problem=problem, form=form, status=422)


@router.post(PAGE)
def add_account(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Add a user with one role (``ROLE`` or ``ROLE@SITE``) and a reason."""
    kept = {name: _text(form, name) for name in ("username", "full_name", "grant", "reason")}
    store, settings = request.app.state.store, request.app.state.settings
    try:
        reason = _reason(form)
        grant = RoleGrant.parse(_text(form, "grant"))
        username = _text(form, "username", 64)
        with store.session(viewer.actor, reason=reason) as session:
            add_user(
                session,
                username=username,
                full_name=_text(form, "full_name") or username,
                password=str(form.get("password", "") or "")[:201],
                role=grant.role,
                site_code=grant.site,
                policy=settings.password_policy,
            )
    except (Refused, ReasonRequired) as error:
        return _refused(request, viewer, error, kept)
    return _done(request, f"User {username} added as {grant.text}.")


@router.post(PAGE + "/{user_id}/active")
def change_active(request: Request, user_id: UserId, viewer: ViewerDep, form: FormDep) -> Response:
    """Deactivate (``active=no``) or reactivate (``active=yes``) a user, with a reason."""
    active = _text(form, "active") == "yes"
    try:
        reason = _reason(form)
        with request.app.state.store.session(viewer.actor, reason=reason) as session:
            user = set_active(session, user_id=user_id, active=active)
            username = user.username
    except (Refused, ReasonRequired) as error:
        return _refused(request, viewer, error, {})
    return _done(request, f"User {username} {'reactivated' if active else 'deactivated'}.")


@router.post(PAGE + "/{user_id}/roles")
def change_roles(request: Request, user_id: UserId, viewer: ViewerDep, form: FormDep) -> Response:
    """Make the ticked roles (``grant`` values, ``ROLE`` or ``ROLE@SITE``) the user's, with a reason."""
    try:
        reason = _reason(form)
        grants = [RoleGrant.parse(str(value)[:100]) for value in form.getlist("grant")[:50]]
        with request.app.state.store.session(viewer.actor, reason=reason) as session:
            user = set_roles(session, user_id=user_id, grants=grants)
            username = user.username
    except (Refused, ReasonRequired) as error:
        return _refused(request, viewer, error, {})
    return _done(request, f"Roles of {username} changed; they sign in again to use them.")
